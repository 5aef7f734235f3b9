package matcher_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// worldInput converts a generated world (the full converter, with Sales
// Navigator accounts, is benchmarks/internal/worldinput).
func worldInput(w *fixtures.World) matcher.Input {
	var in matcher.Input
	site := map[string]string{}
	for _, a := range w.Accounts {
		site[a.ID] = a.Website
		in.Accounts = append(in.Accounts, matcher.Account{ID: a.ID, Name: a.Name, Website: a.Website, Phone: a.Phone, Street: a.BillingStreet,
			City: a.BillingCity, State: a.BillingState, PostalCode: a.BillingPostalCode, Country: a.BillingCountry, Employees: a.NumberOfEmployees, Industry: a.Industry})
	}
	for _, c := range w.Contacts {
		in.People = append(in.People, matcher.Person{ID: c.ID, Object: "Contact", FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			Phone: c.Phone, MobilePhone: c.MobilePhone, Company: c.AccountName, AccountID: c.AccountID, Website: site[c.AccountID],
			Title: c.Title, Country: c.MailingCountry, LinkedLeadID: c.SNLeadID})
	}
	for _, l := range w.Leads {
		in.People = append(in.People, matcher.Person{ID: l.ID, Object: "Lead", FirstName: l.FirstName, LastName: l.LastName, Email: l.Email,
			Phone: l.Phone, MobilePhone: l.MobilePhone, Company: l.Company, Website: l.Website, Title: l.Title, Country: l.Country,
			IsConverted: l.IsConverted, ConvertedContactID: l.ConvertedContactID, LinkedLeadID: l.SNLeadID})
	}
	for _, l := range w.SNLeads {
		in.Leads = append(in.Leads, matcher.Lead{LeadID: l.LeadID, FirstName: l.FirstName, LastName: l.LastName, Email: l.Email, Phone: l.Phone,
			CurrentCompany: l.CurrentCompany, CurrentCompanyDomain: l.CurrentCompanyDomain, CurrentTitle: l.CurrentTitle,
			PastCompanies: l.PastCompanies, PastTitles: l.PastTitles, Country: l.Country})
	}
	return in
}

// TestTrainedParamsOnWorld trains on a generated world and checks the
// trained parameters keep the precision and recall targets there.
func TestTrainedParamsOnWorld(t *testing.T) {
	w, err := fixtures.Generate(fixtures.Options{Seed: 5, People: 3000})
	if err != nil {
		t.Fatal(err)
	}
	in := worldInput(w)
	p, err := matcher.Train(context.Background(), in, matcher.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts := matcher.DefaultOptions()
	opts.Params = p
	res, err := matcher.Match(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	var match, right, inOrg int
	var wrong []string
	for i, tr := range w.LeadTruth {
		if len(tr.CRMIDs) > 0 {
			inOrg++
		}
		if res.Leads[i].Decision == matcher.DecisionMatch {
			match++
			if slices.Contains(tr.CRMIDs, res.Leads[i].CRMID) {
				right++
			} else {
				wrong = append(wrong, tr.Scenario)
			}
		}
	}
	precision, recall := float64(right)/float64(match), float64(right)/float64(inOrg)
	if precision < 0.995 || recall < 0.90 {
		t.Errorf("with trained params: precision %.4f, recall %.4f (wrong: %s); params lead match rate %v",
			precision, recall, strings.Join(wrong, ","), strconv.FormatFloat(p.LeadMatchRate, 'g', 4, 64))
	}
}

// TestDeterministicOnWorld: the same decisions and explanations whatever
// the parallelism, on a generated world.
func TestDeterministicOnWorld(t *testing.T) {
	w, err := fixtures.Generate(fixtures.Options{Seed: 9, People: 3000})
	if err != nil {
		t.Fatal(err)
	}
	in := worldInput(w)
	var first *matcher.Result
	for _, par := range []int{1, 2, 8} {
		opts := matcher.DefaultOptions()
		opts.Parallelism = par
		res, err := matcher.Match(context.Background(), in, opts)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			continue
		}
		if !reflect.DeepEqual(first, res) {
			t.Fatalf("parallelism %d gives another result than parallelism 1", par)
		}
	}
}
