package matcher

import (
	"context"
	"strings"
)

// prepCompany is a normalised CRM Account, Sales Navigator company, or the
// current company of a lead.
type prepCompany struct {
	name        compName
	domain      string // registrable domain
	host        string // website host without www.
	street      string
	city, state string
	postal      string
	industry    string
	phone       uint64
	empMin      int32
	empMax      int32
	nameCount   int32   // CRM frequency of the name (CRM side)
	tfW         float32 // exact name weight after term-frequency adjustment (CRM side)
}

func (n *normalizer) prepAccount(a *Account) prepCompany {
	var c prepCompany
	c.name = newCompName(n.company(a.Name))
	c.domain = registrableDomain(a.Website)
	c.host = hostOf(a.Website)
	c.phone = n.phone(a.Phone, n.regionOf(a.Country))
	c.street = n.street(a.Street)
	c.city = n.place(a.City, false)
	c.state = n.place(a.State, true)
	c.postal = postal(a.PostalCode)
	c.empMin, c.empMax = int32(a.Employees), int32(a.Employees)
	c.industry = n.place(a.Industry, false)
	return c
}

// prepSNCompany normalises a Sales Navigator company as the Account it
// would be, then takes the export's own domain (before the website's) and
// employee range.
func (n *normalizer) prepSNCompany(a *Company) prepCompany {
	c := n.prepAccount(&Account{
		Name: a.Name, Website: a.Website, Phone: a.Phone, Country: a.Country,
		Street: a.Street, City: a.City, State: a.State, PostalCode: a.PostalCode,
		Industry: a.Industry,
	})
	if d := registrableDomain(a.Domain); d != "" {
		c.domain = d
	}
	c.empMin, c.empMax = int32(a.EmployeesMin), int32(a.EmployeesMax)
	if c.empMax < c.empMin {
		c.empMax = c.empMin
	}
	return c
}

// leadCompany is the current company of a normalised lead, as a company
// query: its name and its domain (the export's company domain, else the
// domain of a work email).
func leadCompany(p *prepPerson) prepCompany {
	return prepCompany{name: *p.company, domain: leadCompanyKey(p).domain}
}

func companyLevelsOf(s, a *prepCompany) [numCompanyFields]level {
	var lv [numCompanyFields]level
	lv[cName] = compareCompany(&s.name, nil, &a.name, nil)
	lv[cDomain] = eqLevel(s.domain, a.domain)
	switch {
	case s.host == "" || a.host == "":
		lv[cWebsite] = lvMissing
	case s.host == a.host:
		lv[cWebsite] = lvExact
	case registrableDomain(s.host) == registrableDomain(a.host):
		lv[cWebsite] = lvFuzzyWeak
	default:
		lv[cWebsite] = lvDifferent
	}
	lv[cPhone] = comparePhones([2]uint64{s.phone}, [2]uint64{a.phone})
	switch {
	case s.postal == "" || a.postal == "":
		lv[cPostal] = lvMissing
	case s.postal == a.postal:
		lv[cPostal] = lvExact
	case len(s.postal) >= 3 && len(a.postal) >= 3 && s.postal[:3] == a.postal[:3]:
		lv[cPostal] = lvFuzzyWeak
	default:
		lv[cPostal] = lvDifferent
	}
	lv[cStreet] = fuzzyLevel(s.street, a.street, true)
	lv[cState] = eqLevel(s.state, a.state)
	lv[cCity] = fuzzyLevel(s.city, a.city, false)
	lv[cEmployees] = compareEmployees(s.empMin, s.empMax, a.empMin, a.empMax)
	switch {
	case s.industry == "" || a.industry == "":
		lv[cIndustry] = lvMissing
	case s.industry == a.industry:
		lv[cIndustry] = lvExact
	case tokenJaccard(s.industry, a.industry) > 0:
		lv[cIndustry] = lvFuzzyWeak
	default:
		lv[cIndustry] = lvDifferent
	}
	return lv
}

func eqLevel(a, b string) level {
	switch {
	case a == "" || b == "":
		return lvMissing
	case a == b:
		return lvExact
	}
	return lvDifferent
}

func fuzzyLevel(a, b string, weak bool) level {
	if l := eqLevel(a, b); l != lvDifferent {
		return l
	}
	return jwLevel(jaroWinkler(a, b), weak)
}

// compareEmployees: exact when the ranges overlap, weak when within a
// factor of two.
func compareEmployees(aMin, aMax, bMin, bMax int32) level {
	if aMax <= 0 || bMax <= 0 {
		return lvMissing
	}
	if aMin <= bMax && bMin <= aMax {
		return lvExact
	}
	if int64(aMin) <= 2*int64(bMax) && int64(bMin) <= 2*int64(aMax) {
		return lvFuzzyWeak
	}
	return lvDifferent
}

// prepareAccounts normalises CRM Accounts in parallel and counts name
// frequencies.
func prepareAccounts(ctx context.Context, accounts []Account, limit int) ([]prepCompany, error) {
	out := make([]prepCompany, len(accounts))
	err := parallelChunks(ctx, len(accounts), 4096, limit, func(nz *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			out[i] = nz.prepAccount(&accounts[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	counts := map[string]int32{}
	for i := range out {
		if out[i].name.name != "" {
			counts[out[i].name.name]++
		}
	}
	for i := range out {
		out[i].nameCount = counts[out[i].name.name]
	}
	return out, nil
}

// firstToken is the first word of a normalised company name when it is
// distinctive enough to block on.
func firstToken(name string) string {
	t, _, _ := strings.Cut(name, " ")
	if len(t) < 3 || t == name {
		return ""
	}
	return t
}
