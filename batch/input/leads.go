package input

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/navsync/navsync/matcher"
)

// Leads is what ReadLeads read from one or more Sales Navigator lead exports.
type Leads struct {
	Leads   []matcher.Lead
	Rejects []Reject
	Files   []FileStat
}

// ReadLeads reads Sales Navigator lead exports (CSV or Parquet, same column
// names) in order. lead_id, first_name and last_name are required columns.
// A lead_id seen before, in this file or an earlier one, is rejected with
// the place it was first seen.
func ReadLeads(ctx context.Context, paths ...string) (*Leads, error) {
	out := &Leads{}
	seen := newSeenIDs()
	for _, path := range paths {
		t := newStrtab()
		// A CSV export's rows are counted first (countRows: one cheap
		// pass, blank lines and junk do not count), so the leads take one
		// allocation; a Parquet file grows as it is read (its footer's
		// count is not believed).
		bound := rowBound(ctx, path)
		if bound > 0 {
			out.Leads = slices.Grow(out.Leads, bound)
			seen.reserve(bound)
		}
		bind := func(c *columns) (*binding, error) {
			req, err := c.need("lead_id", "first_name", "last_name")
			if err != nil {
				return nil, err
			}
			var (
				id, first, last = req[0], req[1], req[2]
				profile         = c.col("profile_url")
				email           = c.col("email")
				phone           = c.col("phone")
				company         = c.col("current_company")
				domain          = c.col("current_company_domain")
				title           = c.col("current_title")
				pastCompany     = c.col("past_company")
				pastTitle       = c.col("past_title")
				city            = c.col("city")
				state           = c.col("state")
				country         = c.col("country")
				owner           = c.col("owner_email")
				list            = c.col("lead_list")
			)
			var (
				iFirst       = t.interner()
				iLast        = t.interner()
				iCompany     = t.interner()
				iDomain      = t.interner()
				iTitle       = t.interner()
				iPastCompany = t.interner()
				iPastTitle   = t.interner()
				iCity        = t.interner()
				iState       = t.interner()
				iCountry     = t.interner()
				iOwner       = t.interner()
				iList        = t.interner()
			)
			return &binding{
				idCol: id,
				grow: func(n int) {
					if bound > 0 {
						return // sized from the counted rows; append covers an undercount
					}
					out.Leads = slices.Grow(out.Leads, n)
					seen.reserve(n)
				},
				row: func(f [][]byte, line int, _ dropFunc) *rowReject {
					leadID := trimSpace(f[id])
					if len(leadID) == 0 {
						return &rowReject{reason: ReasonEmptyID, detail: "lead_id is empty"}
					}
					if rj := badID(leadID, "lead_id", ReasonInvalidID); rj != nil {
						return rj
					}
					leadIDs, dup := seen.add(leadID, leadID, path, line, t.str)
					if dup != "" {
						return &rowReject{id: string(leadID), reason: ReasonDuplicateID, detail: dup}
					}
					l := matcher.Lead{
						LeadID:               leadIDs,
						ProfileURL:           t.str(get(f, profile)),
						FirstName:            iFirst.get(f[first]),
						LastName:             iLast.get(f[last]),
						Email:                t.str(get(f, email)),
						Phone:                t.str(get(f, phone)),
						CurrentCompany:       iCompany.get(get(f, company)),
						CurrentCompanyDomain: iDomain.get(get(f, domain)),
						CurrentTitle:         iTitle.get(get(f, title)),
						PastCompanies:        iPastCompany.list(get(f, pastCompany)),
						PastTitles:           iPastTitle.list(get(f, pastTitle)),
						City:                 iCity.get(get(f, city)),
						State:                iState.get(get(f, state)),
						Country:              iCountry.get(get(f, country)),
						OwnerEmail:           iOwner.get(get(f, owner)),
						LeadList:             iList.get(get(f, list)),
					}
					out.Leads = append(out.Leads, l)
					return nil
				},
			}, nil
		}
		st, rj, err := scan(ctx, path, "leads", bind)
		if err != nil {
			return nil, err
		}
		out.Files = append(out.Files, st)
		out.Rejects = append(out.Rejects, rj...)
	}
	return out, nil
}

// Companies is what ReadCompanies read from Sales Navigator account exports.
type Companies struct {
	Companies []matcher.Company
	Rejects   []Reject
	Files     []FileStat
}

// ReadCompanies reads Sales Navigator account exports (CSV or Parquet).
// account_id and name are required columns; employees is an integer or a
// range such as "51-200" or "10,001+", anything else rejects the row.
func ReadCompanies(ctx context.Context, paths ...string) (*Companies, error) {
	out := &Companies{}
	seen := newSeenIDs()
	for _, path := range paths {
		t := newStrtab()
		bind := func(c *columns) (*binding, error) {
			req, err := c.need("account_id", "name")
			if err != nil {
				return nil, err
			}
			var (
				id, name   = req[0], req[1]
				domain     = c.col("domain")
				website    = c.col("website")
				phone      = c.col("phone")
				street     = c.col("street")
				city       = c.col("city")
				state      = c.col("state")
				postal     = c.col("postal_code")
				country    = c.col("country")
				employees  = c.col("employees")
				industry   = c.col("industry")
				ownerEmail = c.col("owner_email")
			)
			var (
				iName       = t.interner()
				iDomain     = t.interner()
				iWebsite    = t.interner()
				iCity       = t.interner()
				iState      = t.interner()
				iPostal     = t.interner()
				iCountry    = t.interner()
				iIndustry   = t.interner()
				iOwnerEmail = t.interner()
			)
			return &binding{
				idCol: id,
				row: func(f [][]byte, line int, drop dropFunc) *rowReject {
					accID := trimSpace(f[id])
					if len(accID) == 0 {
						return &rowReject{reason: ReasonEmptyRecordID, detail: "account_id is empty"}
					}
					if rj := badID(accID, "account_id", ReasonInvalidRecID); rj != nil {
						return rj
					}
					emp := trimSpace(get(f, employees))
					lo, hi, err := ParseEmployees(string(emp))
					if err != nil {
						drop("employees", fmt.Sprintf("%q: want an integer or a range like 51-200", emp))
					}
					accIDs, dup := seen.add(accID, accID, path, line, t.str)
					if dup != "" {
						return &rowReject{id: string(accID), reason: ReasonDuplicateRecID, detail: dup}
					}
					co := matcher.Company{
						AccountID:    accIDs,
						Name:         iName.get(f[name]),
						Domain:       iDomain.get(get(f, domain)),
						Website:      iWebsite.get(get(f, website)),
						Phone:        t.str(get(f, phone)),
						Street:       t.str(get(f, street)),
						City:         iCity.get(get(f, city)),
						State:        iState.get(get(f, state)),
						PostalCode:   iPostal.get(get(f, postal)),
						Country:      iCountry.get(get(f, country)),
						EmployeesMin: lo,
						EmployeesMax: hi,
						Industry:     iIndustry.get(get(f, industry)),
						OwnerEmail:   iOwnerEmail.get(get(f, ownerEmail)),
					}
					out.Companies = append(out.Companies, co)
					return nil
				},
			}, nil
		}
		st, rj, err := scan(ctx, path, "accounts", bind)
		if err != nil {
			return nil, err
		}
		out.Files = append(out.Files, st)
		out.Rejects = append(out.Rejects, rj...)
	}
	return out, nil
}

// OpenEnded is EmployeesMax for an open range such as "10,001+".
const OpenEnded = math.MaxInt32

// ParseEmployees reads a head count: "" (unknown: 0, 0), "120" (120, 120),
// "51-200" (51, 200), "10,001+" (10001, OpenEnded). Thousands separators and
// spaces are ignored, an en dash is accepted for the range.
func ParseEmployees(s string) (lo, hi int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ',', ' ', '\u00a0', '_':
			return -1
		case '–', '—':
			return '-'
		}
		return r
	}, s)
	atoi := func(v string) (int, bool) {
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= 0 && n <= math.MaxInt32
	}
	if v, ok := strings.CutSuffix(clean, "+"); ok {
		if n, ok := atoi(v); ok {
			return n, OpenEnded, nil
		}
	} else if a, b, ok := strings.Cut(clean, "-"); ok {
		x, okx := atoi(a)
		y, oky := atoi(b)
		if okx && oky && x <= y {
			return x, y, nil
		}
	} else if n, ok := atoi(clean); ok {
		return n, n, nil
	}
	return 0, 0, fmt.Errorf("employees %q: want an integer or a range like 51-200", s)
}
