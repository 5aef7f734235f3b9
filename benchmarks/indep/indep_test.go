package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch/input"
)

// TestIndependentWorldLoads checks that a small world's files load with
// no rejects and that the scorer runs. It asserts no quality numbers: they
// are what the command measures.
func TestIndependentWorldLoads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	s, _, err := evaluate(ctx, 7, 2000, dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := input.ReadSnapshot(ctx, filepath.Join(dir, "crm"), input.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Rejects) > 0 {
		t.Errorf("snapshot rejects: %+v", snap.Rejects[0])
	}
	if len(snap.Accounts) == 0 || len(snap.People) < 2000 || len(snap.Users) == 0 {
		t.Errorf("snapshot: %d accounts, %d people, %d users", len(snap.Accounts), len(snap.People), len(snap.Users))
	}
	leads, err := input.ReadLeads(ctx, filepath.Join(dir, "leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leads.Rejects) > 0 || len(leads.Leads) != 2000 {
		t.Errorf("leads: %d read, rejects %+v", len(leads.Leads), leads.Rejects)
	}
	if s.Leads != 2000 || s.Rejects != 0 || s.InOrg == 0 || s.HardNegatives == 0 {
		t.Errorf("summary: %+v", s)
	}
	n := 0
	for _, c := range mix {
		if cs := s.cases[c.name]; cs != nil {
			n += cs.leads
			if cs.matchOK+cs.matchWrong+cs.possibleOK+cs.possibleOther+cs.none != cs.leads {
				t.Errorf("%s: decisions do not add up: %+v", c.name, cs)
			}
		} else if c.share > 0 {
			t.Errorf("no lead of case %s", c.name)
		}
	}
	if n != 2000 || !strings.Contains(out.String(), "precision of match") {
		t.Errorf("%d leads in the case table; output:\n%s", n, out.String())
	}
	// Absent people: at least 30% hard negatives.
	absent := s.Leads - s.InOrg
	if s.HardNegatives*10 < absent*3 {
		t.Errorf("%d hard negatives of %d leads not in the org", s.HardNegatives, absent)
	}

	// Deterministic per seed.
	a, b := build(3, 300), build(3, 300)
	a.makeLeads(300)
	b.makeLeads(300)
	for i := range a.leads {
		if a.leads[i].id != b.leads[i].id || a.leads[i].first != b.leads[i].first || a.leads[i].company != b.leads[i].company {
			t.Fatalf("lead %d differs between two builds of one seed", i)
		}
	}
}
