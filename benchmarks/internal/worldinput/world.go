package worldinput

import (
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// FromWorld converts a generated world to the matcher's input: Contacts
// and Leads (converted ones included) as people, Accounts, and the Sales
// Navigator lead and account exports. Contacts carry their Account's
// website, as navsync does when it joins Contact.AccountId to Account.
func FromWorld(w *fixtures.World) matcher.Input {
	in := matcher.Input{
		People:    make([]matcher.Person, 0, len(w.Contacts)+len(w.Leads)),
		Accounts:  make([]matcher.Account, 0, len(w.Accounts)),
		Leads:     make([]matcher.Lead, 0, len(w.SNLeads)),
		Companies: make([]matcher.Company, 0, len(w.SNAccounts)),
	}
	website := make(map[string]string, len(w.Accounts))
	for _, a := range w.Accounts {
		website[a.ID] = a.Website
		in.Accounts = append(in.Accounts, matcher.Account{
			ID: a.ID, Name: a.Name, Website: a.Website, Phone: a.Phone, Street: a.BillingStreet, City: a.BillingCity,
			State: a.BillingState, PostalCode: a.BillingPostalCode, Country: a.BillingCountry,
			Employees: a.NumberOfEmployees, Industry: a.Industry,
		})
	}
	for _, c := range w.Contacts {
		in.People = append(in.People, matcher.Person{
			ID: c.ID, Object: "Contact", FirstName: c.FirstName, LastName: c.LastName, Email: c.Email,
			Phone: c.Phone, MobilePhone: c.MobilePhone, Company: c.AccountName, AccountID: c.AccountID,
			Website: website[c.AccountID], Title: c.Title, City: c.MailingCity, State: c.MailingState,
			Country: c.MailingCountry, LinkedLeadID: c.SNLeadID,
		})
	}
	for _, l := range w.Leads {
		in.People = append(in.People, matcher.Person{
			ID: l.ID, Object: "Lead", FirstName: l.FirstName, LastName: l.LastName, Email: l.Email,
			Phone: l.Phone, MobilePhone: l.MobilePhone, Company: l.Company, Website: l.Website, Title: l.Title,
			City: l.City, State: l.State, Country: l.Country, IsConverted: l.IsConverted,
			ConvertedContactID: l.ConvertedContactID, ConvertedAccountID: l.ConvertedAccountID,
			LinkedLeadID: l.SNLeadID,
		})
	}
	for _, l := range w.SNLeads {
		in.Leads = append(in.Leads, matcher.Lead{
			LeadID: l.LeadID, ProfileURL: l.ProfileURL, FirstName: l.FirstName, LastName: l.LastName, Email: l.Email,
			Phone: l.Phone, CurrentCompany: l.CurrentCompany, CurrentCompanyDomain: l.CurrentCompanyDomain,
			CurrentTitle: l.CurrentTitle, PastCompanies: l.PastCompanies, PastTitles: l.PastTitles, City: l.City,
			State: l.State, Country: l.Country, OwnerEmail: l.OwnerEmail, LeadList: l.LeadList,
		})
	}
	for _, a := range w.SNAccounts {
		lo, hi := Employees(a.Employees)
		in.Companies = append(in.Companies, matcher.Company{
			AccountID: a.AccountID, Name: a.Name, Domain: a.Domain, Website: a.Website, Phone: a.Phone,
			Street: a.Street, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country,
			EmployeesMin: lo, EmployeesMax: hi, Industry: a.Industry, OwnerEmail: a.OwnerEmail,
		})
	}
	return in
}
