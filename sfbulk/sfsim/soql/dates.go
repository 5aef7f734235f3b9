package soql

import "time"

const msPerDay = 86_400_000

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func num(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

// parseDate parses exactly YYYY-MM-DD into days since the epoch.
func parseDate(s string) (int64, bool) {
	if len(s) != 10 || !digits(s[0:4]) || s[4] != '-' || !digits(s[5:7]) || s[7] != '-' || !digits(s[8:10]) {
		return 0, false
	}
	y, m, d := num(s[0:4]), num(s[5:7]), num(s[8:10])
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

// parseDateTime parses YYYY-MM-DDThh:mm:ss[.fff](Z|±hh[:]mm) into
// milliseconds since the epoch, without allocating.
func parseDateTime(s string) (int64, bool) {
	if len(s) < 20 || (s[10] != 'T' && s[10] != 't') {
		return 0, false
	}
	days, ok := parseDate(s[:10])
	if !ok || !digits(s[11:13]) || s[13] != ':' || !digits(s[14:16]) || s[16] != ':' || !digits(s[17:19]) {
		return 0, false
	}
	h, mi, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if h > 23 || mi > 59 || sec > 60 {
		return 0, false
	}
	ms := int64(0)
	i := 19
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac := s[start:i]
		if len(frac) == 0 {
			return 0, false
		}
		for k := 0; k < 3; k++ {
			ms *= 10
			if k < len(frac) {
				ms += int64(frac[k] - '0')
			}
		}
	}
	var off int64
	switch rest := s[i:]; {
	case rest == "Z" || rest == "z":
	case len(rest) == 5 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:5]):
		off = num(rest[1:3])*60 + num(rest[3:5])
		if rest[0] == '-' {
			off = -off
		}
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3]) && rest[3] == ':' && digits(rest[4:6]):
		off = num(rest[1:3])*60 + num(rest[4:6])
		if rest[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	return days*msPerDay + ((h*60+mi-off)*60+sec)*1000 + ms, true
}

// parseInstant parses a stored date or date-time value into milliseconds
// since the epoch (a date is its midnight UTC).
func parseInstant(s string) (int64, bool) {
	if len(s) == 10 {
		d, ok := parseDate(s)
		return d * msPerDay, ok
	}
	return parseDateTime(s)
}

// dateFuncRange returns the half-open range [lo, hi) in milliseconds that a
// date literal such as TODAY or LAST_N_DAYS:7 covers at now, in UTC (the
// simulator's users all live in UTC). Weeks start on Sunday, as in the
// en_US locale.
func dateFuncRange(name string, n int, now time.Time) (lo, hi int64) {
	now = now.UTC()
	y, mo, _ := now.Date()
	today := daysFromCivil(int64(y), int64(mo), int64(now.Day()))
	week := today - int64(now.Weekday()) // Sunday of this week
	month := func(delta int) int64 {     // first day of the month delta months from now
		t := time.Date(y, mo+time.Month(delta), 1, 0, 0, 0, 0, time.UTC)
		return daysFromCivil(int64(t.Year()), int64(t.Month()), 1)
	}
	year := func(delta int) int64 { return daysFromCivil(int64(y+delta), 1, 1) }
	var a, b int64 // days
	switch name {
	case "YESTERDAY":
		a, b = today-1, today
	case "TODAY":
		a, b = today, today+1
	case "TOMORROW":
		a, b = today+1, today+2
	case "LAST_WEEK":
		a, b = week-7, week
	case "THIS_WEEK":
		a, b = week, week+7
	case "NEXT_WEEK":
		a, b = week+7, week+14
	case "LAST_MONTH":
		a, b = month(-1), month(0)
	case "THIS_MONTH":
		a, b = month(0), month(1)
	case "NEXT_MONTH":
		a, b = month(1), month(2)
	case "LAST_90_DAYS":
		a, b = today-90, today+1
	case "NEXT_90_DAYS":
		a, b = today+1, today+91
	case "LAST_YEAR":
		a, b = year(-1), year(0)
	case "THIS_YEAR":
		a, b = year(0), year(1)
	case "NEXT_YEAR":
		a, b = year(1), year(2)
	case "LAST_N_DAYS":
		a, b = today-int64(n), today+1
	case "NEXT_N_DAYS":
		a, b = today+1, today+1+int64(n)
	case "N_DAYS_AGO":
		a, b = today-int64(n), today-int64(n)+1
	case "LAST_N_WEEKS":
		a, b = week-7*int64(n), week
	case "NEXT_N_WEEKS":
		a, b = week+7, week+7+7*int64(n)
	case "LAST_N_MONTHS":
		a, b = month(-n), month(0)
	case "NEXT_N_MONTHS":
		a, b = month(1), month(1+n)
	}
	return a * msPerDay, b * msPerDay
}
