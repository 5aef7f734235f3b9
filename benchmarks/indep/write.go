package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	cw.Write(header)
	cw.WriteAll(rows)
	if err := cw.Error(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return f.Close()
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// write puts the org snapshot in dir/crm, the export in dir/leads.csv and
// the truth in dir/truth.csv.
func (w *world) write(dir string) error {
	crm := filepath.Join(dir, "crm")
	if err := os.MkdirAll(crm, 0o755); err != nil {
		return err
	}
	var acc [][]string
	for _, co := range w.accounts {
		emp := ""
		if co.employees > 0 {
			emp = fmt.Sprint(co.employees)
		}
		acc = append(acc, []string{co.id, co.name, co.website, co.phone.format(0), co.street, co.hq.name, co.hq.state,
			co.postal, co.c.names[0], emp, co.industry})
	}
	if err := writeCSV(filepath.Join(crm, "Account.csv"), []string{"Id", "Name", "Website", "Phone", "BillingStreet",
		"BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "NumberOfEmployees", "Industry"}, acc); err != nil {
		return err
	}
	var contacts, leads [][]string
	for _, rc := range w.records {
		if rc.object == "Contact" {
			contacts = append(contacts, []string{rc.id, rc.first, rc.last, rc.email, rc.phone, rc.mobile, rc.accountID,
				rc.company, rc.title, rc.city, rc.state, rc.country, rc.owner, "", ""})
			continue
		}
		leads = append(leads, []string{rc.id, rc.first, rc.last, rc.email, rc.phone, rc.mobile, rc.company, rc.title,
			rc.website, rc.street, rc.city, rc.state, rc.postal, rc.country, boolStr(rc.converted), rc.convContact,
			rc.convAccount, rc.owner, "", ""})
	}
	if err := writeCSV(filepath.Join(crm, "Contact.csv"), []string{"Id", "FirstName", "LastName", "Email", "Phone",
		"MobilePhone", "AccountId", "Account.Name", "Title", "MailingCity", "MailingState", "MailingCountry", "OwnerId",
		"Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"}, contacts); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(crm, "Lead.csv"), []string{"Id", "FirstName", "LastName", "Email", "Phone",
		"MobilePhone", "Company", "Title", "Website", "Street", "City", "State", "PostalCode", "Country", "IsConverted",
		"ConvertedContactId", "ConvertedAccountId", "OwnerId", "Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"}, leads); err != nil {
		return err
	}
	var users [][]string
	for _, u := range w.users {
		users = append(users, []string{u.id, u.email, u.username, "true"})
	}
	if err := writeCSV(filepath.Join(crm, "User.csv"), []string{"Id", "Email", "Username", "IsActive"}, users); err != nil {
		return err
	}
	var opps [][]string
	for _, o := range w.opps {
		opps = append(opps, []string{o.id, o.name, o.accountID, o.stage, o.close, "false"})
	}
	if err := writeCSV(filepath.Join(crm, "Opportunity.csv"), []string{"Id", "Name", "AccountId", "StageName", "CloseDate", "IsClosed"}, opps); err != nil {
		return err
	}
	var rows, truth [][]string
	for _, l := range w.leads {
		rows = append(rows, []string{l.id, l.profile, l.first, l.last, l.email, l.phone, l.company, l.domain, l.title,
			strings.Join(l.pastCompanies, "|"), strings.Join(l.pastTitles, "|"), l.city, l.state, l.country, l.owner, l.list})
		truth = append(truth, []string{l.id, l.kind, strings.Join(l.truth, "|"), l.shadow})
	}
	if err := writeCSV(filepath.Join(dir, "leads.csv"), []string{"lead_id", "profile_url", "first_name", "last_name", "email",
		"phone", "current_company", "current_company_domain", "current_title", "past_company", "past_title", "city",
		"state", "country", "owner_email", "lead_list"}, rows); err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, "truth.csv"), []string{"lead_id", "case", "crm_ids", "resembles"}, truth)
}
