// Package worldinput turns generated worlds (package fixtures) into
// matcher.Input in memory, for the eval harness and the scale benchmark.
package worldinput

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/navsync/navsync/matcher"
)

// table is a CRM object as rows of strings with Salesforce API field names.
type table struct {
	header map[string]int
	rows   [][]string
}

func newTable(header []string, rows [][]string) table {
	t := table{header: make(map[string]int, len(header)), rows: rows}
	for i, h := range header {
		t.header[h] = i
	}
	return t
}

func (t table) get(row []string, field string) string {
	i, ok := t.header[field]
	if !ok || i >= len(row) {
		return ""
	}
	return row[i]
}

// first returns the first non-empty of several fields.
func (t table) first(row []string, fields ...string) string {
	for _, f := range fields {
		if v := t.get(row, f); v != "" {
			return v
		}
	}
	return ""
}

func parseBool(s string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(s))
	return b
}

// Contacts converts Contact rows (Id, FirstName, LastName, Email, Phone,
// MobilePhone, AccountId, Account.Name, Title, MailingCity, MailingState,
// MailingCountry) to matcher people.
func Contacts(header []string, rows [][]string, accountWebsite map[string]string) ([]matcher.Person, error) {
	t := newTable(header, rows)
	if _, ok := t.header["Id"]; !ok {
		return nil, fmt.Errorf("contact table: no Id column")
	}
	out := make([]matcher.Person, 0, len(rows))
	for _, r := range rows {
		acc := t.get(r, "AccountId")
		out = append(out, matcher.Person{
			ID: t.get(r, "Id"), Object: "Contact",
			FirstName: t.get(r, "FirstName"), LastName: t.get(r, "LastName"),
			Email: t.get(r, "Email"), Phone: t.get(r, "Phone"), MobilePhone: t.get(r, "MobilePhone"),
			Company: t.get(r, "Account.Name"), AccountID: acc, Website: accountWebsite[acc],
			Title: t.get(r, "Title"), City: t.get(r, "MailingCity"), State: t.get(r, "MailingState"),
			Country: t.get(r, "MailingCountry"),
		})
	}
	return out, nil
}

// Leads converts Lead rows to matcher people; converted Leads keep their
// ConvertedContactId and ConvertedAccountId.
func Leads(header []string, rows [][]string) ([]matcher.Person, error) {
	t := newTable(header, rows)
	if _, ok := t.header["Id"]; !ok {
		return nil, fmt.Errorf("lead table: no Id column")
	}
	out := make([]matcher.Person, 0, len(rows))
	for _, r := range rows {
		out = append(out, matcher.Person{
			ID: t.get(r, "Id"), Object: "Lead",
			FirstName: t.get(r, "FirstName"), LastName: t.get(r, "LastName"),
			Email: t.get(r, "Email"), Phone: t.get(r, "Phone"), MobilePhone: t.get(r, "MobilePhone"),
			Company: t.get(r, "Company"), Website: t.get(r, "Website"), Title: t.get(r, "Title"),
			City: t.get(r, "City"), State: t.get(r, "State"), Country: t.get(r, "Country"),
			IsConverted:        parseBool(t.get(r, "IsConverted")),
			ConvertedContactID: t.get(r, "ConvertedContactId"),
			ConvertedAccountID: t.get(r, "ConvertedAccountId"),
		})
	}
	return out, nil
}

// Accounts converts Account rows to matcher accounts.
func Accounts(header []string, rows [][]string) ([]matcher.Account, error) {
	t := newTable(header, rows)
	if _, ok := t.header["Id"]; !ok {
		return nil, fmt.Errorf("account table: no Id column")
	}
	out := make([]matcher.Account, 0, len(rows))
	for _, r := range rows {
		emp, _ := strconv.Atoi(strings.TrimSpace(t.get(r, "NumberOfEmployees")))
		out = append(out, matcher.Account{
			ID: t.get(r, "Id"), Name: t.get(r, "Name"), Website: t.get(r, "Website"), Phone: t.get(r, "Phone"),
			Street: t.first(r, "BillingStreet", "ShippingStreet"), City: t.first(r, "BillingCity", "ShippingCity"),
			State: t.first(r, "BillingState", "ShippingState"), PostalCode: t.first(r, "BillingPostalCode", "ShippingPostalCode"),
			Country: t.first(r, "BillingCountry", "ShippingCountry"), Employees: emp, Industry: t.get(r, "Industry"),
		})
	}
	return out, nil
}

// Websites maps account id to website, so Contacts carry their Account's
// website as a company-domain signal.
func Websites(accounts []matcher.Account) map[string]string {
	m := make(map[string]string, len(accounts))
	for _, a := range accounts {
		if a.Website != "" {
			m[a.ID] = a.Website
		}
	}
	return m
}

// Employees parses "51-200", "10,001+" or "120" into a range; 0, 0 when
// unknown.
func Employees(s string) (lo, hi int) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, 0
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, _ = strconv.Atoi(strings.TrimSpace(a))
		hi, _ = strconv.Atoi(strings.TrimSpace(b))
		return lo, max(hi, lo)
	}
	if a, ok := strings.CutSuffix(s, "+"); ok {
		lo, _ = strconv.Atoi(a)
		return lo, lo * 10
	}
	lo, _ = strconv.Atoi(s)
	return lo, lo
}
