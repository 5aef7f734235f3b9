package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// counts tallies decisions against the truth, for one scenario or overall.
type counts struct {
	Leads         int // leads seen
	InOrg         int // leads whose person is in the org
	Match         int // decisions "match"
	MatchCorrect  int // ... whose CRM id is one of the truth's ids
	Possible      int
	PossibleRight int // "possible" whose candidate is correct
	None          int
	Baseline      int // baseline matches
	BaselineRight int
}

func (c *counts) add(o counts) {
	c.Leads += o.Leads
	c.InOrg += o.InOrg
	c.Match += o.Match
	c.MatchCorrect += o.MatchCorrect
	c.Possible += o.Possible
	c.PossibleRight += o.PossibleRight
	c.None += o.None
	c.Baseline += o.Baseline
	c.BaselineRight += o.BaselineRight
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Precision of "match", recall of "match", recall of match+possible, F1.
func (c counts) Precision() float64         { return ratio(c.MatchCorrect, c.Match) }
func (c counts) Recall() float64            { return ratio(c.MatchCorrect, c.InOrg) }
func (c counts) RecallPossible() float64    { return ratio(c.MatchCorrect+c.PossibleRight, c.InOrg) }
func (c counts) F1() float64                { return f1(c.Precision(), c.Recall()) }
func (c counts) BaselinePrecision() float64 { return ratio(c.BaselineRight, c.Baseline) }
func (c counts) BaselineRecall() float64    { return ratio(c.BaselineRight, c.InOrg) }
func (c counts) BaselineF1() float64        { return f1(c.BaselinePrecision(), c.BaselineRecall()) }

// accountCounts tallies the account found for each lead's current company.
// (The Sales Navigator accounts are tallied in report.ByAccount.)
type accountCounts struct {
	LeadAcctInOrg, LeadAcctSet, LeadAcctRight int
}

func (a *accountCounts) add(o accountCounts) {
	a.LeadAcctInOrg += o.LeadAcctInOrg
	a.LeadAcctSet += o.LeadAcctSet
	a.LeadAcctRight += o.LeadAcctRight
}

// addTo adds c to m[k], which it creates when missing.
func addTo(m map[string]*counts, k string, c counts) {
	if m[k] == nil {
		m[k] = &counts{}
	}
	m[k].add(c)
}

// report is the outcome of one or more worlds.
type report struct {
	Total      counts
	ByScenario map[string]*counts
	Accounts   accountCounts
	ByAccount  map[string]*counts // account scenarios, Match/MatchCorrect/InOrg used
	// NamesakeMatches are namesake leads decided "match" (hard negatives).
	NamesakeMatches int
}

func newReport() *report {
	return &report{ByScenario: map[string]*counts{}, ByAccount: map[string]*counts{}}
}

func (r *report) merge(o *report) {
	r.Total.add(o.Total)
	for k, v := range o.ByScenario {
		addTo(r.ByScenario, k, *v)
	}
	for k, v := range o.ByAccount {
		addTo(r.ByAccount, k, *v)
	}
	r.Accounts.add(o.Accounts)
	r.NamesakeMatches += o.NamesakeMatches
}

// score compares a matcher result and the baseline's picks with the truth
// of the world.
func score(w *fixtures.World, res *matcher.Result, baseline []string) (*report, error) {
	if len(res.Leads) != len(w.LeadTruth) || len(baseline) != len(w.LeadTruth) {
		return nil, fmt.Errorf("score: %d results, %d baseline picks, %d truths", len(res.Leads), len(baseline), len(w.LeadTruth))
	}
	rep := newReport()
	for i, t := range w.LeadTruth {
		lr := res.Leads[i]
		if lr.LeadID != t.LeadID {
			return nil, fmt.Errorf("score: lead %d is %q in the result, %q in the truth", i, lr.LeadID, t.LeadID)
		}
		var c counts
		c.Leads = 1
		if t.InOrg() {
			c.InOrg = 1
		}
		right := lr.CRMID != "" && slices.Contains(t.CRMIDs, lr.CRMID)
		switch lr.Decision {
		case matcher.DecisionMatch:
			c.Match = 1
			if right {
				c.MatchCorrect = 1
			}
			if fixtures.IsHardNegative(t.Scenario) {
				rep.NamesakeMatches++
			}
		case matcher.DecisionPossible:
			c.Possible = 1
			if right {
				c.PossibleRight = 1
			}
		default:
			c.None = 1
		}
		if baseline[i] != "" {
			c.Baseline = 1
			if slices.Contains(t.CRMIDs, baseline[i]) {
				c.BaselineRight = 1
			}
		}
		rep.Total.add(c)
		addTo(rep.ByScenario, t.Scenario, c)
		if t.AccountID != "" {
			rep.Accounts.LeadAcctInOrg++
		}
		if lr.AccountID != "" {
			rep.Accounts.LeadAcctSet++
			if lr.AccountID == t.AccountID {
				rep.Accounts.LeadAcctRight++
			}
		}
	}
	if len(res.Companies) != len(w.AccountTruth) {
		return nil, fmt.Errorf("score: %d company results, %d truths", len(res.Companies), len(w.AccountTruth))
	}
	for i, t := range w.AccountTruth {
		cr := res.Companies[i]
		var c counts
		c.Leads = 1
		if t.CRMAccountID != "" {
			c.InOrg = 1
		}
		if cr.Decision == matcher.DecisionMatch {
			c.Match = 1
			if cr.CRMAccountID == t.CRMAccountID {
				c.MatchCorrect = 1
			}
		}
		addTo(rep.ByAccount, t.Scenario, c)
	}
	return rep, nil
}

// print writes the summary and the per-scenario tables.
func (r *report) print(out io.Writer) {
	t := r.Total
	fmt.Fprintf(out, "\nLeads: %d (%d in the org)\n", t.Leads, t.InOrg)
	fmt.Fprintf(out, "%-28s %10s %10s\n", "", "matcher", "baseline")
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= 0.995)\n", "precision of match", t.Precision(), t.BaselinePrecision())
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= 0.90)\n", "recall of match", t.Recall(), t.BaselineRecall())
	fmt.Fprintf(out, "%-28s %10.4f %10s   (target >= 0.97)\n", "recall of match+possible", t.RecallPossible(), "-")
	fmt.Fprintf(out, "%-28s %10.4f %10.4f\n", "F1 of match", t.F1(), t.BaselineF1())
	fmt.Fprintf(out, "%-28s %10d\n", "hard negatives decided match", r.NamesakeMatches)
	fmt.Fprintf(out, "decisions: match %d, possible %d, none %d\n", t.Match, t.Possible, t.None)

	fmt.Fprintf(out, "\n%-16s %6s %6s %7s %7s %7s %7s %6s | %8s %8s\n", "scenario", "leads", "in_org", "match", "wrong", "poss.", "poss.ok", "none", "base_ok", "base_bad")
	keys := make([]string, 0, len(r.ByScenario))
	for _, s := range fixtures.LeadScenarios {
		if r.ByScenario[s] != nil {
			keys = append(keys, s)
		}
	}
	for s := range r.ByScenario {
		if !slices.Contains(keys, s) {
			keys = append(keys, s)
		}
	}
	for _, s := range keys {
		c := r.ByScenario[s]
		fmt.Fprintf(out, "%-16s %6d %6d %7d %7d %7d %7d %6d | %8d %8d\n", s, c.Leads, c.InOrg, c.MatchCorrect, c.Match-c.MatchCorrect,
			c.Possible, c.PossibleRight, c.None, c.BaselineRight, c.Baseline-c.BaselineRight)
	}

	var ct counts // all Sales Navigator accounts
	for _, c := range r.ByAccount {
		ct.add(*c)
	}
	fmt.Fprintf(out, "\nAccounts: %d Sales Navigator accounts (%d in the org): match %d, correct %d (precision %.4f, recall %.4f)\n",
		ct.Leads, ct.InOrg, ct.Match, ct.MatchCorrect, ct.Precision(), ct.Recall())
	a := r.Accounts
	fmt.Fprintf(out, "Lead current company -> Account: %d leads with an Account in the org; set %d, correct %d (precision %.4f, recall %.4f)\n",
		a.LeadAcctInOrg, a.LeadAcctSet, a.LeadAcctRight, ratio(a.LeadAcctRight, a.LeadAcctSet), ratio(a.LeadAcctRight, a.LeadAcctInOrg))
	var sc []string
	for s := range r.ByAccount {
		sc = append(sc, s)
	}
	slices.Sort(sc)
	var b strings.Builder
	for _, s := range sc {
		c := r.ByAccount[s]
		fmt.Fprintf(&b, "  %s: %d, match %d, wrong %d;", s, c.Leads, c.MatchCorrect, c.Match-c.MatchCorrect)
	}
	fmt.Fprintf(out, "by account scenario:%s\n", b.String())
}

// meetsTargets lists the quality targets that the report misses.
func (r *report) meetsTargets() []string {
	var miss []string
	t := r.Total
	if t.Precision() < 0.995 {
		miss = append(miss, fmt.Sprintf("precision of match %.4f < 0.995", t.Precision()))
	}
	if t.Recall() < 0.90 {
		miss = append(miss, fmt.Sprintf("recall of match %.4f < 0.90", t.Recall()))
	}
	if t.RecallPossible() < 0.97 {
		miss = append(miss, fmt.Sprintf("recall of match+possible %.4f < 0.97", t.RecallPossible()))
	}
	if t.F1() <= t.BaselineF1()+0.02 {
		miss = append(miss, fmt.Sprintf("F1 %.4f not clearly above the baseline's %.4f", t.F1(), t.BaselineF1()))
	}
	if r.NamesakeMatches > 0 {
		miss = append(miss, fmt.Sprintf("%d hard negatives (namesakes) decided match", r.NamesakeMatches))
	}
	return miss
}
