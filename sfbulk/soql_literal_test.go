package sfbulk

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestLiteralRefusesWhatSOQLCannotHold: NaN, ±Inf, dates that do not exist
// and times outside years 1–9999 are errors; they became invalid SOQL
// (NaN, +Inf, 2023-02-30, 10000-01-01T00:00:00Z) that Salesforce refused
// with MALFORMED_QUERY after the call was spent. A statement over
// Salesforce's 100,000 characters is refused by Build.
func TestLiteralRefusesWhatSOQLCannotHold(t *testing.T) {
	bad := map[string]any{
		"NaN":             math.NaN(),
		"+Inf":            math.Inf(1),
		"-Inf":            math.Inf(-1),
		"float32 NaN":     float32(math.NaN()),
		"float32 +Inf":    float32(math.Inf(1)),
		"February 30":     Date{2023, 2, 30},
		"February 29":     Date{2023, 2, 29},
		"April 31":        Date{2024, 4, 31},
		"day 0":           Date{2024, 1, 0},
		"month 13":        Date{2024, 13, 1},
		"year 0":          Date{0, 1, 1},
		"year 10000":      Date{10000, 1, 1},
		"time year 10000": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"time year 0":     time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		"time year -1":    time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		"zone to year 0":  time.Date(1, 1, 1, 0, 30, 0, 0, time.FixedZone("+01", 3600)),
	}
	for name, v := range bad {
		if lit, err := Literal(v); err == nil {
			t.Errorf("%s: Literal = %q, want an error", name, lit)
		}
		if q, err := Select("Id").From("Contact").Where(Ge("X__c", v)).Build(); err == nil {
			t.Errorf("%s: Build = %q, want an error", name, q)
		}
		if q, err := Select("Id").From("Contact").Where(In("X__c", 1, v)).Build(); err == nil {
			t.Errorf("%s: Build with In = %q, want an error", name, q)
		}
	}
	good := map[string]struct {
		v    any
		want string
	}{
		"leap day":      {Date{2024, 2, 29}, "2024-02-29"},
		"year 1":        {Date{1, 1, 1}, "0001-01-01"},
		"year 9999":     {Date{9999, 12, 31}, "9999-12-31"},
		"time year 1":   {time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00Z"},
		"negative zero": {math.Copysign(0, -1), "-0"},
		"float32":       {float32(1.5), "1.5"},
	}
	for name, tt := range good {
		if lit, err := Literal(tt.v); err != nil || lit != tt.want {
			t.Errorf("%s: Literal = %q, %v, want %q", name, lit, err, tt.want)
		}
	}
	// 9999-12-31T23:30-01:00 is in year 10000 once in UTC, as SOQL writes it.
	if _, err := Literal(time.Date(9999, 12, 31, 23, 30, 0, 0, time.FixedZone("-01", -3600))); err == nil {
		t.Errorf("a time in year 10000 UTC was accepted")
	}
	if lit, err := Literal(math.MaxFloat64); err != nil || len(lit) != 309 || strings.ContainsAny(lit, "e+") {
		t.Errorf("MaxFloat64: %q %v, want 309 digits", lit, err)
	}

	ids := make([]string, 5400) // 5,400 × 19 characters: over 100,000
	for i := range ids {
		ids[i] = "003000000000000AAA"
	}
	if q, err := Select("Id").From("Contact").Where(InStrings("Id", ids)).Build(); err == nil || !strings.Contains(err.Error(), "100000") {
		t.Errorf("a %d-character statement: %v, want an error naming the 100000-character limit", len(q), err)
	}
	if q, err := Select("Id").From("Contact").Where(InStrings("Id", ids[:4000])).Build(); err != nil {
		t.Errorf("a %d-character statement: %v", len(q), err)
	}
}
