package matcher

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// handWorld is a small hand-made CRM and Sales Navigator export covering
// the scenarios the matcher must get right. want maps lead id to the
// expected decision and CRM id.
func handWorld() (Input, map[string]struct {
	decision Decision
	crmID    string
}) {
	people := []Person{
		{ID: "003A", Object: "Contact", FirstName: "John", LastName: "Kowalczyk", Email: "john.kowalczyk@acme.com", Phone: "(415) 555-0101", Company: "Acme, Inc.", AccountID: "001A", Title: "VP Sales", Country: "United States"},
		{ID: "003B", Object: "Contact", FirstName: "Robert", LastName: "Müller", Email: "r.mueller@globex.de", Company: "Globex GmbH", AccountID: "001B", Title: "Director of Engineering", Country: "Germany"},
		{ID: "003C", Object: "Contact", FirstName: "José", LastName: "García", Email: "jgarcia@initech.com", Company: "Initech", AccountID: "001C", Title: "CFO", Country: "Spain"},
		{ID: "003D", Object: "Contact", FirstName: "Katherine", LastName: "Oyelaran", Email: "koyelaran@umbrella.com", Company: "Umbrella Corporation", AccountID: "001D", Title: "Marketing Manager", Country: "US"},
		// job change: CRM still has the old company
		{ID: "003E", Object: "Contact", FirstName: "Priya", LastName: "Raghunathan", Email: "priya.r@hooli.com", Company: "Hooli", AccountID: "001E", Title: "Product Manager", Country: "US"},
		// converted lead and its contact
		{ID: "00QF", Object: "Lead", FirstName: "Mateusz", LastName: "Wiśniewski", Email: "mateusz@vandelay.com", Company: "Vandelay Industries", Title: "Buyer", IsConverted: true, ConvertedContactID: "003F", ConvertedAccountID: "001F"},
		{ID: "003F", Object: "Contact", FirstName: "Mateusz", LastName: "Wisniewski", Email: "mateusz@vandelay.com", Company: "Vandelay Industries", AccountID: "001F", Title: "Head of Purchasing"},
		// namesake: same name as lead L7, other company, other title
		{ID: "003G", Object: "Contact", FirstName: "Emily", LastName: "Tran", Email: "etran@wayneenterprises.com", Company: "Wayne Enterprises", AccountID: "001G", Title: "Nurse", Country: "US"},
		// common surname, two different people at two companies
		{ID: "00QH", Object: "Lead", FirstName: "Michael", LastName: "Smith", Company: "Stark Industries", Title: "Engineer", Website: "starkindustries.com"},
		{ID: "00QI", Object: "Lead", FirstName: "Michael", LastName: "Smith", Company: "Cyberdyne Systems", Title: "Engineer"},
	}
	accounts := []Account{
		{ID: "001A", Name: "Acme Inc", Website: "https://www.acme.com", Phone: "+1 415 555 0100", City: "San Francisco", State: "CA", PostalCode: "94105", Employees: 1200, Industry: "Manufacturing"},
		{ID: "001B", Name: "Globex GmbH", Website: "globex.de", City: "Berlin", Country: "Germany", Employees: 300},
		{ID: "001C", Name: "Initech", Website: "initech.com"},
		{ID: "001D", Name: "Umbrella Corp.", Website: "umbrella.com"},
		{ID: "001E", Name: "Hooli", Website: "hooli.com"},
		{ID: "001F", Name: "Vandelay Industries", Website: "vandelay.com"},
		{ID: "001G", Name: "Wayne Enterprises", Website: "wayneenterprises.com"},
		{ID: "001H", Name: "Pied Piper", Website: "piedpiper.com"},
	}
	leads := []Lead{
		{LeadID: "L1", FirstName: "John", LastName: "Kowalczyk", Email: "John.Kowalczyk@acme.com", CurrentCompany: "Acme", CurrentTitle: "Vice President, Sales", Country: "US"},
		{LeadID: "L2", FirstName: "Bob", LastName: "Mueller", CurrentCompany: "Globex", CurrentCompanyDomain: "globex.de", CurrentTitle: "Dir. Engineering", Country: "DE"},
		{LeadID: "L3", FirstName: "Jose", LastName: "Garcia", CurrentCompany: "Initech Inc.", CurrentTitle: "Chief Financial Officer"},
		{LeadID: "L4", FirstName: "Kathrine", LastName: "Oyelaran", CurrentCompany: "Umbrella", CurrentTitle: "Mktg Mgr"},
		{LeadID: "L5", FirstName: "Priya", LastName: "Raghunathan", CurrentCompany: "Pied Piper", CurrentCompanyDomain: "piedpiper.com", CurrentTitle: "Senior Product Manager", PastCompanies: []string{"Hooli"}, PastTitles: []string{"Product Manager"}},
		{LeadID: "L6", FirstName: "Mateusz", LastName: "Wiśniewski", Email: "mateusz@vandelay.com", CurrentCompany: "Vandelay Industries"},
		{LeadID: "L7", FirstName: "Emily", LastName: "Tran", CurrentCompany: "Massive Dynamic", CurrentTitle: "Software Engineer"},
		{LeadID: "L8", FirstName: "Michael", LastName: "Smith", CurrentCompany: "Stark Industries", CurrentTitle: "Engineer"},
		{LeadID: "L9", FirstName: "Nobody", LastName: "Known", CurrentCompany: "Nowhere Ltd"},
		{LeadID: "L10", FirstName: "Kowalczyk", LastName: "John", CurrentCompany: "Acme Inc", Country: "United States"},
	}
	companies := []Company{
		{AccountID: "C1", Name: "ACME Incorporated", Domain: "acme.com", City: "San Francisco", State: "California", PostalCode: "94105", EmployeesMin: 1001, EmployeesMax: 5000},
		{AccountID: "C2", Name: "Pied Piper", Website: "http://www.piedpiper.com/"},
		{AccountID: "C3", Name: "Soylent", Domain: "soylent.com"},
	}
	want := map[string]struct {
		decision Decision
		crmID    string
	}{
		"L1": {DecisionMatch, "003A"},
		"L2": {DecisionMatch, "003B"},
		"L3": {DecisionMatch, "003C"},
		"L4": {DecisionMatch, "003D"},
		// job change: past company and past title agree
		"L5": {DecisionMatch, "003E"},
		"L6": {DecisionMatch, "003F"},
		// a namesake at a company of another initial is not even a candidate
		"L7": {DecisionNone, ""},
		"L8": {DecisionMatch, "00QH"},
		"L9": {DecisionNone, ""},
		// L10 is L1's person with swapped names, but L1 has taken 003A.
		"L10": {DecisionPossible, "003A"},
	}
	return Input{People: people, Accounts: accounts, Leads: leads, Companies: companies}, want
}

func TestMatchHandWorld(t *testing.T) {
	in, want := handWorld()
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Leads) != len(in.Leads) || len(res.Companies) != len(in.Companies) {
		t.Fatalf("got %d leads, %d companies", len(res.Leads), len(res.Companies))
	}
	for i, lr := range res.Leads {
		if lr.LeadID != in.Leads[i].LeadID {
			t.Errorf("lead %d: id %q, want %q (input order)", i, lr.LeadID, in.Leads[i].LeadID)
		}
		w := want[lr.LeadID]
		if lr.Decision != w.decision || lr.CRMID != w.crmID && w.crmID != "" {
			t.Errorf("%s: got %s %s (p=%.3f, reason %q), want %s %s\n  %s", lr.LeadID, lr.Decision, lr.CRMID, lr.Probability, lr.Reason, w.decision, w.crmID, lr.describe())
		}
		if len(lr.Fields) != len(LeadFields) {
			t.Errorf("%s: %d fields, want %d", lr.LeadID, len(lr.Fields), len(LeadFields))
		}
		for f, fs := range lr.Fields {
			if fs.Field != LeadFields[f] {
				t.Errorf("%s: field %d is %q, want %q", lr.LeadID, f, fs.Field, LeadFields[f])
			}
		}
	}
	byID := map[string]LeadResult{}
	for _, lr := range res.Leads {
		byID[lr.LeadID] = lr
	}
	if lr := byID["L5"]; !lr.JobChange {
		t.Errorf("L5: job change not flagged: %s", lr.describe())
	}
	if lr := byID["L1"]; lr.JobChange || lr.AccountID != "001A" {
		t.Errorf("L1: job change %v, account %q; want false, 001A", lr.JobChange, lr.AccountID)
	}
	if lr := byID["L5"]; lr.AccountID != "001H" {
		t.Errorf("L5: account %q, want 001H (Pied Piper, current company)", lr.AccountID)
	}
	if lr := byID["L10"]; !strings.HasPrefix(lr.Reason, "one-to-one") {
		t.Errorf("L10: reason %q, want one-to-one", lr.Reason)
	}
	if lr := byID["L1"]; !contains(lr.BlockingKeys, "email") {
		t.Errorf("L1: blocking keys %v, want email among them", lr.BlockingKeys)
	}
	wantC := map[string]struct {
		d  Decision
		id string
	}{"C1": {DecisionMatch, "001A"}, "C2": {DecisionMatch, "001H"}, "C3": {DecisionNone, ""}}
	for _, cr := range res.Companies {
		w := wantC[cr.AccountID]
		if cr.Decision != w.d || (w.id != "" && cr.CRMAccountID != w.id) {
			t.Errorf("%s: got %s %s (p=%.3f), want %s %s; fields %+v", cr.AccountID, cr.Decision, cr.CRMAccountID, cr.Probability, w.d, w.id, cr.Fields)
		}
	}
	if res.Stats.Matches+res.Stats.Possible+res.Stats.None != len(in.Leads) {
		t.Errorf("stats %+v do not add up to %d leads", res.Stats, len(in.Leads))
	}
	if len(res.Stats.LeadBlocks) != numLeadKeys || len(res.Stats.CompanyBlocks) != numCompanyKeys {
		t.Errorf("block stats: %d lead keys, %d company keys", len(res.Stats.LeadBlocks), len(res.Stats.CompanyBlocks))
	}
	if res.Stats.CandidatePairs == 0 {
		t.Error("no candidate pairs counted")
	}
}

func TestConvertedLeadReported(t *testing.T) {
	in, _ := handWorld()
	// Without its Contact, the converted Lead is the candidate and is
	// reported as converted so the job can redirect the write.
	var people []Person
	for _, p := range in.People {
		if p.ID != "003F" {
			people = append(people, p)
		}
	}
	in.People = people
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	lr := res.Leads[5]
	if lr.CRMID != "00QF" || !lr.Converted || lr.ConvertedContactID != "003F" || lr.Decision != DecisionMatch {
		t.Errorf("L6: %+v", lr)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestMatchDeterministicAcrossParallelism(t *testing.T) {
	in := syntheticInput(3000, 7)
	var first *Result
	for _, par := range []int{1, 2, 8} {
		opts := DefaultOptions()
		opts.Parallelism = par
		res, err := Match(context.Background(), in, opts)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			if res.Stats.Matches == 0 {
				t.Fatal("synthetic input produced no matches")
			}
			continue
		}
		if !reflect.DeepEqual(first, res) {
			for i := range res.Leads {
				if !reflect.DeepEqual(first.Leads[i], res.Leads[i]) {
					t.Fatalf("parallelism %d: lead %d differs:\n%+v\n%+v", par, i, first.Leads[i], res.Leads[i])
				}
			}
			t.Fatalf("parallelism %d: result differs (stats %+v vs %+v)", par, first.Stats, res.Stats)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	bad := []Options{
		{AutoThreshold: 0, ReviewThreshold: 0.5},
		{AutoThreshold: 1.5, ReviewThreshold: 0.5},
		{AutoThreshold: 0.9, ReviewThreshold: 0},
		{AutoThreshold: 0.5, ReviewThreshold: 0.9},
		{AutoThreshold: 0.9, ReviewThreshold: 0.5, Parallelism: -1},
		{AutoThreshold: 0.9, ReviewThreshold: 0.5, MaxBlockSize: -1},
	}
	for _, o := range bad {
		if _, err := Match(context.Background(), Input{}, o); err == nil || !strings.HasPrefix(err.Error(), "options: ") {
			t.Errorf("Match(%+v): err = %v, want an options error", o, err)
		}
	}
	p := DefaultParams()
	p.Lead[0].Levels[0].M = 0
	o := DefaultOptions()
	o.Params = p
	if _, err := Match(context.Background(), Input{}, o); err == nil || !strings.Contains(err.Error(), "email.exact") {
		t.Errorf("bad params: err = %v", err)
	}
	if _, err := Match(context.Background(), Input{}, DefaultOptions()); err != nil {
		t.Errorf("empty input: %v", err)
	}
}

func TestParamsJSONRoundTrip(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Params
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, &q) {
		t.Error("params changed in a JSON round trip")
	}
	q.Lead = q.Lead[1:]
	if err := q.Validate(); err == nil {
		t.Error("missing field: no error")
	}
}

func TestBlockCapReported(t *testing.T) {
	var people []Person
	for i := range 50 {
		people = append(people, Person{ID: "P" + strconv.Itoa(i), Object: "Contact", FirstName: "Zorya", LastName: "Lee", Company: "Co" + strconv.Itoa(i)})
	}
	in := Input{People: people, Leads: []Lead{{LeadID: "L", FirstName: "Zorya", LastName: "Lee", CurrentCompany: "Cobalt"}}}
	opts := DefaultOptions()
	opts.MaxBlockSize = 10
	res, err := Match(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range res.Stats.LeadBlocks {
		if b.Key == "name+company_initial" {
			found = true
			if b.CappedBlocks != 1 || b.CappedRecords != 40 || b.Pairs != 10 {
				t.Errorf("capped block stats %+v, want 1 capped block, 40 records, 10 pairs", b)
			}
		}
	}
	if !found {
		t.Error("no stats for the phonetic key")
	}
	if res.Leads[0].Decision == DecisionMatch {
		t.Errorf("a name shared by 50 people matched: %s", res.Leads[0].describe())
	}
}

func TestGoldenExplanations(t *testing.T) {
	in, _ := handWorld()
	res, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(struct {
		Leads     []LeadResult
		Companies []CompanyResult
	}{res.Leads, res.Companies}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "explanations.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./matcher -run Golden -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("explanations differ from %s (rerun with -update after reviewing):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

func TestIndexLookup(t *testing.T) {
	var entries []entry
	for i := range 5000 {
		entries = append(entries, entry{keyHash(ixEmail, strconv.Itoa(i%1000)), int32(i)})
	}
	ix := buildIndex(entries, 3)
	if ix.blocks != 1000 || ix.cappedBlocks != 1000 || ix.cappedRecords != 2000 {
		t.Errorf("blocks %d, capped %d blocks %d records", ix.blocks, ix.cappedBlocks, ix.cappedRecords)
	}
	for i := range 1000 {
		got := ix.lookup(keyHash(ixEmail, strconv.Itoa(i)))
		if len(got) != 3 || got[0] != int32(i) || got[1] != int32(i+1000) || got[2] != int32(i+2000) {
			t.Fatalf("lookup %d = %v", i, got)
		}
	}
	if got := ix.lookup(keyHash(ixEmail, "absent")); got != nil {
		t.Errorf("absent key: %v", got)
	}
	empty := buildIndex(nil, 0)
	if got := empty.lookup(42); got != nil {
		t.Errorf("empty index: %v", got)
	}
}

// TestLookupAll checks the batched lookup against lookup, over two
// indexes at once, with blocks of one and of several ids, capped blocks,
// absent keys and an empty index.
func TestLookupAll(t *testing.T) {
	var a, b []entry
	for i := range 5000 {
		a = append(a, entry{keyHash(ixEmail, strconv.Itoa(i%1000)), int32(i)})
		b = append(b, entry{keyHash(ixPhone, strconv.Itoa(i)), int32(i)})
	}
	ixs := []*index{buildIndex(a, 3), buildIndex(b, 0), buildIndex(nil, 0)}
	var ps []probe
	for i := range 1200 { // 1000..1199 are absent from the first index
		for k, ix := range ixs {
			kind := []int{ixEmail, ixPhone, ixName}[k]
			ps = append(ps, probe{h: keyHash(kind, strconv.Itoa(i)), ix: ix, key: k})
		}
	}
	want := map[int][]int32{}
	for n, p := range ps {
		if ids := p.ix.lookup(p.h); ids != nil {
			want[n] = ids
		}
	}
	got := map[int][]int32{}
	lookupAll(ps, func(p *probe, ids []int32) {
		n := slices.IndexFunc(ps, func(q probe) bool { return q.h == p.h && q.ix == p.ix })
		got[n] = slices.Clone(ids)
	})
	if len(want) != 1000+1200 {
		t.Fatalf("lookup found %d blocks, want %d", len(want), 2200)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lookupAll differs from lookup: %d blocks found, want %d", len(got), len(want))
	}
}

func TestSortEntries(t *testing.T) {
	var entries []entry
	for i := range 20000 {
		k := keyHash(ixName, strconv.Itoa(i*7919%3001))
		if i%3 == 0 {
			k = keyHash(ixName, "big block") // one key with thousands of records
		}
		entries = append(entries, entry{k, int32(i)})
	}
	want := slices.Clone(entries)
	slices.SortFunc(want, func(a, b entry) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.id, b.id)
	})
	sortEntries(entries, 64-15)
	if !slices.Equal(entries, want) {
		t.Error("sortEntries differs from a (key, id) sort")
	}
}

// A lead whose given name only resembles the CRM person's (nickname,
// similar spelling) at the same company is a colleague as likely as the
// person: with a title that disagrees it needs an email or phone to match.
func TestSameCompanyNameVariant(t *testing.T) {
	crm := []Person{
		{ID: "003R", Object: "Contact", FirstName: "Robert", LastName: "Hillingdon", Email: "robert.hillingdon@acme.com", Phone: "+1 415 555 0101", Company: "Acme Inc", AccountID: "001A", Title: "VP Sales", Country: "US"},
		{ID: "003S", Object: "Contact", FirstName: "Anna", LastName: "Kowalski", Company: "Globex", AccountID: "001B", Title: "CFO", Country: "US"},
		{ID: "003T", Object: "Contact", FirstName: "Lars", LastName: "Berg", Company: "Initech", AccountID: "001C", Title: "Engineer", Country: "US"},
	}
	tests := []struct {
		name     string
		lead     Lead
		decision Decision
		reason   string
	}{
		{"nickname, same title", Lead{FirstName: "Bob", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "Vice President, Sales"}, DecisionMatch, ""},
		{"nickname, title missing", Lead{FirstName: "Bob", LastName: "Hillingdon", CurrentCompany: "Acme"}, DecisionMatch, ""},
		{"nickname, other title", Lead{FirstName: "Bob", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "name variant and title differs"},
		{"nickname, other title, phone", Lead{FirstName: "Bob", LastName: "Hillingdon", Phone: "(415) 555-0101", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionMatch, ""},
		{"typo, other title", Lead{FirstName: "Robret", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "name variant and title differs"},
		// The same name at the same company with another job, or another
		// mailbox at its domain, may be two people: possible, unless the
		// person's own email or number, or the CRM job among the lead's
		// past positions there (a promotion), says otherwise.
		{"exact name, other title", Lead{FirstName: "Robert", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "same_name_colleague"},
		{"exact name, promoted, old job listed", Lead{FirstName: "Robert", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "SVP Sales",
			PastCompanies: []string{"Acme"}, PastTitles: []string{"Vice President, Sales"}}, DecisionMatch, ""},
		{"exact name, other title, own phone", Lead{FirstName: "Robert", LastName: "Hillingdon", Phone: "(415) 555-0101", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionMatch, ""},
		{"exact name, other mailbox, same title", Lead{FirstName: "Robert", LastName: "Hillingdon", Email: "rhillingdon@acme.com", CurrentCompany: "Acme", CurrentTitle: "VP, Sales"}, DecisionMatch, ""},
		{"exact name, other mailbox, no title", Lead{FirstName: "Robert", LastName: "Hillingdon", Email: "robert.hillingdon2@acme.com", CurrentCompany: "Acme"}, DecisionPossible, "same_name_colleague"},
		{"exact name, other title, typo in the address", Lead{FirstName: "Robert", LastName: "Hillingdon", Email: "robert.hilingdon@acme.com", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "same_name_colleague"},
		{"exact name, personal address, same title", Lead{FirstName: "Robert", LastName: "Hillingdon", Email: "bob.h@gmail.com", CurrentCompany: "Acme", CurrentTitle: "VP Sales"}, DecisionMatch, ""},
		{"other given name", Lead{FirstName: "Rachel", LastName: "Hillingdon", CurrentCompany: "Acme", CurrentTitle: "VP Sales"}, DecisionPossible, "name differs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.lead.LeadID = "L"
			res, err := Match(context.Background(), Input{People: crm, Leads: []Lead{tc.lead}}, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			lr := res.Leads[0]
			if lr.Decision != tc.decision || !strings.HasPrefix(lr.Reason, tc.reason) || lr.CRMID != "003R" {
				t.Errorf("got %s %s %q, want %s 003R %q\n  %s", lr.Decision, lr.CRMID, lr.Reason, tc.decision, tc.reason, lr.describe())
			}
		})
	}
}

// A past-title list keeps empty slots to stay aligned with past companies
// ("|VP Sales"); an empty slot is unknown and must not hide a known title
// that agrees (compareTitle ranks missing below exact, so preparation must
// drop empty slots before the best past title is chosen).
func TestPastTitleEmptySlot(t *testing.T) {
	crm := []Person{{ID: "003R", Object: "Contact", FirstName: "Anna", LastName: "Kowalski", Company: "Globex", AccountID: "001B", Title: "Chief Financial Officer", Country: "US"}}
	const cfo = "Chief Financial Officer"
	tests := []struct {
		name   string
		titles []string
		want   string
	}{
		{"empty slot first", []string{"", cfo}, "exact"},
		{"empty slot last", []string{cfo, ""}, "exact"},
		{"only empty slots", []string{"", ""}, "missing"},
		{"known but other", []string{"", "Legal Counsel"}, "different"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lead := Lead{LeadID: "L", FirstName: "Anna", LastName: "Kowalski", CurrentCompany: "Initech", CurrentTitle: "Controller",
				PastCompanies: make([]string, len(tc.titles)), PastTitles: tc.titles}
			lead.PastCompanies[len(tc.titles)-1] = "Globex"
			res, err := Match(context.Background(), Input{People: crm, Leads: []Lead{lead}}, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			lr := res.Leads[0]
			var got string
			for _, f := range lr.Fields {
				if f.Field == "past_title" {
					got = f.Level
				}
			}
			if lr.CRMID != "003R" || got != tc.want {
				t.Errorf("past_title level %q (crm %q), want %q\n  %s", got, lr.CRMID, tc.want, lr.describe())
			}
		})
	}
}

// TestLeadCompanyHashCollisions makes every lead company key hash alike:
// the deduplication must still tell the companies apart by their strings,
// so each lead's Account is the one found with the real hash.
func TestLeadCompanyHashCollisions(t *testing.T) {
	in := syntheticInput(3000, 11)
	want, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	accounts := 0
	for i := range want.Leads {
		if want.Leads[i].AccountID != "" {
			accounts++
		}
	}
	if accounts == 0 {
		t.Fatal("synthetic input gave no lead an Account")
	}
	real := companyQueryHash
	t.Cleanup(func() { companyQueryHash = real })
	companyQueryHash = func(compQueryKey) uint64 { return 42 }
	got, err := Match(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Leads {
		w, g := want.Leads[i], got.Leads[i]
		if w.AccountID != g.AccountID || w.AccountProbability != g.AccountProbability {
			t.Fatalf("lead %s: account %q (%v) with colliding hashes, want %q (%v)", w.LeadID, g.AccountID, g.AccountProbability, w.AccountID, w.AccountProbability)
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatal("results differ with colliding hashes")
	}
}

// A number several CRM people carry (a switchboard) tells the company, not
// the person: it lifts no rule that needs the person's own number, and two
// colleagues sharing it are not one person twice.
func TestSharedPhone(t *testing.T) {
	crm := []Person{
		{ID: "003R", Object: "Contact", FirstName: "Robert", LastName: "Hillingdon", Phone: "+1 415 555 0100 ext. 101", Company: "Acme Inc", AccountID: "001A", Title: "VP Sales", Country: "US"},
		{ID: "003S", Object: "Contact", FirstName: "Maria", LastName: "Lopez", Phone: "+1 415 555 0100 x102", Company: "Acme Inc", AccountID: "001A", Title: "CFO", Country: "US"},
		{ID: "003T", Object: "Contact", FirstName: "Lars", LastName: "Berg", Phone: "(415) 555-0100 ext 103", Company: "Acme Inc", AccountID: "001A", Title: "Engineer", Country: "US"},
		{ID: "003U", Object: "Contact", FirstName: "Nina", LastName: "Olsen", Phone: "+1 415 555 0199", Company: "Acme Inc", AccountID: "001A", Title: "Head of Legal", Country: "US"},
	}
	tests := []struct {
		name     string
		lead     Lead
		decision Decision
		crmID    string
		reason   string
	}{
		{"same person, switchboard", Lead{FirstName: "Robert", LastName: "Hillingdon", Phone: "415-555-0100", CurrentCompany: "Acme", CurrentTitle: "VP, Sales"}, DecisionMatch, "003R", ""},
		{"nickname, other title, switchboard", Lead{FirstName: "Bob", LastName: "Hillingdon", Phone: "415-555-0100", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "003R", "shared_phone"},
		{"same name, other title, switchboard", Lead{FirstName: "Robert", LastName: "Hillingdon", Phone: "415-555-0100", CurrentCompany: "Acme", CurrentTitle: "Legal Counsel"}, DecisionPossible, "003R", "shared_phone"},
		{"nickname, other title, own number", Lead{FirstName: "Nin", LastName: "Olsen", Phone: "415-555-0199", CurrentCompany: "Acme", CurrentTitle: "Sales Manager"}, DecisionMatch, "003U", ""},
		{"a colleague of nobody's name", Lead{FirstName: "Tom", LastName: "Reyes", Phone: "415-555-0100", CurrentCompany: "Acme", CurrentTitle: "Buyer"}, DecisionNone, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.lead.LeadID = "L"
			res, err := Match(context.Background(), Input{People: crm, Leads: []Lead{tc.lead}}, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			lr := res.Leads[0]
			if lr.Decision != tc.decision || !strings.HasPrefix(lr.Reason, tc.reason) || tc.crmID != "" && lr.CRMID != tc.crmID {
				t.Errorf("got %s %s %q, want %s %s %q\n  %s", lr.Decision, lr.CRMID, lr.Reason, tc.decision, tc.crmID, tc.reason, lr.describe())
			}
		})
	}
	// Colleagues on one switchboard are two people: the runner-up is not
	// skipped as a duplicate.
	in := Input{People: crm, Leads: []Lead{{LeadID: "L", FirstName: "Maria", LastName: "Lopez", Phone: "415-555-0100", CurrentCompany: "Acme", CurrentTitle: "CFO"}}}
	r, err := newRun(context.Background(), in, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if sameCRMPerson(&r.crm[0], &r.crm[1]) || r.crm[0].phoneOthers[0] != 2 || r.crm[3].phoneOthers[0] != 0 {
		t.Errorf("switchboard colleagues: same person %v, others %v %v", sameCRMPerson(&r.crm[0], &r.crm[1]), r.crm[0].phoneOthers, r.crm[3].phoneOthers)
	}
}

// A job changer's current company differs from the CRM record's by
// definition: in the job_change context it weighs as a person who left
// (JobChangeLeft), not as any lead whose company differs; a parameter
// file without the key takes the default; a value out of range is refused.
func TestJobChangeLeft(t *testing.T) {
	p := DefaultParams()
	c, err := p.compile()
	if err != nil {
		t.Fatal(err)
	}
	general := c.ctx[ctxGeneral][fCompany][lvDifferent]
	moved := c.ctx[ctxJobChange][fCompany][lvDifferent]
	if want := math.Log2(0.95 / 0.986); math.Abs(moved-want) > 1e-9 || general > -2 {
		t.Errorf("current company different: job_change %.3f (want %.3f), general %.3f (want below -2)", moved, want, general)
	}
	if c.ctx[ctxSameCompany][fCompany] != c.lead[fCompany] {
		t.Error("same_company context changed the current company's weights")
	}
	old := DefaultParams()
	old.JobChangeLeft = 0
	if c2, err := old.compile(); err != nil || c2.ctx[ctxJobChange][fCompany][lvDifferent] != moved {
		t.Errorf("file without job_change_left: err %v, weight %v, want %v", err, c2.ctx[ctxJobChange][fCompany][lvDifferent], moved)
	}
	bad := DefaultParams()
	bad.JobChangeLeft = 1.5
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "job_change_left") {
		t.Errorf("job_change_left 1.5: err = %v", err)
	}
}

// A parameter file written before the contexts had past_title is read
// with its defaults; the job_change context weighs the past title the
// lead lists at the CRM record's company higher than in general.
func TestContextPastTitle(t *testing.T) {
	p := DefaultParams()
	for k := range p.Contexts {
		p.Contexts[k].Fields = p.Contexts[k].Fields[:3] // email, phone, current_title
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var old Params
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	c, err := old.compile()
	if err != nil {
		t.Fatalf("file without past_title in its contexts: %v", err)
	}
	def, _ := DefaultParams().compile()
	if c.ctx != def.ctx {
		t.Error("past_title's context defaults differ from the shipped ones")
	}
	if len(old.Contexts[0].Fields) != 3 {
		t.Error("upgrading changed the caller's params")
	}
	if g, j := def.ctx[ctxGeneral][fPastTitle][lvExact], def.ctx[ctxJobChange][fPastTitle][lvExact]; j < g+1.5 {
		t.Errorf("past_title exact: job_change %.2f bits, general %.2f; want the job change's at least 1.5 bits more", j, g)
	}
	if def.ctx[ctxSameCompany][fPastTitle] != def.lead[fPastTitle] {
		t.Error("same_company context changed the past title's weights")
	}
}

// A parameter file written before the email level alias (in the lead
// fields and in the contexts) is read with the level's defaults.
func TestParamsWithoutAliasLevel(t *testing.T) {
	p := DefaultParams()
	drop := func(fs []FieldParams) {
		for i := range fs {
			fs[i].Levels = slices.DeleteFunc(fs[i].Levels, func(lp LevelParams) bool { return lp.Level == "alias" })
		}
	}
	drop(p.Lead)
	for k := range p.Contexts {
		drop(p.Contexts[k].Fields)
	}
	c, err := p.compile()
	if err != nil {
		t.Fatalf("file without alias: %v", err)
	}
	def, _ := DefaultParams().compile()
	if c.ctx != def.ctx || c.lead != def.lead {
		t.Error("alias defaults differ from the shipped ones")
	}
	if a, sd := def.ctx[ctxSameCompany][fEmail][lvAlias], def.ctx[ctxSameCompany][fEmail][lvSameDomain]; !(a > sd && a < 0) {
		t.Errorf("same company: alias %.2f bits, same_domain %.2f; want alias between same_domain and 0", a, sd)
	}
}
