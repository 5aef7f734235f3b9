package review

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/htmltest"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/net/html"
)

// hostile is a lead's first name that runs a script wherever a page puts
// it into the HTML unescaped.
const hostile = `<img src=x onerror="window.__pwned=1">`

// hostileID is a lead id that ends a script element unescaped.
const hostileID = `L</script><script>window.__pwned=2</script>`

// worldPage is a page input for a generated world matched for real, with
// a hostile name, id, company and file name, actions, quota, rejects and
// reviews.
func worldPage(t testing.TB, people int) *Input {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: 7, People: people})
	if err != nil {
		t.Fatal(err)
	}
	var in matcher.Input
	site := map[string]string{}
	for _, a := range w.Accounts {
		site[a.ID] = a.Website
		in.Accounts = append(in.Accounts, matcher.Account{ID: a.ID, Name: a.Name, Website: a.Website, Phone: a.Phone,
			City: a.BillingCity, Country: a.BillingCountry})
	}
	for _, c := range w.Contacts {
		in.People = append(in.People, matcher.Person{ID: c.ID, Object: "Contact", FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			Phone: c.Phone, Company: c.AccountName, AccountID: c.AccountID, Website: site[c.AccountID], Title: c.Title, Country: c.MailingCountry})
	}
	for _, l := range w.Leads {
		in.People = append(in.People, matcher.Person{ID: l.ID, Object: "Lead", FirstName: l.FirstName, LastName: l.LastName, Email: l.Email,
			Phone: l.Phone, Company: l.Company, Website: l.Website, Title: l.Title, Country: l.Country, IsConverted: l.IsConverted,
			ConvertedContactID: l.ConvertedContactID})
	}
	for _, l := range w.SNLeads {
		in.Leads = append(in.Leads, matcher.Lead{LeadID: l.LeadID, FirstName: l.FirstName, LastName: l.LastName, Email: l.Email, Phone: l.Phone,
			CurrentCompany: l.CurrentCompany, CurrentCompanyDomain: l.CurrentCompanyDomain, CurrentTitle: l.CurrentTitle,
			PastCompanies: l.PastCompanies, PastTitles: l.PastTitles, City: l.City, Country: l.Country, OwnerEmail: l.OwnerEmail, LeadList: l.LeadList})
	}
	// A hostile lead: a CRM Contact's same-name colleague (same name and
	// company, another job, no email or phone: possible), under a name
	// and id that would run a script, with hostile owner, list and city.
	for j, p := range in.People {
		if p.Object == "Contact" && p.Company != "" && p.Title != "" {
			in.People[j].FirstName = hostile
			in.Leads = append(in.Leads, matcher.Lead{LeadID: hostileID, FirstName: hostile, LastName: p.LastName,
				CurrentCompany: p.Company, CurrentTitle: "Chief Hostile Officer", City: `<b onmouseover=alert(1)>`,
				LeadList: `' onmouseover='alert(1)`, OwnerEmail: `"><svg onload=alert(1)>@x.com`})
			break
		}
	}
	opts := matcher.DefaultOptions()
	opts.Parallelism = 2
	res, err := matcher.Match(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 12, 3, 2, 30, 0, 0, time.UTC)
	acts := []Action{
		{LeadID: "L1", Kind: "writeback", Status: "done", Object: "Contact", TargetID: "003A"},
		{LeadID: "L2", Kind: "writeback", Status: "failed", Object: "Contact", ErrorCode: "UNABLE_TO_LOCK_ROW", ErrorMessage: "unable to obtain exclusive access"},
		{LeadID: hostile, Kind: "writeback", Status: "failed", Object: "Lead", ErrorCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", ErrorMessage: hostile},
		{LeadID: "L4", Kind: "writeback", Status: "skipped", Reason: "already_linked"},
		{LeadID: "L5", Kind: "create_contact", Status: "done", OnBehalfOf: "005A"},
	}
	return &Input{
		Run: Run{Command: "run", RunID: "20261203T023000Z-ab12", Started: started, Ended: started.Add(95 * time.Second), OrgID: "00D000000000001AAA",
			InstanceURL: "https://acme.my.salesforce.com", DryRun: true, Status: "succeeded",
			Stages:   []Stage{{Name: "extract", Seconds: 12.5}, {Name: "match", Seconds: 1.2}},
			APICalls: &APICalls{Spent: 31, WriteCalls: 8, Estimated: true, OrgUsed: 5018, OrgMax: 100000}},
		AutoThreshold: opts.AutoThreshold, ReviewThreshold: opts.ReviewThreshold, LeadPrior: matcher.LeadPrior(nil, len(in.People)),
		Leads: in.Leads, Results: res.Leads, Companies: res.Companies, Stats: res.Stats, People: in.People, Accounts: in.Accounts,
		Users:   []input.User{{ID: "005A", Username: "owner@acme.com"}},
		Files:   []input.FileStat{{Path: "/data/" + hostile + ".csv", Kind: "leads", Rows: len(in.Leads), Rejected: 2}},
		Rejects: []input.Reject{{File: "/data/leads.csv", Line: 7, Reason: "wrong_column_count", Detail: "17 fields, header has 15", Raw: hostile + ",x"}, {File: "/data/leads.csv", Line: 9, Reason: "empty_lead_id", Raw: ",a,b"}},
		Actions: slices.Values(acts),
		Quota:   []Quota{{UserID: "005A", Month: "2026-12", Day: "2026-12-03", Created: 3, Remains: 997, APICalls: 7, APIRemains: 993}},
		Reviews: &Reviews{Files: []string{"reviews.csv"}, Read: 3, Imported: 3, Stored: 5, SettledSame: 2, SettledDifferent: 1,
			NotApplied: []NotApplied{{LeadID: "L9", CRMID: "003Z", Probability: 0.05, Why: "scores below the review threshold 0.2 now"}},
			Problems:   []VerdictProblem{{File: "reviews.csv", Line: 4, LeadID: hostile, CRMID: "003Q", Problem: "no such lead in this run"}},
			Precision:  Precision{Threshold: 0.95, Pairs: 4, Same: 3, Value: 0.75, Bands: []Band{{Label: "at or above auto 0.95", Same: 3, Different: 1}}}},
	}
}

// render writes in's page and parses it.
func render(t testing.TB, in *Input) ([]byte, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), doc
}

func byID(t testing.TB, doc *html.Node, id string) *html.Node {
	t.Helper()
	n := htmltest.ByID(doc, id)
	if n == nil {
		t.Fatalf("no element with id %q", id)
	}
	return n
}

// findClass returns the elements under n with tag and class among their
// classes.
func findClass(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	for _, e := range htmltest.Find(n, tag) {
		if hasClass(e, class) {
			out = append(out, e)
		}
	}
	return out
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(htmltest.Attr(n, "class")), class)
}

// tableRows are the cell texts of a table's body rows.
func tableRows(table *html.Node) [][]string {
	var out [][]string
	for _, tb := range htmltest.Find(table, "tbody") {
		for _, tr := range htmltest.Find(tb, "tr") {
			var cells []string
			for _, td := range htmltest.Find(tr, "td") {
				cells = append(cells, htmltest.Text(td))
			}
			out = append(out, cells)
		}
	}
	return out
}
