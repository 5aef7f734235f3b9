package soql_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// parseSeeds are the seed corpus of FuzzParse and FuzzParseRoundTrip
// (testdata/fuzz holds crashers found since).
var parseSeeds = []string{
	"SELECT Id, Account.Name FROM Contact WHERE LastName = 'x' AND (Email LIKE '%a\\_b%' OR Score__c >= -1.5) ORDER BY LastName DESC NULLS LAST LIMIT 10 OFFSET 5",
	"SELECT COUNT() FROM Lead WHERE IsConverted = false",
	"SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:30 AND Birthdate < 2000-01-01 AND CreatedDate > 2024-03-01T10:05:00.000+0000",
	"SELECT Id FROM Contact WHERE Id IN ('0035g00000AbCdE', null) AND AccountId NOT IN ('')",
	`SELECT Id FROM Contact WHERE LastName = 'x\' OR Name LIKE \'%'`,
	`SELECT Id FROM Contact WHERE LastName = '\u00e9\n\'"'`,
	"SELECT Id FROM Contact WHERE NOT (DoNotCall = true)",
	"select id from contact where lastname in ('a','b','c','d','e','f','g','h','i','j')",
	"SELECT Id\nFROM Contact\nWHERE LastName == 'a'",
	"SELECT FIELDS(ALL) FROM Contact",
	"SELECT Id FROM Contact WHERE Name = \"x\"",
	"SELECT Id FROM Contact WHERE NOT NOT (LastName <> 'a' OR NOT (FirstName LIKE 'b\\%' AND Email != null))",
	"SELECT Id FROM Contact WHERE ((((LastName = 'deep'))))",
	"SELECT Id FROM Contact ORDER BY LastName ASC NULLS FIRST, Account.Name",
	"SELECT Id FROM Group",
	"",
}

// maxParseTime bounds one Parse (with Resolve and a few Matches) of a fuzz
// input, which is at most a few kilobytes: far above what it takes, so
// only a blow-up (exponential backtracking, a loop) trips it.
const maxParseTime = 2 * time.Second

// FuzzParse: Parse, Resolve, Match and Compare never panic and finish in
// bounded time, and every error is a positioned-or-not *soql.Error whose
// message has Salesforce's shape.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	schema := newTestSchema()
	world := evalWorld()
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > maxParseTime {
				t.Fatalf("%d-byte query took %v", len(src), d)
			}
		}()
		q, err := soql.Parse(src)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if err := q.ResolveAt(schema, evalNow); err != nil {
			checkFuzzError(t, err)
			return
		}
		for _, r := range world {
			q.Match(r)
			q.Compare(r, world[0])
		}
	})
}

// FuzzParseRoundTrip: a query that parses prints (Query.String) as SOQL
// that parses to an equal query and prints the same again; resolving the
// printed query succeeds or fails as the original does, with the same
// code.
func FuzzParseRoundTrip(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	schema := newTestSchema()
	f.Fuzz(func(t *testing.T, src string) {
		q, err := soql.Parse(src)
		if err != nil {
			return
		}
		out := q.String()
		q2, err := soql.Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) printed as %q, which does not parse: %v", src, out, err)
		}
		if render(q2) != render(q) {
			t.Fatalf("Parse(%q) printed as %q:\n got %s\nwant %s", src, out, render(q2), render(q))
		}
		if again := q2.String(); again != out {
			t.Fatalf("printing is not stable: %q then %q", out, again)
		}
		e1, e2 := q.ResolveAt(schema, evalNow), q2.ResolveAt(schema, evalNow)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("Resolve of %q: %v; of its print %q: %v", src, e1, out, e2)
		}
		var s1, s2 *soql.Error
		if e1 != nil && errors.As(e1, &s1) && errors.As(e2, &s2) && s1.Code != s2.Code {
			t.Fatalf("Resolve of %q: %v; of its print %q: %v", src, e1, out, e2)
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	var se *soql.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a *soql.Error", err, err)
	}
	if se.Code == "" || se.Detail == "" {
		t.Fatalf("error without code or detail: %+v", se)
	}
	if se.Row > 0 && !strings.Contains(se.Message, "\nERROR at Row:") {
		t.Fatalf("positioned error without the ERROR line: %q", se.Message)
	}
}

// FuzzQuote: any text quoted with Quote parses back to itself, and a LIKE
// pattern quoted with QuoteLike matches exactly that text.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"O'Brien", `x' OR Name LIKE '%`, `100%_\`, "é\n\t", "\\'"} {
		f.Add(s)
	}
	schema := newTestSchema()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := soql.Parse("SELECT Id FROM Contact WHERE LastName = " + soql.Quote(s))
		if err != nil {
			t.Fatalf("Quote(%q) does not parse: %v", s, err)
		}
		if c, ok := q.Where.(*soql.Comparison); !ok || len(c.Values) != 1 || c.Values[0].Text != s {
			t.Fatalf("Quote(%q) parsed as %s", s, renderExpr(q.Where))
		}
		if s == "" {
			return // '' is null
		}
		q, err = soql.Parse("SELECT Id FROM Contact WHERE LastName LIKE " + soql.QuoteLike(s))
		if err != nil {
			t.Fatalf("QuoteLike(%q) does not parse: %v", s, err)
		}
		if err := q.ResolveAt(schema, evalNow); err != nil {
			t.Fatal(err)
		}
		if !q.Match(&rec{vals: map[string]string{"LastName": s}}) {
			t.Errorf("LIKE %s does not match %q", soql.QuoteLike(s), s)
		}
		if q.Match(&rec{vals: map[string]string{"LastName": s + "x"}}) {
			t.Errorf("LIKE %s matches %q", soql.QuoteLike(s), s+"x")
		}
	})
}
