package soql_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// FuzzParse: Parse, Resolve, Match and Compare never panic, and every error
// is a positioned-or-not *soql.Error whose message has Salesforce's shape.
func FuzzParse(f *testing.F) {
	seeds := []string{
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
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	schema := newTestSchema()
	world := evalWorld()
	f.Fuzz(func(t *testing.T, src string) {
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
