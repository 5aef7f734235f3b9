package main

import (
	"strings"

	"github.com/navsync/navsync/matcher"
)

// baseline is the simple matcher the issue compares against: exact email
// (trimmed, case-insensitive), else exact first name + last name + company.
// It returns the CRM id picked for each lead ("" for none). When several
// CRM records share the key, the first in input order wins.
func baseline(in *matcher.Input) []string {
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	byEmail := map[string]string{}
	byName := map[string]string{}
	for _, p := range in.People {
		if e := norm(p.Email); e != "" {
			if _, ok := byEmail[e]; !ok {
				byEmail[e] = p.ID
			}
		}
		k := norm(p.FirstName) + "\x00" + norm(p.LastName) + "\x00" + norm(p.Company)
		if _, ok := byName[k]; !ok {
			byName[k] = p.ID
		}
	}
	out := make([]string, len(in.Leads))
	for i, l := range in.Leads {
		if e := norm(l.Email); e != "" {
			if id, ok := byEmail[e]; ok {
				out[i] = id
				continue
			}
		}
		if norm(l.FirstName) == "" || norm(l.LastName) == "" {
			continue
		}
		out[i] = byName[norm(l.FirstName)+"\x00"+norm(l.LastName)+"\x00"+norm(l.CurrentCompany)]
	}
	return out
}
