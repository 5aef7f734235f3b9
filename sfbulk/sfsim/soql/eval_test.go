package soql_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// id18 appends the checksum suffix to a 15-character id.
func id18(id15 string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	out := []byte(id15)
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		out = append(out, chars[v])
	}
	return string(out)
}

var evalNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC) // a Friday

// evalWorld holds three contacts, told apart by vals["tag"]: c1, c2, c3.
func evalWorld() []*rec {
	u1 := &rec{vals: map[string]string{"Id": id18("0055g00000OwNeR"), "Email": "owner@acme.test"}}
	a1 := &rec{vals: map[string]string{"Id": id18("0015g00000AcMe1"), "Name": "Acme Corp", "NumberOfEmployees": "250"},
		parents: map[string]*rec{"Owner": u1}}
	a2 := &rec{vals: map[string]string{"Id": id18("0015g00000GlObX"), "Name": "Globex"}}
	c1 := &rec{vals: map[string]string{
		"tag": "c1", "Id": id18("0035g00000AbCdE"), "FirstName": "Ann", "LastName": "O'Brien", "Email": "ann@example.com",
		"Title": "CEO", "CreatedDate": "2024-03-01T10:05:00.000+0000", "Birthdate": "1980-05-17", "DoNotCall": "false",
		"Score__c": "0.75", "AccountId": a1.vals["Id"], "LeadSource": "Web", "Description": "100% sure_thing",
	}, parents: map[string]*rec{"Account": a1}}
	c2 := &rec{vals: map[string]string{
		"tag": "c2", "Id": id18("0035g00000XyZzY"), "LastName": "smith", "Title": "", "CreatedDate": "2024-03-01T10:05:00Z",
		"DoNotCall": "true", "Score__c": "-1", "LeadSource": "Phone Inquiry",
	}}
	c3 := &rec{vals: map[string]string{
		"tag": "c3", "Id": id18("0035g00000QqQqQ"), "FirstName": "zoë", "LastName": "Émile", "Email": "ZOE@EXAMPLE.COM",
		"CreatedDate": "2024-02-29T23:59:59.999Z", "AccountId": a2.vals["Id"], "Description": "100 percent",
	}, parents: map[string]*rec{"Account": a2}}
	return []*rec{c1, c2, c3}
}

func tags(rs []*rec) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.vals["tag"])
	}
	return strings.Join(s, ",")
}

func mustResolve(t testing.TB, src string) *soql.Query {
	t.Helper()
	q, err := soql.Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	if err := q.ResolveAt(newTestSchema(), evalNow); err != nil {
		t.Fatalf("Resolve(%q): %v", src, err)
	}
	return q
}

func TestMatch(t *testing.T) {
	c2id := id18("0035g00000XyZzY")
	manyIDs := "'" + c2id + "'"
	for i := 0; i < 12; i++ {
		manyIDs += ", '" + id18("0035g00000Fill"+string(rune('A'+i))) + "'"
	}
	tests := []struct{ where, want string }{
		{"", "c1,c2,c3"},
		{"LastName = 'SMITH'", "c2"},
		{"LastName != 'smith'", "c1,c3"},
		{"LastName <> 'smith'", "c1,c3"},
		{"Email = null", "c2"},
		{"Email != null", "c1,c3"},
		{"Title = ''", "c2,c3"},
		{"Title != 'ceo'", "c2,c3"},
		{"Email IN ('ann@example.com', 'zoe@example.com')", "c1,c3"},
		{"Email NOT IN ('ann@example.com')", "c2,c3"},
		{"Email NOT IN ('ann@example.com', null)", "c3"},
		{"Email IN (null)", "c2"},
		{"LastName IN ('a','b','c','d','e','f','g','h','i','SMITH')", "c2"},
		{"LastName IN ('a','b','c','d','e','f','g','h','i','ÉMILE')", "c3"},
		{"LastName NOT IN ('a','b','c','d','e','f','g','h','i','SMITH')", "c1,c3"},
		{"LeadSource = 'phone inquiry'", "c2"},
		{"Email LIKE '%@EXAMPLE.com'", "c1,c3"},
		{`LastName LIKE 'o\'%'`, "c1"},
		{"LastName LIKE '_mith'", "c2"},
		{"LastName LIKE '_'", ""},
		{"LastName LIKE 'émile'", "c3"},
		{"FirstName LIKE 'ZOË'", "c3"},
		{"FirstName LIKE '%'", "c1,c3"},
		{`Description LIKE '100\%%'`, "c1"},
		{"Description LIKE '100%'", "c1,c3"},
		{`Description LIKE '%\_thing'`, "c1"},
		{"Description LIKE '%sure_thing'", "c1"},
		{"Description LIKE '%e%t%'", "c1,c3"},
		{"Description LIKE '1%0%t'", "c3"},
		{"Email LIKE null", ""},
		{"LastName < 'p'", "c1"},
		{"LastName >= 'SMITH'", "c2,c3"},
		{"DoNotCall = true", "c2"},
		{"DoNotCall = false", "c1,c3"},
		{"DoNotCall != true", "c1,c3"},
		{"DoNotCall IN (true)", "c2"},
		{"Score__c > 0", "c1"},
		{"Score__c <= -1", "c2"},
		{"Score__c = null", "c3"},
		{"Score__c != 0.75", "c2,c3"},
		{"Score__c > null", ""},
		{"Account.Name = 'acme corp'", "c1"},
		{"Account.Name = null", "c2"},
		{"Account.Owner.Email LIKE '%acme%'", "c1"},
		{"Account.NumberOfEmployees >= 250", "c1"},
		{"Account.NumberOfEmployees = null", "c2,c3"},
		{"CreatedDate = 2024-03-01T10:05:00Z", "c1,c2"},
		{"CreatedDate = 2024-03-01T05:05:00-05:00", "c1,c2"},
		{"CreatedDate > 2024-03-01T05:05:00-0500", ""},
		{"CreatedDate >= 2024-03-01T10:05:00.000+00:00", "c1,c2"},
		{"CreatedDate < 2024-03-01T00:00:00Z", "c3"},
		{"CreatedDate <= 2024-02-29T23:59:59.999Z", "c3"},
		{"Birthdate = 1980-05-17", "c1"},
		{"Birthdate < 2000-01-01", "c1"},
		{"Birthdate = null", "c2,c3"},
		{"CreatedDate = TODAY", "c1,c2"},
		{"CreatedDate = YESTERDAY", "c3"},
		{"CreatedDate > YESTERDAY", "c1,c2"},
		{"CreatedDate < TODAY", "c3"},
		{"CreatedDate <= TODAY", "c1,c2,c3"},
		{"CreatedDate >= TOMORROW", ""},
		{"CreatedDate = LAST_N_DAYS:1", "c1,c2,c3"},
		{"CreatedDate = N_DAYS_AGO:1", "c3"},
		{"CreatedDate = THIS_MONTH", "c1,c2"},
		{"CreatedDate = LAST_MONTH", "c3"},
		{"CreatedDate = THIS_WEEK", "c1,c2,c3"},
		{"CreatedDate = THIS_YEAR", "c1,c2,c3"},
		{"CreatedDate = LAST_YEAR", ""},
		{"CreatedDate IN (LAST_MONTH, NEXT_MONTH)", "c3"},
		{"Birthdate = LAST_N_MONTHS:600", "c1"},
		{"Id = '0035g00000AbCdE'", "c1"},
		{"Id = '" + id18("0035g00000AbCdE") + "'", "c1"},
		{"Id = '0035G00000ABCDE'", ""},
		{"Id IN (" + manyIDs + ")", "c2"},
		{"Id NOT IN (" + manyIDs + ")", "c1,c3"},
		{"Id != '0035g00000AbCdE'", "c2,c3"},
		{"Id > '0035g00000Q0000'", "c2,c3"},
		{"AccountId = null", "c2"},
		{"AccountId = ''", "c2"},
		{"NOT (LastName = 'smith')", "c1,c3"},
		{"NOT LastName = 'smith'", "c1,c3"},
		{"NOT NOT LastName = 'smith'", "c2"},
		{"(LastName = 'smith' OR Email LIKE 'ann%') AND DoNotCall = false", "c1"},
		{"NOT DoNotCall = true AND Account.Name != null", "c1,c3"},
		{"(Email = null OR (Score__c > 0 AND Title = 'CEO')) AND NOT (Id = '0035g00000XyZzY')", "c1"},
	}
	world := evalWorld()
	for _, tt := range tests {
		src := "SELECT Id FROM Contact"
		if tt.where != "" {
			src += " WHERE " + tt.where
		}
		q := mustResolve(t, src)
		var got []*rec
		for _, r := range world {
			if q.Match(r) {
				got = append(got, r)
			}
		}
		if tags(got) != tt.want {
			t.Errorf("WHERE %s: matched [%s], want [%s]", tt.where, tags(got), tt.want)
		}
	}
}

func TestCompareOrderBy(t *testing.T) {
	tests := []struct{ order, want string }{
		{"LastName", "c1,c2,c3"},
		{"lastname DESC", "c3,c2,c1"},
		{"Score__c DESC", "c1,c2,c3"},
		{"Score__c", "c3,c2,c1"},
		{"Score__c ASC NULLS LAST", "c2,c1,c3"},
		{"Score__c DESC NULLS FIRST", "c3,c1,c2"},
		{"DoNotCall, LastName", "c1,c3,c2"},
		{"Account.Name DESC NULLS FIRST", "c2,c3,c1"},
		{"Account.Name", "c2,c1,c3"},
		{"CreatedDate, LastName", "c3,c1,c2"},
		{"CreatedDate DESC, LastName DESC", "c2,c1,c3"},
		{"Id", "c1,c3,c2"},
		{"Birthdate NULLS LAST, Title", "c1,c3,c2"},
	}
	for _, tt := range tests {
		q := mustResolve(t, "SELECT Id FROM Contact ORDER BY "+tt.order)
		world := evalWorld()
		slices.Reverse(world) // the sort, not the input order, must decide
		sort.SliceStable(world, func(i, j int) bool { return q.Compare(world[i], world[j]) < 0 })
		if got := tags(world); got != tt.want {
			t.Errorf("ORDER BY %s: got [%s], want [%s]", tt.order, got, tt.want)
		}
	}
}

func TestMatchUnresolvedPanics(t *testing.T) {
	q, err := soql.Parse("SELECT Id FROM Contact WHERE LastName = 'x'")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Match on an unresolved query did not panic")
		}
	}()
	q.Match(evalWorld()[0])
}

func TestResolveTwiceIsStable(t *testing.T) {
	q := mustResolve(t, "select account.name from contact where account.name = 'Acme Corp'")
	if err := q.ResolveAt(newTestSchema(), evalNow); err != nil {
		t.Fatal(err)
	}
	if q.Fields[0].Path != "Account.Name" || len(q.Fields[0].Hops) != 1 || !q.Match(evalWorld()[0]) {
		t.Errorf("second Resolve changed the query: %+v", q.Fields[0])
	}
}
