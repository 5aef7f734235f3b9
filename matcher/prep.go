package matcher

import (
	"context"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// compName is a normalised company name with its acronym and its words
// run together ("acme robotics" → "acmerobotics", to compare with domains).
type compName struct {
	name, acr, compact string
}

func newCompName(name, acr string) compName {
	c := compName{name: name, acr: acr, compact: name}
	if strings.IndexByte(name, ' ') >= 0 {
		c.compact = strings.ReplaceAll(name, " ", "")
	}
	return c
}

// titleInfo is a normalised job title with its seniority, function and a
// 64-bit signature of its words (one hashed bit per word) for a fast
// word-overlap estimate.
type titleInfo struct {
	norm          string
	sig           uint64
	mods          uint16 // titleModifiers present
	fsig          uint16 // one hashed bit per word that names a function
	sen, function uint8
}

func newTitleInfo(norm string, sen, function uint8) titleInfo {
	t := titleInfo{norm: norm, sen: sen, function: function}
	for w := range strings.FieldsSeq(norm) {
		t.sig |= 1 << (hashStr(fnvOffset, w) % 64)
		t.mods |= titleModifiers[w]
		if functionWords[w] != fnNone {
			t.fsig |= 1 << (hashStr(fnvOffset, w) % 16)
		}
	}
	return t
}

// prepPerson is a normalised CRM person or Sales Navigator lead.
type prepPerson struct {
	first      string
	firstRoots []uint16 // nickname roots, shared with the nickname table
	last       string
	email      string
	company    *compName  // shared by the people of one company name (memoised); never nil
	domains    [2]string  // registrable company domains: website / company domain, work email
	title      *titleInfo // shared like company; never nil
	phones     [2]uint64  // E.164 digits
	tfW        [4]float32 // exact-level weights of first name, last name, company and past company after term-frequency adjustment (CRM side)
	family     int32      // CRM: index of the record this one is the same person as (converted lead → contact), else itself
	tfDomain   float32    // CRM: exact company weight when the company agrees through a domain, by the frequency of the record's more frequent domain
	// phoneOthers counts, for each phone, the other CRM records that carry
	// the same number when they are not all of one surname (saturating):
	// more than 0 is a number several people share, a switchboard, or an
	// Account's main number (CRM side).
	phoneOthers [2]uint16
	firstInit   bool // first is a bare initial
	isConverted bool
	isLead      bool      // CRM Lead (Contacts win ties)
	emailWork   bool      // email is an address at a work domain (not free mail)
	linked      string    // CRM: the Sales Navigator lead id already written back; lead: its lead id
	lead        *leadSide // lead only; nil for CRM people
}

// leadSide holds what only a Sales Navigator lead has, apart from the
// fields both sides share, so the two million CRM people of a large org do
// not carry it.
type leadSide struct {
	past       []compName
	pastTitles []titleInfo
	swapFirst  string // its last-name field read as a given name
	swapLast   string // its first-name field read as a surname
	generation uint8  // the generational suffix of its name (see generation)
}

// crmCounts are the CRM frequencies of each person's first name, surname,
// company name and more frequent domain, for the term-frequency
// adjustment.
type crmCounts struct {
	first, last, company, domain []int32
}

func (n *normalizer) prepLead(l *Lead, p *prepPerson, side *leadSide) {
	p.lead = side
	p.first, p.firstInit = n.givenName(l.FirstName)
	p.last = n.surname(l.LastName)
	side.swapFirst, _ = n.givenName(l.LastName)
	side.swapLast = n.surname(l.FirstName)
	side.generation = generation(l.FirstName, l.LastName)
	p.firstRoots = nicknames().Roots(p.first)
	p.linked = strings.TrimSpace(l.LeadID)
	p.email = normEmail(l.Email)
	region := n.regionOf(l.Country)
	p.phones[0] = n.phone(l.Phone, region)
	p.company = n.companyName(l.CurrentCompany)
	p.domains[0] = n.domain(l.CurrentCompanyDomain)
	p.domains[1] = n.workDomain(p.email)
	p.emailWork = n.isWorkEmail(p.email, p.domains[1])
	if p.domains[1] == p.domains[0] {
		p.domains[1] = ""
	}
	p.title = n.titleInfo(l.CurrentTitle)
	for _, c := range l.PastCompanies {
		cn := n.companyName(c)
		if cn.name != "" {
			side.past = append(side.past, *cn)
		}
	}
	for _, t := range l.PastTitles {
		ti := n.titleInfo(t)
		if ti.norm != "" {
			side.pastTitles = append(side.pastTitles, *ti)
		}
	}
}

func (n *normalizer) prepCRM(c *Person, accountCountry string, p *prepPerson) {
	p.first, p.firstInit = n.givenName(c.FirstName)
	p.last = n.surname(c.LastName)
	p.firstRoots = nicknames().Roots(p.first)
	p.linked = strings.TrimSpace(c.LinkedLeadID)
	p.email = normEmail(c.Email)
	region := n.regionOf(c.Country)
	if region == "" {
		region = n.regionOf(accountCountry) // a Contact without a mailing country: its Account's
	}
	p.phones[0] = n.phone(c.Phone, region)
	p.phones[1] = n.phone(c.MobilePhone, region)
	if p.phones[1] == p.phones[0] {
		p.phones[1] = 0
	}
	p.company = n.companyName(c.Company)
	p.domains[0] = n.domain(c.Website)
	p.domains[1] = n.workDomain(p.email)
	p.emailWork = n.isWorkEmail(p.email, p.domains[1])
	if p.domains[1] == p.domains[0] {
		p.domains[1] = ""
	}
	p.title = n.titleInfo(c.Title)
	p.isConverted = c.IsConverted
}

// parallelChunks runs fn over [0,n) in chunks of size chunk on at most
// limit goroutines (errgroup with SetLimit). Each goroutine owns one
// normalizer, so its memos serve all the chunks it takes. Chunks are taken
// in any order; fn must write only to the slots of its chunk, which keeps
// results independent of scheduling.
func parallelChunks(ctx context.Context, n, chunk, limit int, fn func(nz *normalizer, lo, hi int) error) error {
	if n == 0 {
		return nil
	}
	chunks := (n + chunk - 1) / chunk
	workers := min(limit, chunks)
	var next atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for range workers {
		g.Go(func() error {
			nz := newNormalizer()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				lo := c * chunk
				if err := fn(nz, lo, min(n, lo+chunk)); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// prepareCRM normalises the CRM people in parallel, counts term
// frequencies and links converted Leads to their Contacts.
func prepareCRM(ctx context.Context, people []Person, accounts []Account, limit int) ([]prepPerson, crmCounts, error) {
	countries := make(map[string]string, len(accounts))
	for i := range accounts {
		if accounts[i].Country != "" {
			countries[accounts[i].ID] = accounts[i].Country
		}
	}
	out := make([]prepPerson, len(people))
	err := parallelChunks(ctx, len(people), 4096, limit, func(nz *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			var ac string
			if people[i].Country == "" && people[i].AccountID != "" {
				ac = countries[people[i].AccountID]
			}
			nz.prepCRM(&people[i], ac, &out[i])
			out[i].family = int32(i)
		}
		return nil
	})
	if err != nil {
		return nil, crmCounts{}, err
	}
	// Term frequencies, one goroutine per field.
	var counts crmCounts
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	g.Go(func() error {
		counts.first = countValues(len(out), func(i int) string { return out[i].first })
		return nil
	})
	g.Go(func() error {
		counts.last = countValues(len(out), func(i int) string { return out[i].last })
		return nil
	})
	g.Go(func() error {
		counts.company = countValues(len(out), func(i int) string { return out[i].company.name })
		return nil
	})
	g.Go(func() error {
		counts.domain = countDomains(out)
		return nil
	})
	g.Go(func() error {
		countSharedPhones(out)
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, crmCounts{}, err
	}
	// Converted Leads share the family of their Contact.
	contact := map[string]int32{}
	for i := range people {
		if people[i].IsConverted && people[i].ConvertedContactID != "" {
			contact[people[i].ConvertedContactID] = -1
		}
	}
	if len(contact) > 0 {
		for i := range people {
			if people[i].Object != "Lead" {
				if _, ok := contact[people[i].ID]; ok {
					contact[people[i].ID] = int32(i)
				}
			}
		}
		for i := range people {
			if people[i].IsConverted {
				if j, ok := contact[people[i].ConvertedContactID]; ok && j >= 0 {
					out[i].family = j
				}
			}
		}
	}
	return out, counts, nil
}

// prepareLeads normalises the Sales Navigator leads in parallel.
func prepareLeads(ctx context.Context, leads []Lead, limit int) ([]prepPerson, error) {
	out := make([]prepPerson, len(leads))
	sides := make([]leadSide, len(leads))
	err := parallelChunks(ctx, len(leads), 4096, limit, func(nz *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			nz.prepLead(&leads[i], &out[i], &sides[i])
		}
		return nil
	})
	return out, err
}
