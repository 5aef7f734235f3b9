package soql_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// render prints a query in a canonical S-expression form for comparison.
func render(q *soql.Query) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Count {
		b.WriteString("COUNT()")
	}
	for i, f := range q.Fields {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(f.Path)
	}
	b.WriteString(" FROM " + q.Object)
	if q.Where != nil {
		b.WriteString(" WHERE " + renderExpr(q.Where))
	}
	for i, o := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(o.Field.Path)
		if o.Desc {
			b.WriteString(" DESC")
		}
		if o.NullsFirst {
			b.WriteString(" NULLS FIRST")
		} else {
			b.WriteString(" NULLS LAST")
		}
	}
	if q.Limit >= 0 {
		fmt.Fprintf(&b, " LIMIT %d", q.Limit)
	}
	if q.Offset >= 0 {
		fmt.Fprintf(&b, " OFFSET %d", q.Offset)
	}
	return b.String()
}

func renderExpr(e soql.Expr) string {
	switch e := e.(type) {
	case *soql.And:
		return renderTerms("AND", e.Terms)
	case *soql.Or:
		return renderTerms("OR", e.Terms)
	case *soql.Not:
		return "(NOT " + renderExpr(e.X) + ")"
	case *soql.Comparison:
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			vals[i] = renderLit(v)
		}
		return "(" + e.Op.String() + " " + e.Field.Path + " " + strings.Join(vals, " ") + ")"
	}
	return "?"
}

func renderTerms(op string, terms []soql.Expr) string {
	s := make([]string, len(terms))
	for i, t := range terms {
		s[i] = renderExpr(t)
	}
	return "(" + op + " " + strings.Join(s, " ") + ")"
}

func renderLit(l soql.Literal) string {
	switch l.Kind {
	case soql.LitString:
		return fmt.Sprintf("%q", l.Text)
	case soql.LitNull:
		return "null"
	case soql.LitTrue:
		return "true"
	case soql.LitFalse:
		return "false"
	case soql.LitDate:
		return "date:" + l.Text
	case soql.LitDateTime:
		return "datetime:" + l.Text
	case soql.LitDateFunc:
		if l.N != 0 || strings.Contains(l.Text, "_N_") || strings.HasPrefix(l.Text, "N_") {
			return fmt.Sprintf("%s:%d", l.Text, l.N)
		}
		return l.Text
	}
	return "num:" + l.Text
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, soql, want string
	}{
		{"fields", "SELECT Id, Name FROM Account", "SELECT Id,Name FROM Account"},
		{"parent path", "SELECT Id, Account.Name, Account.Owner.Email FROM Contact",
			"SELECT Id,Account.Name,Account.Owner.Email FROM Contact"},
		{"count", "SELECT COUNT() FROM Contact", "SELECT COUNT() FROM Contact"},
		{"count lower case with where and limit", "select count() from contact where lastname = 'x' limit 5",
			`SELECT COUNT() FROM contact WHERE (= lastname "x") LIMIT 5`},
		{"keywords any case", "sElEcT Id FrOm Contact wHeRe Email != NuLl OrDeR bY LastName aSc LiMiT 3 oFfSeT 2",
			`SELECT Id FROM Contact WHERE (!= Email null) ORDER BY LastName NULLS FIRST LIMIT 3 OFFSET 2`},
		{"every scalar operator", "SELECT Id FROM Account WHERE NumberOfEmployees = 1 AND NumberOfEmployees != 2 AND NumberOfEmployees <> 3 AND NumberOfEmployees < 4 AND NumberOfEmployees <= 5 AND NumberOfEmployees > 6 AND NumberOfEmployees >= -7.5",
			"SELECT Id FROM Account WHERE (AND (= NumberOfEmployees num:1) (!= NumberOfEmployees num:2) (!= NumberOfEmployees num:3) (< NumberOfEmployees num:4) (<= NumberOfEmployees num:5) (> NumberOfEmployees num:6) (>= NumberOfEmployees num:-7.5))"},
		{"operators without spaces", "SELECT Id FROM Account WHERE NumberOfEmployees>=10 AND Name='a'",
			`SELECT Id FROM Account WHERE (AND (>= NumberOfEmployees num:10) (= Name "a"))`},
		{"in and not in", "SELECT Id FROM Contact WHERE LastName IN ('a', 'b') AND Email NOT IN ('x', null)",
			`SELECT Id FROM Contact WHERE (AND (IN LastName "a" "b") (NOT IN Email "x" null))`},
		{"like", "SELECT Id FROM Contact WHERE Email LIKE '%@example.com'",
			`SELECT Id FROM Contact WHERE (LIKE Email "%@example.com")`},
		{"or with parentheses and not", "SELECT Id FROM Contact WHERE (LastName = 'a' OR LastName = 'b') AND NOT (Email = null) AND NOT DoNotCall = true",
			`SELECT Id FROM Contact WHERE (AND (OR (= LastName "a") (= LastName "b")) (NOT (= Email null)) (NOT (= DoNotCall true)))`},
		{"nested parentheses", "SELECT Id FROM Contact WHERE ((LastName = 'a'))",
			`SELECT Id FROM Contact WHERE (= LastName "a")`},
		{"or chain", "SELECT Id FROM Contact WHERE LastName = 'a' OR LastName = 'b' OR Email = null",
			`SELECT Id FROM Contact WHERE (OR (= LastName "a") (= LastName "b") (= Email null))`},
		{"booleans", "SELECT Id FROM Lead WHERE IsConverted = false OR IsConverted = TRUE",
			"SELECT Id FROM Lead WHERE (OR (= IsConverted false) (= IsConverted true))"},
		{"dates and datetimes", "SELECT Id FROM Contact WHERE Birthdate = 2024-03-01 AND CreatedDate > 2024-03-01T10:05:00Z AND CreatedDate < 2024-03-01T10:05:00.000+0000 AND CreatedDate != 2024-03-01T10:05:00-05:00",
			"SELECT Id FROM Contact WHERE (AND (= Birthdate date:2024-03-01) (> CreatedDate datetime:2024-03-01T10:05:00Z) (< CreatedDate datetime:2024-03-01T10:05:00.000+0000) (!= CreatedDate datetime:2024-03-01T10:05:00-05:00))"},
		{"date literals", "SELECT Id FROM Contact WHERE CreatedDate = TODAY OR CreatedDate = yesterday OR CreatedDate = LAST_N_DAYS:30 OR Birthdate > N_DAYS_AGO : 2",
			"SELECT Id FROM Contact WHERE (OR (= CreatedDate TODAY) (= CreatedDate YESTERDAY) (= CreatedDate LAST_N_DAYS:30) (> Birthdate N_DAYS_AGO:2))"},
		{"order by several", "SELECT Id FROM Contact ORDER BY LastName DESC, FirstName ASC NULLS LAST, Email NULLS FIRST, Title DESC NULLS FIRST",
			"SELECT Id FROM Contact ORDER BY LastName DESC NULLS LAST,FirstName NULLS LAST,Email NULLS FIRST,Title DESC NULLS FIRST"},
		{"escapes", `SELECT Id FROM Contact WHERE LastName = 'O\'Brien \"q\" \\ \n\r\t\b\f \u00e9\u4E2D \% \_'`,
			"SELECT Id FROM Contact WHERE (= LastName \"O'Brien \\\"q\\\" \\\\ \\n\\r\\t\\b\\f é中 % _\")"},
		{"hostile string stays one literal", `SELECT Id FROM Contact WHERE LastName = 'x\' OR LastName LIKE \'%'`,
			`SELECT Id FROM Contact WHERE (= LastName "x' OR LastName LIKE '%")`},
		{"hostile string unescaped is two comparisons", `SELECT Id FROM Contact WHERE LastName = 'x' OR LastName LIKE '%'`,
			`SELECT Id FROM Contact WHERE (OR (= LastName "x") (LIKE LastName "%"))`},
		{"sql comment is just text", `SELECT Id FROM Contact WHERE LastName = '--'`,
			`SELECT Id FROM Contact WHERE (= LastName "--")`},
		{"newlines and tabs", "SELECT Id,\n\tName\r\nFROM Account\nWHERE Name = 'a'\nLIMIT 1",
			`SELECT Id,Name FROM Account WHERE (= Name "a") LIMIT 1`},
		{"group object", "SELECT Id FROM Group", "SELECT Id FROM Group"},
		{"limit zero", "SELECT Id FROM Contact LIMIT 0", "SELECT Id FROM Contact LIMIT 0"},
		{"offset 2000", "SELECT Id FROM Contact OFFSET 2000", "SELECT Id FROM Contact OFFSET 2000"},
		{"custom field", "SELECT Id, Score__c FROM Contact WHERE Score__c >= 0.5", "SELECT Id,Score__c FROM Contact WHERE (>= Score__c num:0.5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := soql.Parse(tt.soql)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.soql, err)
			}
			if got := render(q); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.soql, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, soql  string
		code        string
		detail      string
		row, column int
	}{
		{"misspelt FROM", "SELECT Id FROMM Contact", soql.CodeMalformedQuery, "unexpected token: 'FROMM'", 1, 11},
		{"empty", "", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 1},
		{"trailing comma", "SELECT Id, FROM Contact", soql.CodeMalformedQuery, "unexpected token: 'FROM'", 1, 12},
		{"missing FROM", "SELECT Id", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 10},
		{"dangling WHERE", "SELECT Id FROM Contact WHERE", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 29},
		{"dangling WHERE trailing blanks", "SELECT Id FROM Contact WHERE   \n", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 29},
		{"missing value", "SELECT Id FROM Contact WHERE LastName =", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 40},
		{"double-quoted string", `SELECT Id FROM Contact WHERE LastName = "x"`, soql.CodeMalformedQuery, `line 1:40 no viable alternative at character '"'`, 1, 41},
		{"unterminated string", `SELECT Id FROM Contact WHERE LastName = 'x`, soql.CodeMalformedQuery, `line 1:40 no viable alternative at character '''`, 1, 41},
		{"string ends in escaped quote", `SELECT Id FROM Contact WHERE LastName = 'x\'`, soql.CodeMalformedQuery, `line 1:40 no viable alternative at character '''`, 1, 41},
		{"bad escape", `SELECT Id FROM Contact WHERE LastName = 'a\qb'`, soql.CodeMalformedQuery, `Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.`, 1, 41},
		{"bad unicode escape", `SELECT Id FROM Contact WHERE LastName = '\u12G4'`, soql.CodeMalformedQuery, `Invalid string literal '\u12G4'. Illegal character sequence '\u12G4' in string literal.`, 1, 41},
		{"short unicode escape", `SELECT Id FROM Contact WHERE LastName = '\u1'`, soql.CodeMalformedQuery, `Invalid string literal '\u1'. Illegal character sequence '\u' in string literal.`, 1, 41},
		{"mixed AND OR", "SELECT Id FROM Contact WHERE LastName = 'a' AND Email = null OR Title = 'b'", soql.CodeMalformedQuery, "unexpected token: 'OR'", 1, 62},
		{"unbalanced paren", "SELECT Id FROM Contact WHERE (LastName = 'a'", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 45},
		{"extra paren", "SELECT Id FROM Contact WHERE LastName = 'a')", soql.CodeMalformedQuery, "unexpected token: ')'", 1, 44},
		{"NOT LIKE is not SOQL", "SELECT Id FROM Contact WHERE LastName NOT LIKE 'a%'", soql.CodeMalformedQuery, "unexpected token: 'LIKE'", 1, 43},
		{"LIKE needs a string", "SELECT Id FROM Contact WHERE LastName LIKE 5", soql.CodeMalformedQuery, "unexpected token: '5'", 1, 44},
		{"empty IN list", "SELECT Id FROM Contact WHERE LastName IN ()", soql.CodeMalformedQuery, "unexpected token: ')'", 1, 43},
		{"IN without parentheses", "SELECT Id FROM Contact WHERE LastName IN 'a'", soql.CodeMalformedQuery, "unexpected token: ''a''", 1, 42},
		{"reserved word as field", "SELECT Id FROM Contact WHERE Limit = 1", soql.CodeMalformedQuery, "unexpected token: 'Limit'", 1, 30},
		{"unknown bare word value", "SELECT Id FROM Contact WHERE LastName = Smith", soql.CodeMalformedQuery, "unexpected token: 'Smith'", 1, 41},
		{"bad date", "SELECT Id FROM Contact WHERE Birthdate = 2024-02-30", soql.CodeMalformedQuery, "unexpected token: '2024-02-30'", 1, 42},
		{"datetime without zone", "SELECT Id FROM Contact WHERE CreatedDate > 2024-03-01T10:05:00", soql.CodeMalformedQuery, "unexpected token: '-03'", 1, 48},
		{"LAST_N_DAYS without n", "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 55},
		{"LIMIT not a number", "SELECT Id FROM Contact LIMIT x", soql.CodeMalformedQuery, "unexpected token: 'x'", 1, 30},
		{"negative LIMIT", "SELECT Id FROM Contact LIMIT -1", soql.CodeMalformedQuery, "unexpected token: '-1'", 1, 30},
		{"LIMIT too large", "SELECT Id FROM Contact LIMIT 99999999999999999999", soql.CodeMalformedQuery, "numeric value out of range: 99999999999999999999", 1, 30},
		{"OFFSET above 2000", "SELECT Id FROM Contact LIMIT 10 OFFSET 2001", soql.CodeNumberOutsideRange, "Maximum SOQL offset allowed is 2000", 0, 0},
		{"OFFSET before LIMIT", "SELECT Id FROM Contact OFFSET 1 LIMIT 10", soql.CodeMalformedQuery, "unexpected token: 'LIMIT'", 1, 33},
		{"COUNT with fields", "SELECT COUNT(), Id FROM Contact", soql.CodeMalformedQuery, "unexpected token: ','", 1, 15},
		{"COUNT(field)", "SELECT COUNT(Id) FROM Contact", soql.CodeMalformedQuery, "unsupported SOQL feature: COUNT(field) aggregate (only COUNT() is supported)", 1, 8},
		{"COUNT(field) after a field", "SELECT LeadSource, COUNT(Id) FROM Contact GROUP BY LeadSource", soql.CodeMalformedQuery, "unsupported SOQL feature: COUNT(field) aggregate (only COUNT() is supported)", 1, 20},
		{"FIELDS(ALL)", "SELECT FIELDS(ALL) FROM Contact LIMIT 200", soql.CodeMalformedQuery, "unsupported SOQL feature: FIELDS() (list the fields explicitly)", 1, 8},
		{"subquery", "SELECT Id, (SELECT Id FROM Contacts) FROM Account", soql.CodeMalformedQuery, "unsupported SOQL feature: parent-child subquery", 1, 12},
		{"semi-join", "SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account)", soql.CodeMalformedQuery, "unsupported SOQL feature: semi-join subquery", 1, 44},
		{"GROUP BY", "SELECT LeadSource FROM Contact GROUP BY LeadSource", soql.CodeMalformedQuery, "unsupported SOQL feature: GROUP clause", 1, 32},
		{"WITH", "SELECT Id FROM Contact WITH SECURITY_ENFORCED", soql.CodeMalformedQuery, "unsupported SOQL feature: WITH clause", 1, 24},
		{"FOR UPDATE", "SELECT Id FROM Contact LIMIT 1 FOR UPDATE", soql.CodeMalformedQuery, "unsupported SOQL feature: FOR clause", 1, 32},
		{"INCLUDES", "SELECT Id FROM Contact WHERE LeadSource INCLUDES ('Web')", soql.CodeMalformedQuery, "unsupported SOQL feature: INCLUDES (multi-select picklists)", 1, 41},
		{"function in WHERE", "SELECT Id FROM Contact WHERE CALENDAR_YEAR(CreatedDate) = 2024", soql.CodeMalformedQuery, "unsupported SOQL feature: function CALENDAR_YEAR() in WHERE", 1, 30},
		{"bad character", "SELECT Id FROM Contact WHERE LastName = 'a' ; DROP", soql.CodeMalformedQuery, "line 1:44 no viable alternative at character ';'", 1, 45},
		{"lone bang", "SELECT Id FROM Contact WHERE LastName ! 'a'", soql.CodeMalformedQuery, "line 1:38 no viable alternative at character '!'", 1, 39},
		{"error on row 3", "SELECT Id\nFROM Contact\nWHERE LastName == 'a'", soql.CodeMalformedQuery, "unexpected token: '='", 3, 17},
		{"NULLS without FIRST/LAST", "SELECT Id FROM Contact ORDER BY LastName NULLS", soql.CodeMalformedQuery, "unexpected token: '<EOF>'", 1, 47},
		{"trailing garbage", "SELECT Id FROM Contact LIMIT 1 2", soql.CodeMalformedQuery, "unexpected token: '2'", 1, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := soql.Parse(tt.soql)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error", tt.soql, render(q))
			}
			var se *soql.Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *soql.Error", tt.soql, err, err)
			}
			if se.Code != tt.code || se.Detail != tt.detail || se.Row != tt.row || se.Column != tt.column {
				t.Errorf("Parse(%q)\n got %s %q at %d:%d\nwant %s %q at %d:%d",
					tt.soql, se.Code, se.Detail, se.Row, se.Column, tt.code, tt.detail, tt.row, tt.column)
			}
			checkMessageShape(t, tt.soql, se)
		})
	}
}

// checkMessageShape checks the Salesforce layout of a positioned message:
// "\n<row text>\n<spaces>^\nERROR at Row:R:Column:C\n<detail>".
func checkMessageShape(t *testing.T, src string, se *soql.Error) {
	t.Helper()
	if se.Row == 0 {
		if se.Message != se.Detail {
			t.Errorf("unpositioned message %q, want the detail alone", se.Message)
		}
		return
	}
	lines := strings.Split(se.Message, "\n")
	if len(lines) < 5 || lines[0] != "" {
		t.Fatalf("message %q: want 5 lines starting with an empty one", se.Message)
	}
	row := strings.TrimRight(strings.Split(src, "\n")[se.Row-1], "\r")
	if lines[1] != row {
		t.Errorf("message row %q, want %q", lines[1], row)
	}
	if want := strings.Repeat(" ", se.Column-1) + "^"; lines[2] != want {
		t.Errorf("caret line %q, want %q", lines[2], want)
	}
	if want := fmt.Sprintf("ERROR at Row:%d:Column:%d", se.Row, se.Column); lines[3] != want {
		t.Errorf("position line %q, want %q", lines[3], want)
	}
	if got := strings.Join(lines[4:], "\n"); got != se.Detail {
		t.Errorf("message tail %q, want detail %q", got, se.Detail)
	}
}

func TestErrorMessageExact(t *testing.T) {
	_, err := soql.Parse("SELECT Id FROMM Contact")
	var se *soql.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	want := "\nSELECT Id FROMM Contact\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FROMM'"
	if se.Message != want {
		t.Errorf("message\n%q\nwant\n%q", se.Message, want)
	}
	if got := se.Error(); got != "soql: MALFORMED_QUERY at row 1 column 11: unexpected token: 'FROMM'" {
		t.Errorf("Error() = %q", got)
	}
}

func TestErrorMessageLongRowIsWindowed(t *testing.T) {
	long := "SELECT Id FROM Contact WHERE LastName IN (" + strings.Repeat("'aaaaaaaaa', ", 100) + "'b') AND Nope = 1"
	q, err := soql.Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	err = q.Resolve(newTestSchema())
	var se *soql.Error
	if !errors.As(err, &se) || se.Code != soql.CodeInvalidField {
		t.Fatalf("got %v", err)
	}
	lines := strings.Split(se.Message, "\n")
	if n := len([]rune(lines[1])); n > 200 {
		t.Errorf("row shown is %d runes long, want a window", n)
	}
	caret := strings.Index(lines[2], "^")
	if !strings.HasPrefix(lines[1][caret:], "Nope") {
		t.Errorf("caret under %q, want under Nope", lines[1][caret:])
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "O'Brien", `x' OR Name LIKE '%`, `back\slash "dq"`, "new\nline\ttab\r\b\f", "é中🙂", "100%_"} {
		src := "SELECT Id FROM Contact WHERE LastName = " + soql.Quote(s)
		q, err := soql.Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		c, ok := q.Where.(*soql.Comparison)
		if !ok || c.Values[0].Text != s {
			t.Errorf("Quote(%q) round trip gave %s", s, renderExpr(q.Where))
		}
	}
}

func TestQueryString(t *testing.T) {
	for src, want := range map[string]string{
		"select id, account.name from contact where lastname = 'O\\'Brien' and (email like '%a\\_b%' or score__c >= -1.5) order by lastname desc limit 10 offset 5": "SELECT id, account.name FROM contact WHERE lastname = 'O\\'Brien' AND (email LIKE '%a\\_b%' OR score__c >= -1.5) ORDER BY lastname DESC NULLS LAST LIMIT 10 OFFSET 5",
		"SELECT COUNT() FROM Lead WHERE NOT NOT ((IsConverted = false))":                                                                                            "SELECT COUNT() FROM Lead WHERE NOT NOT IsConverted = false",
		"SELECT Id FROM Contact WHERE NOT (A__c = 1 AND B__c <> null) OR Id IN ('a', null)":                                                                         "SELECT Id FROM Contact WHERE NOT (A__c = 1 AND B__c != null) OR Id IN ('a', null)",
		"SELECT Id FROM Contact WHERE CreatedDate = last_n_days:30 ORDER BY Name":                                                                                   "SELECT Id FROM Contact WHERE CreatedDate = last_n_days:30 ORDER BY Name ASC NULLS FIRST",
	} {
		q, err := soql.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.String(); got != want {
			t.Errorf("Parse(%q).String()\n got %q\nwant %q", src, got, want)
		}
	}
}
