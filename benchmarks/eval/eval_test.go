package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/navsync/navsync/benchmarks/internal/worldinput"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// TestQualityTargets runs the matcher on one small generated world and
// holds it to the targets, so make test guards matching quality.
func TestQualityTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a world")
	}
	w, err := fixtures.Generate(fixtures.Options{Seed: 11, People: 3000})
	if err != nil {
		t.Fatal(err)
	}
	in := worldinput.FromWorld(w)
	res, err := matcher.Match(context.Background(), in, matcher.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := score(w, res, baseline(&in))
	if err != nil {
		t.Fatal(err)
	}
	if miss := rep.meetsTargets(); len(miss) > 0 {
		var b strings.Builder
		rep.print(&b)
		t.Errorf("targets missed: %s\n%s", strings.Join(miss, "; "), b.String())
	}
	if rep.Leads.Total.InOrg == 0 {
		t.Errorf("world has no in-org leads: %+v", rep.Leads.Total)
	}
	// Every kind of hard negative occurs, and none becomes a match.
	for _, s := range fixtures.HardNegativeScenarios {
		c := rep.Leads.ByScenario[s]
		if c.Leads == 0 {
			t.Errorf("world has no %s leads", s)
			continue
		}
		if c.Match != 0 {
			t.Errorf("%d of %d %s leads decided match", c.Match, c.Leads, s)
		}
	}
	// Leads with several differences at once still mostly match.
	if c := rep.Leads.ByScenario[fixtures.ScenarioCombined]; c.InOrg == 0 {
		t.Error("world has no combined leads")
	} else if r := c.Recall(); r < 0.9 {
		t.Errorf("combined: recall of match %.3f < 0.9", r)
	}
}

func TestScoreAndBaseline(t *testing.T) {
	w := &fixtures.World{
		LeadTruth: []fixtures.LeadTruth{
			{LeadID: "a", Scenario: "exact", CRMIDs: []string{"1"}},
			{LeadID: "b", Scenario: "namesake"},
			{LeadID: "c", Scenario: "crm_duplicate", CRMIDs: []string{"3", "4"}},
			{LeadID: "d", Scenario: "typo", CRMIDs: []string{"5"}},
		},
	}
	res := &matcher.Result{Leads: []matcher.LeadResult{
		{LeadID: "a", Decision: matcher.DecisionMatch, CRMID: "1"},
		{LeadID: "b", Decision: matcher.DecisionMatch, CRMID: "2"},
		{LeadID: "c", Decision: matcher.DecisionPossible, CRMID: "4"},
		{LeadID: "d", Decision: matcher.DecisionNone},
	}}
	rep, err := score(w, res, []string{"1", "", "3", ""})
	if err != nil {
		t.Fatal(err)
	}
	tt, bt := rep.Leads.Total, rep.Baseline.Total
	if tt.Precision() != 0.5 || tt.Recall() != 1.0/3 || tt.RecallPossible() != 2.0/3 || rep.Leads.HardNegativeMatches() != 1 {
		t.Errorf("precision %v recall %v recall+possible %v namesakes %d", tt.Precision(), tt.Recall(), tt.RecallPossible(), rep.Leads.HardNegativeMatches())
	}
	if bt.Precision() != 1 || bt.Recall() != 2.0/3 {
		t.Errorf("baseline precision %v recall %v", bt.Precision(), bt.Recall())
	}
	if b := rep.Baseline.ByScenario["crm_duplicate"]; b.MatchRight != 1 || b.MatchWrong() != 0 {
		t.Errorf("baseline crm_duplicate %+v", b)
	}
	if len(rep.meetsTargets()) == 0 {
		t.Error("a bad result met the targets")
	}
	var b strings.Builder
	rep.print(&b)
	for _, want := range []string{"precision of match               0.5000     1.0000", "namesake                                1      0       0       1       0       0      0       -        - |        0        0",
		"crm_duplicate                           1      1       0       0       1       1      0  0.0000   1.0000 |        1        0",
		"  crm_duplicate                      (no reason) 1;"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	// Every lead needs exactly one result and one baseline pick.
	if _, err := score(w, &matcher.Result{}, nil); err == nil {
		t.Error("no results: no error")
	}
	if _, err := score(w, res, []string{"1"}); err == nil {
		t.Error("too few baseline picks: no error")
	}
	other := &matcher.Result{Leads: append(slices.Clone(res.Leads[:3]), matcher.LeadResult{LeadID: "x"})}
	if _, err := score(w, other, make([]string, 4)); err == nil {
		t.Error("a result for a lead the world does not have: no error")
	}

	in := &matcher.Input{
		People: []matcher.Person{
			{ID: "1", FirstName: "Ann", LastName: "Lee", Email: "ANN@x.com", Company: "X"},
			{ID: "2", FirstName: "Bob", LastName: "Ray", Company: "Y"},
		},
		Leads: []matcher.Lead{
			{LeadID: "a", Email: " ann@x.com"},
			{LeadID: "b", FirstName: "bob", LastName: "RAY", CurrentCompany: "y"},
			{LeadID: "c", FirstName: "Bob", LastName: "Ray", CurrentCompany: "Z"},
		},
	}
	if got := baseline(in); strings.Join(got, ",") != "1,2," {
		t.Errorf("baseline = %q", got)
	}
}
