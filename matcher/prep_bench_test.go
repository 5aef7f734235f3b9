package matcher_test

import (
	"context"
	"testing"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// BenchmarkPrepareWorld normalises the CRM people and the Sales Navigator
// leads of a generated world of 200,000 people on one goroutine: the CPU
// cost per record of normalisation, memos included, at a size where the
// memos see many distinct companies.
func BenchmarkPrepareWorld(b *testing.B) {
	w, err := fixtures.Generate(fixtures.Options{Seed: 11, People: 200_000})
	if err != nil {
		b.Fatal(err)
	}
	var in matcher.Input
	website := map[string]string{}
	for _, a := range w.Accounts {
		website[a.ID] = a.Website
		in.Accounts = append(in.Accounts, matcher.Account{ID: a.ID, Name: a.Name, Website: a.Website, Country: a.BillingCountry})
	}
	for _, c := range w.Contacts {
		in.People = append(in.People, matcher.Person{ID: c.ID, Object: "Contact", FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			Phone: c.Phone, MobilePhone: c.MobilePhone, Company: c.AccountName, AccountID: c.AccountID, Website: website[c.AccountID],
			Title: c.Title, Country: c.MailingCountry})
	}
	for _, l := range w.Leads {
		in.People = append(in.People, matcher.Person{ID: l.ID, Object: "Lead", FirstName: l.FirstName, LastName: l.LastName, Email: l.Email,
			Phone: l.Phone, MobilePhone: l.MobilePhone, Company: l.Company, Website: l.Website, Title: l.Title, Country: l.Country})
	}
	for _, l := range w.SNLeads {
		in.Leads = append(in.Leads, matcher.Lead{LeadID: l.LeadID, FirstName: l.FirstName, LastName: l.LastName, Email: l.Email, Phone: l.Phone,
			CurrentCompany: l.CurrentCompany, CurrentCompanyDomain: l.CurrentCompanyDomain, CurrentTitle: l.CurrentTitle,
			PastCompanies: l.PastCompanies, PastTitles: l.PastTitles, Country: l.Country})
	}
	ctx := context.Background()
	for b.Loop() {
		if err := matcher.PrepareForBench(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(in.People)+len(in.Leads)), "µs/record")
}
