package sfbulk

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// token is one lexeme of a SOQL statement as Salesforce's lexer reads it.
type token struct {
	kind string // "ident", "string", "op", "num"
	text string // for strings: the decoded value; LIKE escapes kept as \% and \_
}

// lexSOQL is an independent oracle: it splits SOQL the way the server does,
// decoding string literals with SOQL's escape rules. A value that escaped its
// literal shows up as extra tokens.
func lexSOQL(t *testing.T, s string) []token {
	t.Helper()
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' {
					if i+1 >= len(s) {
						t.Fatalf("dangling backslash in %q", s)
					}
					switch e := s[i+1]; e {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					case 'b':
						b.WriteByte('\b')
					case 'f':
						b.WriteByte('\f')
					case '"', '\'', '\\':
						b.WriteByte(e)
					case '%', '_':
						b.WriteByte('\\')
						b.WriteByte(e)
					default:
						t.Fatalf("invalid escape \\%c in %q", e, s)
					}
					i += 2
					continue
				}
				if s[i] == '\'' {
					closed = true
					i++
					break
				}
				if s[i] == '\n' || s[i] == '\r' {
					t.Fatalf("raw line break inside a literal in %q", s)
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				t.Fatalf("unterminated literal in %q", s)
			}
			out = append(out, token{"string", b.String()})
		case strings.IndexByte("=<>!(),", c) >= 0:
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			out = append(out, token{"op", s[i:j]})
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.:-TZ", s[j]) >= 0 {
				j++
			}
			out = append(out, token{"num", s[i:j]})
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && (isLetter(s[j]) || s[j] == '_' || s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			out = append(out, token{"ident", s[i:j]})
			i = j
		default:
			t.Fatalf("unexpected %q at %d in %q", c, i, s)
		}
	}
	return out
}

var hostile = []string{
	"O'Brien",
	"x' OR Name LIKE '%",
	`x\' OR Id != null OR Name = '`,
	`back\slash\`,
	`\\'`,
	"line\nbreak' OR '1'='1",
	"tab\tcr\rff\fbs\b",
	`"double" quotes`,
	"100% _under_ score",
	"%",
	"_",
	"Zoë 東京 '",
	"') OR (Name != '",
	"",
	"\\",
}

func TestQuoteHostileStrings(t *testing.T) {
	for _, h := range hostile {
		q, err := Select("Id").From("Contact").Where(Eq("LastName", h), Ne("Email", h)).Build()
		if err != nil {
			t.Fatal(err)
		}
		toks := lexSOQL(t, q)
		want := []token{{"ident", "SELECT"}, {"ident", "Id"}, {"ident", "FROM"}, {"ident", "Contact"}, {"ident", "WHERE"},
			{"op", "("}, {"ident", "LastName"}, {"op", "="}, {"string", h}, {"op", ")"}, {"ident", "AND"},
			{"op", "("}, {"ident", "Email"}, {"op", "!="}, {"string", h}, {"op", ")"}}
		if fmt.Sprint(toks) != fmt.Sprint(want) {
			t.Errorf("value %q changed the query:\n%s\ntokens %v", h, q, toks)
		}
	}
}

func TestLikeHostileStrings(t *testing.T) {
	for _, h := range hostile {
		for _, tc := range []struct {
			p          Pattern
			pre, post  string
			anchorName string
		}{{Contains(h), "%", "%", "contains"}, {HasPrefix(h), "", "%", "prefix"}, {HasSuffix(h), "%", "", "suffix"}, {Exact(h), "", "", "exact"}} {
			q, err := Select("Id").From("Lead").Where(Like("Company", tc.p)).Build()
			if err != nil {
				t.Fatal(err)
			}
			toks := lexSOQL(t, q)
			if len(toks) != 8 || toks[6].text != "LIKE" || toks[7].kind != "string" {
				t.Fatalf("%s %q changed the query: %s (%v)", tc.anchorName, h, q, toks)
			}
			// Every % or _ from the value must arrive escaped; only the
			// anchors are wildcards.
			pat := toks[7].text
			inner := strings.TrimSuffix(strings.TrimPrefix(pat, tc.pre), tc.post)
			if tc.pre+inner+tc.post != pat {
				t.Fatalf("anchors lost: %q", pat)
			}
			unescaped := strings.NewReplacer(`\%`, "%", `\_`, "_").Replace(inner)
			if unescaped != h {
				t.Errorf("%s %q: pattern body %q decodes to %q", tc.anchorName, h, inner, unescaped)
			}
			if strings.Count(inner, "%") != strings.Count(inner, `\%`) || strings.Count(inner, "_") != strings.Count(inner, `\_`) {
				t.Errorf("%s %q: a wildcard from the value is unescaped in %q", tc.anchorName, h, inner)
			}
		}
	}
}

func TestQueryBuilder(t *testing.T) {
	ts := time.Date(2024, 3, 1, 11, 5, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		q    *Query
		want string
		err  bool
	}{
		{"simple", Select("Id", "Account.Name").From("Contact"), "SELECT Id, Account.Name FROM Contact", false},
		{"typed literals", Select("Id").From("Opportunity").Where(Eq("IsClosed", false), Ge("Amount", 1.5), Lt("CloseDate", Date{2024, 3, 1}), Gt("LastModifiedDate", ts), Eq("NumberOfEmployees", 10), Eq("AccountId", nil)),
			"SELECT Id FROM Opportunity WHERE (IsClosed = false) AND (Amount >= 1.5) AND (CloseDate < 2024-03-01) AND (LastModifiedDate > 2024-03-01T10:05:00Z) AND (NumberOfEmployees = 10) AND (AccountId = null)", false},
		{"in or not", Select("Id").From("Lead").Where(Or(InStrings("Email", []string{"a@x", "b'@x"}), Not(In("Status", "Closed")))).OrderBy("CreatedDate", true).Limit(5),
			`SELECT Id FROM Lead WHERE (Email IN ('a@x', 'b\'@x')) OR (NOT (Status IN ('Closed'))) ORDER BY CreatedDate DESC LIMIT 5`, false},
		{"custom fields", Select("Sales_Navigator_Lead_Id__c", "ns__Rel__r.Name").From("ns__Obj__c"), "SELECT Sales_Navigator_Lead_Id__c, ns__Rel__r.Name FROM ns__Obj__c", false},
		{"bad field", Select("Id, Name").From("Contact"), "", true},
		{"injected field", Select("Id").From("Contact").Where(Eq("Name = 'x' OR Id", "y")), "", true},
		{"bad object", Select("Id").From("Contact WHERE"), "", true},
		{"empty in", Select("Id").From("Contact").Where(In("Id")), "", true},
		{"zero cond", Select("Id").From("Contact").Where(Cond{}), "", true},
		{"unsupported type", Select("Id").From("Contact").Where(Eq("Id", []int{1})), "", true},
		{"no fields", Select().From("Contact"), "", true},
		{"bad date", Select("Id").From("Contact").Where(Eq("Birthdate", Date{2024, 13, 1})), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.q.Build()
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func FuzzQuote(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Select("Id").From("Contact").Where(Eq("LastName", s), Like("Email", Contains(s))).Build()
		if err != nil {
			t.Fatal(err)
		}
		toks := lexSOQL(t, q)
		if len(toks) != 16 || toks[8].kind != "string" || toks[8].text != s || toks[14].kind != "string" {
			t.Fatalf("value %q changed the query: %s", s, q)
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(toks[14].text, "%"), "%")
		if strings.NewReplacer(`\%`, "%", `\_`, "_").Replace(inner) != s {
			t.Fatalf("LIKE value %q came back as %q", s, inner)
		}
	})
}
