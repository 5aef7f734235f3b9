package sfbulk

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// literalSchema is one object, Contact, whose every field is text.
type literalSchema struct{}

func (literalSchema) Object(name string) (string, bool) {
	return "Contact", strings.EqualFold(name, "Contact")
}
func (literalSchema) Field(_, name string) (soql.Field, bool) {
	return soql.Field{Name: name, Type: soql.TypeString}, true
}
func (literalSchema) Relationship(_, _ string) (soql.Relationship, bool) {
	return soql.Relationship{}, false
}

// oneValue is a record whose every field holds v.
type oneValue string

func (v oneValue) Value(*soql.FieldRef) (string, bool) { return string(v), v == "" }

// parseWhere builds SELECT Id FROM Contact WHERE c and parses it with the
// simulator's parser, failing the test when either step fails.
func parseWhere(t *testing.T, c Cond) *soql.Query {
	t.Helper()
	src, err := Select("Id").From("Contact").Where(c).Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	q, err := soql.Parse(src)
	if err != nil {
		t.Fatalf("the simulator's parser refuses %q: %v", src, err)
	}
	return q
}

// literalOf is the single literal of a parsed comparison.
func literalOf(t *testing.T, q *soql.Query) soql.Literal {
	t.Helper()
	c, ok := q.Where.(*soql.Comparison)
	if !ok || len(c.Values) != 1 {
		t.Fatalf("WHERE %s is not a comparison with one value", q)
	}
	return c.Values[0]
}

// FuzzLiteralRoundTrip: every value the builder writes comes back from
// the simulator's SOQL parser (sfsim/soql, a Salesforce-shaped parser) as
// the same value: a string as the same text (in =, IN and, through
// Contains and Exact, LIKE patterns that match exactly what they should),
// a float bit for bit, an integer, a Date, a time.Time to the second in
// UTC; and every value the builder refuses (NaN, ±Inf, impossible dates,
// years outside 1–9999) is one SOQL cannot write.
func FuzzLiteralRoundTrip(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, 1.5, int64(42), 2024, 2, 29, int64(1709287500), int64(0))
	}
	f.Add("", math.NaN(), int64(math.MinInt64), 2023, 2, 29, int64(-62135596800), int64(-1))
	f.Add("%_\\", math.Inf(-1), int64(math.MaxInt64), 10000, 1, 1, int64(253402300800), int64(999999999))
	f.Add("\x00\xff", math.Copysign(0, -1), int64(-1), 0, 13, 0, int64(-62135596801), int64(5e8))
	f.Add("é'\"\n", math.MaxFloat64, int64(0), 9999, 12, 31, int64(253402300799), int64(0))
	f.Add("x", math.SmallestNonzeroFloat64, int64(7), 1, 1, 1, int64(0), int64(0))
	f.Fuzz(func(t *testing.T, s string, fl float64, n int64, y, m, d int, sec, nsec int64) {
		// Strings: =, IN, LIKE.
		if len(s) <= 1000 {
			if lit := literalOf(t, parseWhere(t, Eq("LastName", s))); lit.Kind != soql.LitString || lit.Text != s {
				t.Fatalf("Eq(%q) came back as %+v", s, lit)
			}
			q := parseWhere(t, In("LastName", s, "x"))
			if c := q.Where.(*soql.Comparison); c.Op != soql.OpIn || len(c.Values) != 2 || c.Values[0].Text != s {
				t.Fatalf("In(%q) came back as %s", s, q)
			}
			if utf8.ValidString(s) {
				contains, exact := parseWhere(t, Like("Email", Contains(s))), parseWhere(t, Like("Email", Exact(s)))
				for _, q := range []*soql.Query{contains, exact} {
					if err := q.Resolve(literalSchema{}); err != nil {
						t.Fatalf("Resolve %s: %v", q, err)
					}
				}
				if !contains.Match(oneValue("<" + s + ">")) {
					t.Fatalf("Contains(%q) = %s does not match %q", s, contains, "<"+s+">")
				}
				if s != "" && !exact.Match(oneValue(s)) {
					t.Fatalf("Exact(%q) = %s does not match itself", s, exact)
				}
				if s != "" && exact.Match(oneValue(s+"x")) {
					t.Fatalf("Exact(%q) = %s matches %q", s, exact, s+"x")
				}
			}
		}

		// Floats, float64 and float32.
		if lit, err := Literal(fl); math.IsNaN(fl) || math.IsInf(fl, 0) {
			if err == nil {
				t.Fatalf("Literal(%v) = %q, want an error", fl, lit)
			}
		} else {
			got := literalOf(t, parseWhere(t, Eq("Amount", fl)))
			back, err := strconv.ParseFloat(got.Text, 64)
			if got.Kind != soql.LitNumber || err != nil || math.Float64bits(back) != math.Float64bits(fl) {
				t.Fatalf("Eq(%v) came back as %+v (%v)", fl, got, back)
			}
		}
		if f32 := float32(fl); !math.IsNaN(float64(f32)) && !math.IsInf(float64(f32), 0) {
			got := literalOf(t, parseWhere(t, Eq("Amount", f32)))
			back, err := strconv.ParseFloat(got.Text, 32)
			if got.Kind != soql.LitNumber || err != nil || math.Float32bits(float32(back)) != math.Float32bits(f32) {
				t.Fatalf("Eq(float32 %v) came back as %+v", f32, got)
			}
		}

		// Integers.
		if got := literalOf(t, parseWhere(t, Eq("NumberOfEmployees", n))); got.Kind != soql.LitNumber || got.Text != strconv.FormatInt(n, 10) {
			t.Fatalf("Eq(%d) came back as %+v", n, got)
		}

		// Dates: valid exactly when the calendar has the day.
		date := Date{y, m, d}
		norm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		valid := y >= 1 && y <= 9999 && norm.Year() == y && int(norm.Month()) == m && norm.Day() == d
		if lit, err := Literal(date); !valid {
			if err == nil {
				t.Fatalf("Literal(%+v) = %q, want an error", date, lit)
			}
		} else {
			got := literalOf(t, parseWhere(t, Eq("Birthdate", date)))
			back, err := time.Parse("2006-01-02", got.Text)
			if got.Kind != soql.LitDate || err != nil || !back.Equal(norm) {
				t.Fatalf("Eq(%+v) came back as %+v", date, got)
			}
		}

		// Times: to the second, in UTC.
		tm := time.Unix(sec, nsec)
		if lit, err := Literal(tm); tm.UTC().Year() < 1 || tm.UTC().Year() > 9999 {
			if err == nil {
				t.Fatalf("Literal(%v) = %q, want an error", tm, lit)
			}
		} else {
			got := literalOf(t, parseWhere(t, Eq("CreatedDate", tm)))
			back, err := time.Parse(time.RFC3339, got.Text)
			if got.Kind != soql.LitDateTime || err != nil || !back.Equal(tm.Truncate(time.Second)) {
				t.Fatalf("Eq(%v) came back as %+v (%v)", tm, got, back)
			}
		}
	})
}
