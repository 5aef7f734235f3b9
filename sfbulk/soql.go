package sfbulk

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Quote returns s as a SOQL string literal: single-quoted, with backslash,
// both quotes, newline, carriage return, tab, backspace and form feed
// escaped, so no value can end the literal early.
func Quote(s string) string { return quote(s, false) }

// quote escapes s; in a LIKE pattern % and _ are escaped too, so a value can
// never act as a wildcard.
func quote(s string, like bool) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '%', '_':
			if like {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// Pattern is a LIKE pattern whose literal parts are escaped: build it with
// Contains, HasPrefix, HasSuffix or Exact, never from raw text.
type Pattern struct{ lit string }

func likePattern(pre, s, post string) Pattern {
	q := quote(s, true)
	return Pattern{lit: "'" + pre + q[1:len(q)-1] + post + "'"}
}

// Contains matches values containing s. HasPrefix, HasSuffix and Exact are
// the other anchorings; % and _ in s match themselves.
func Contains(s string) Pattern  { return likePattern("%", s, "%") }
func HasPrefix(s string) Pattern { return likePattern("", s, "%") }
func HasSuffix(s string) Pattern { return likePattern("%", s, "") }
func Exact(s string) Pattern     { return likePattern("", s, "") }

// Date is a SOQL date literal (2024-03-01), as opposed to a time.Time, which
// is written as a UTC datetime literal (2024-03-01T10:05:00Z).
type Date struct{ Year, Month, Day int }

// MaxStatement is Salesforce's limit on the length of a SOQL statement, in
// characters: Build refuses a longer one.
const MaxStatement = 100000

// Literal renders a Go value as a SOQL literal: string (quoted), bool, the
// integer and float types, time.Time (UTC datetime, to the second), Date,
// nil (null). A value SOQL cannot write is an error: NaN and ±Inf, a Date
// that does not exist (2023-02-30, month 13) or a date or time outside
// years 1 to 9999 (a time counts in UTC).
func Literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case string:
		return Quote(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("soql: %v is not a number SOQL can write", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return "", fmt.Errorf("soql: %v is not a number SOQL can write", x)
		}
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case time.Time:
		u := x.UTC()
		if u.Year() < 1 || u.Year() > 9999 {
			return "", fmt.Errorf("soql: time %s is outside years 1 to 9999 in UTC", x.Format(time.RFC3339))
		}
		return u.Format("2006-01-02T15:04:05Z"), nil
	case Date:
		d := time.Date(x.Year, time.Month(x.Month), x.Day, 0, 0, 0, 0, time.UTC)
		if x.Year < 1 || x.Year > 9999 || d.Year() != x.Year || int(d.Month()) != x.Month || d.Day() != x.Day {
			return "", fmt.Errorf("soql: invalid date %d-%d-%d", x.Year, x.Month, x.Day)
		}
		return fmt.Sprintf("%04d-%02d-%02d", x.Year, x.Month, x.Day), nil
	}
	return "", fmt.Errorf("soql: unsupported literal type %T", v)
}

// validName reports whether s is an API name or a dotted relationship path
// (Account.Owner.Email, Custom__c, ns__Field__r.Name__c).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || !isLetter(part[0]) {
			return false
		}
		for i := 1; i < len(part); i++ {
			c := part[i]
			if !isLetter(c) && (c < '0' || c > '9') && c != '_' {
				return false
			}
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// Cond is a WHERE condition. Its zero value is invalid.
type Cond struct {
	s   string
	err error
}

func cmp(field, op string, v any) Cond {
	if !validName(field) {
		return Cond{err: fmt.Errorf("soql: invalid field name %q", field)}
	}
	lit, err := Literal(v)
	if err != nil {
		return Cond{err: err}
	}
	return Cond{s: field + " " + op + " " + lit}
}

// Eq, Ne, Lt, Le, Gt, Ge compare a field with a value (nil gives `= null`).
func Eq(field string, v any) Cond { return cmp(field, "=", v) }
func Ne(field string, v any) Cond { return cmp(field, "!=", v) }
func Lt(field string, v any) Cond { return cmp(field, "<", v) }
func Le(field string, v any) Cond { return cmp(field, "<=", v) }
func Gt(field string, v any) Cond { return cmp(field, ">", v) }
func Ge(field string, v any) Cond { return cmp(field, ">=", v) }

// Like matches a field against an escaped pattern.
func Like(field string, p Pattern) Cond {
	if !validName(field) {
		return Cond{err: fmt.Errorf("soql: invalid field name %q", field)}
	}
	if p.lit == "" {
		return Cond{err: errors.New("soql: empty LIKE pattern (use Contains, HasPrefix, HasSuffix or Exact)")}
	}
	return Cond{s: field + " LIKE " + p.lit}
}

// In and NotIn test membership in a non-empty list of values.
func In(field string, values ...any) Cond    { return inList(field, "IN", values) }
func NotIn(field string, values ...any) Cond { return inList(field, "NOT IN", values) }

// InStrings is In for a []string.
func InStrings(field string, values []string) Cond {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return inList(field, "IN", vs)
}

func inList(field, op string, values []any) Cond {
	if !validName(field) {
		return Cond{err: fmt.Errorf("soql: invalid field name %q", field)}
	}
	if len(values) == 0 {
		return Cond{err: fmt.Errorf("soql: %s with an empty list on %s", op, field)}
	}
	parts := make([]string, len(values))
	for i, v := range values {
		lit, err := Literal(v)
		if err != nil {
			return Cond{err: err}
		}
		parts[i] = lit
	}
	return Cond{s: field + " " + op + " (" + strings.Join(parts, ", ") + ")"}
}

func join(op string, cs []Cond) Cond {
	if len(cs) == 0 {
		return Cond{err: fmt.Errorf("soql: empty %s", op)}
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		if c.err != nil {
			return c
		}
		if c.s == "" {
			return Cond{err: errors.New("soql: zero Cond")}
		}
		parts[i] = "(" + c.s + ")"
	}
	if len(parts) == 1 {
		return Cond{s: cs[0].s}
	}
	return Cond{s: strings.Join(parts, " "+op+" ")}
}

// And, Or and Not combine conditions (each operand is parenthesised).
func And(cs ...Cond) Cond { return join("AND", cs) }
func Or(cs ...Cond) Cond  { return join("OR", cs) }
func Not(c Cond) Cond {
	if c.err != nil || c.s == "" {
		return join("NOT", []Cond{c})
	}
	return Cond{s: "NOT (" + c.s + ")"}
}

// Query builds a SELECT statement. Field and object names are checked
// against the API-name syntax; values only ever enter through literals.
type Query struct {
	fields []string
	object string
	where  []Cond
	order  []string
	limit  int
	err    error
}

// Select starts a query.
func Select(fields ...string) *Query {
	q := &Query{}
	for _, f := range fields {
		if !validName(f) {
			q.err = errors.Join(q.err, fmt.Errorf("soql: invalid field name %q", f))
		}
	}
	q.fields = append(q.fields, fields...)
	return q
}

// From sets the object.
func (q *Query) From(object string) *Query {
	if !validName(object) || strings.Contains(object, ".") {
		q.err = errors.Join(q.err, fmt.Errorf("soql: invalid object name %q", object))
	}
	q.object = object
	return q
}

// Where adds conditions, ANDed with any earlier ones.
func (q *Query) Where(cs ...Cond) *Query {
	q.where = append(q.where, cs...)
	return q
}

// OrderBy adds a sort key. Note that Bulk 2.0 loses PK chunking with ORDER BY.
func (q *Query) OrderBy(field string, desc bool) *Query {
	if !validName(field) {
		q.err = errors.Join(q.err, fmt.Errorf("soql: invalid order field %q", field))
	}
	if desc {
		field += " DESC"
	}
	q.order = append(q.order, field)
	return q
}

// Limit sets LIMIT (0: none).
func (q *Query) Limit(n int) *Query {
	if n < 0 {
		q.err = errors.Join(q.err, fmt.Errorf("soql: negative limit %d", n))
	}
	q.limit = n
	return q
}

// Build returns the SOQL text or the first construction error; a
// statement over MaxStatement characters is an error (Salesforce would
// answer MALFORMED_QUERY).
func (q *Query) Build() (string, error) {
	if q.err != nil {
		return "", q.err
	}
	if len(q.fields) == 0 || q.object == "" {
		return "", errors.New("soql: a query needs fields and an object")
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(q.fields, ", "))
	b.WriteString(" FROM ")
	b.WriteString(q.object)
	if len(q.where) > 0 {
		w := join("AND", q.where)
		if w.err != nil {
			return "", w.err
		}
		b.WriteString(" WHERE ")
		b.WriteString(w.s)
	}
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(q.order, ", "))
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.limit))
	}
	if n := utf8.RuneCountInString(b.String()); n > MaxStatement {
		return "", fmt.Errorf("soql: the statement is %d characters; Salesforce takes at most %d", n, MaxStatement)
	}
	return b.String(), nil
}
