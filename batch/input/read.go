package input

import (
	"context"
	"strings"

	"github.com/navsync/navsync/matcher"
	"golang.org/x/sync/errgroup"
)

// Sources names a run's input files.
type Sources struct {
	CRMDir   string   // folder with the org snapshot CSVs
	Leads    []string // Sales Navigator lead exports
	Accounts []string // Sales Navigator account exports (optional)
}

// Inputs is everything a matching run reads, plus what it left out.
type Inputs struct {
	Input         matcher.Input
	Users         []User
	Opportunities []Opportunity
	// Kept holds the snapshot's values of SnapshotOptions.KeepFields by
	// index in Input.People.
	Kept    Kept
	Rejects []Reject   // leads files first, then account files, then the snapshot
	Files   []FileStat // same order
}

// Read reads the snapshot and the Sales Navigator exports in parallel and
// links CRM records whose profile URL writeback field names a lead of the
// export (LinkProfiles). Any ErrSchema error stops it before anything is
// returned.
func Read(ctx context.Context, src Sources, opts SnapshotOptions) (*Inputs, error) {
	var (
		snap  *Snapshot
		leads *Leads
		comps = &Companies{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		snap, err = ReadSnapshot(gctx, src.CRMDir, opts)
		return err
	})
	g.Go(func() (err error) {
		leads, err = ReadLeads(gctx, src.Leads...)
		return err
	})
	if len(src.Accounts) > 0 {
		g.Go(func() (err error) {
			comps, err = ReadCompanies(gctx, src.Accounts...)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	LinkProfiles(snap.People, snap.ProfileURLs, leads.Leads)
	in := &Inputs{
		Input: matcher.Input{
			People:    snap.People,
			Accounts:  snap.Accounts,
			Leads:     leads.Leads,
			Companies: comps.Companies,
		},
		Users:         snap.Users,
		Opportunities: snap.Opportunities,
		Kept:          snap.Kept,
	}
	in.Rejects = append(append(append(in.Rejects, leads.Rejects...), comps.Rejects...), snap.Rejects...)
	in.Files = append(append(append(in.Files, leads.Files...), comps.Files...), snap.Files...)
	return in, nil
}

// LinkProfiles sets LinkedLeadID on people whose profile URL writeback
// value (urls, by Person.ID) is the profile_url of a lead in leads. URLs are
// compared without scheme, "www.", query, fragment, trailing slash or case.
func LinkProfiles(people []matcher.Person, urls map[string]string, leads []matcher.Lead) int {
	if len(urls) == 0 {
		return 0
	}
	byURL := make(map[string]string, len(leads))
	for _, l := range leads {
		if l.ProfileURL != "" {
			byURL[normalURL(l.ProfileURL)] = l.LeadID
		}
	}
	n := 0
	for i := range people {
		p := &people[i]
		if p.LinkedLeadID != "" {
			continue
		}
		if u, ok := urls[p.ID]; ok {
			if id, ok := byURL[normalURL(u)]; ok {
				p.LinkedLeadID = id
				n++
			}
		}
	}
	return n
}

func normalURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	u = strings.TrimPrefix(u, "www.")
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.TrimRight(u, "/")
}
