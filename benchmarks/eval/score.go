package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// report is the outcome of one or more worlds: the matcher's lead and
// account decisions and the baseline's picks, scored by fixtures' scorer.
type report struct {
	Leads     fixtures.LeadQuality
	Baseline  fixtures.LeadQuality // the baseline's picks as match decisions
	Companies fixtures.CompanyQuality
	// Reasons counts the reason codes of possible decisions (the reason up
	// to its first colon) by scenario.
	Reasons map[string]map[string]int
}

func newReport() *report { return &report{Reasons: map[string]map[string]int{}} }

func (r *report) merge(o *report) {
	r.Leads.Merge(o.Leads)
	r.Baseline.Merge(o.Baseline)
	r.Companies.Merge(o.Companies)
	for s, m := range o.Reasons {
		if r.Reasons[s] == nil {
			r.Reasons[s] = map[string]int{}
		}
		for c, n := range m {
			r.Reasons[s][c] += n
		}
	}
}

// reasonCode is the part of a reason before its first colon:
// "same_name_colleague" of "same_name_colleague: ...".
func reasonCode(reason string) string {
	c, _, _ := strings.Cut(reason, ":")
	if c == "" {
		return "(no reason)"
	}
	return c
}

// score compares a matcher result and the baseline's picks (one per lead
// of the result, in its order) with the truth of the world. Every lead and
// account of the world must have exactly one result.
func score(w *fixtures.World, res *matcher.Result, baseline []string) (*report, error) {
	if len(baseline) != len(res.Leads) {
		return nil, fmt.Errorf("score: %d results, %d baseline picks", len(res.Leads), len(baseline))
	}
	truth := w.Truth()
	picks := make([]matcher.LeadResult, len(baseline))
	for i, id := range baseline {
		picks[i] = matcher.LeadResult{LeadID: res.Leads[i].LeadID, Decision: matcher.DecisionNone}
		if id != "" {
			picks[i].Decision, picks[i].CRMID = matcher.DecisionMatch, id
		}
	}
	rep := &report{
		Leads:     fixtures.ScoreLeads(res.Leads, truth),
		Baseline:  fixtures.ScoreLeads(picks, truth),
		Companies: fixtures.ScoreCompanies(res.Companies, truth),
		Reasons:   map[string]map[string]int{},
	}
	for _, lr := range res.Leads {
		t, ok := truth.Leads[lr.LeadID]
		if !ok || lr.Decision != matcher.DecisionPossible {
			continue
		}
		if rep.Reasons[t.Scenario] == nil {
			rep.Reasons[t.Scenario] = map[string]int{}
		}
		rep.Reasons[t.Scenario][reasonCode(lr.Reason)]++
	}
	if q := rep.Leads; q.Missing > 0 || q.NotInTruth > 0 || q.Total.Leads != len(res.Leads) {
		return nil, fmt.Errorf("score: %d lead results for %d truths (%d not in the truth, %d truths without a result)",
			len(res.Leads), len(truth.Leads), q.NotInTruth, q.Missing)
	}
	if q := rep.Companies; q.Missing > 0 || q.NotInTruth > 0 || q.Total.Accounts != len(res.Companies) {
		return nil, fmt.Errorf("score: %d company results for %d truths (%d not in the truth, %d truths without a result)",
			len(res.Companies), len(truth.Accounts), q.NotInTruth, q.Missing)
	}
	return rep, nil
}

// print writes the summary and the per-scenario tables.
func (r *report) print(out io.Writer) {
	t, b := r.Leads.Total, r.Baseline.Total
	fmt.Fprintf(out, "\nLeads: %d (%d in the org)\n", t.Leads, t.InOrg)
	fmt.Fprintf(out, "%-28s %10s %10s\n", "", "matcher", "baseline")
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= %v)\n", "precision of match", t.Precision(), b.Precision(), targetPrecision)
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= %v)\n", "recall of match", t.Recall(), b.Recall(), targetRecall)
	fmt.Fprintf(out, "%-28s %10.4f %10s   (target >= %v)\n", "recall of match+possible", t.RecallPossible(), "-", targetRecallPossible)
	fmt.Fprintf(out, "%-28s %10.4f %10.4f\n", "F1 of match", t.F1(), b.F1())
	fmt.Fprintf(out, "%-28s %10d\n", "hard negatives decided match", r.Leads.HardNegativeMatches())
	fmt.Fprintf(out, "decisions: match %d, possible %d, none %d\n", t.Match, t.Possible, t.None)

	fmt.Fprintf(out, "\n%-34s %6s %6s %7s %7s %7s %7s %6s %7s %8s | %8s %8s\n", "scenario", "leads", "in_org", "match", "wrong", "poss.", "poss.ok", "none",
		"recall", "rec+poss", "base_ok", "base_bad")
	for _, s := range r.Leads.Scenarios() {
		c, bc := r.Leads.ByScenario[s], r.Baseline.ByScenario[s]
		rec, found := "-", "-"
		if c.InOrg > 0 {
			rec, found = fmt.Sprintf("%.4f", c.Recall()), fmt.Sprintf("%.4f", c.RecallPossible())
		}
		fmt.Fprintf(out, "%-34s %6d %6d %7d %7d %7d %7d %6d %7s %8s | %8d %8d\n", s, c.Leads, c.InOrg, c.MatchRight, c.MatchWrong(),
			c.Possible, c.PossibleRight, c.None, rec, found, bc.MatchRight, bc.MatchWrong())
	}
	fmt.Fprintf(out, "\npossible decisions by reason:\n")
	for _, s := range r.Leads.Scenarios() {
		m := r.Reasons[s]
		if len(m) == 0 {
			continue
		}
		codes := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
			if m[a] != m[b] {
				return m[b] - m[a]
			}
			return strings.Compare(a, b)
		})
		var sb strings.Builder
		for _, c := range codes {
			fmt.Fprintf(&sb, " %s %d;", c, m[c])
		}
		fmt.Fprintf(out, "  %-34s%s\n", s, sb.String())
	}

	ct := r.Companies.Total // all Sales Navigator accounts
	fmt.Fprintf(out, "\nAccounts: %d Sales Navigator accounts (%d in the org): match %d, correct %d (precision %.4f, recall %.4f)\n",
		ct.Accounts, ct.InOrg, ct.Match, ct.MatchRight, ct.Precision(), ct.Recall())
	fmt.Fprintf(out, "Lead current company -> Account: %d leads with an Account in the org; set %d, correct %d (precision %.4f, recall %.4f)\n",
		t.AccountKnown, t.AccountSet, t.AccountRight, t.AccountPrecision(), t.AccountRecall())
	var sb strings.Builder
	for _, s := range slices.Sorted(maps.Keys(r.Companies.ByScenario)) {
		c := r.Companies.ByScenario[s]
		fmt.Fprintf(&sb, "  %s: %d, match %d, wrong %d;", s, c.Accounts, c.MatchRight, c.MatchWrong())
	}
	fmt.Fprintf(out, "by account scenario:%s\n", sb.String())
}

// The quality targets (issue 10): every wrong match is written back onto
// the wrong person.
const (
	targetPrecision      = 0.998
	targetRecall         = 0.96
	targetRecallPossible = 0.995
)

// meetsTargets lists the quality targets that the report misses.
func (r *report) meetsTargets() []string {
	var miss []string
	t, b := r.Leads.Total, r.Baseline.Total
	if t.Precision() < targetPrecision {
		miss = append(miss, fmt.Sprintf("precision of match %.4f < %v", t.Precision(), targetPrecision))
	}
	if t.Recall() < targetRecall {
		miss = append(miss, fmt.Sprintf("recall of match %.4f < %v", t.Recall(), targetRecall))
	}
	if t.RecallPossible() < targetRecallPossible {
		miss = append(miss, fmt.Sprintf("recall of match+possible %.4f < %v", t.RecallPossible(), targetRecallPossible))
	}
	if t.F1() <= b.F1()+0.02 {
		miss = append(miss, fmt.Sprintf("F1 %.4f not clearly above the baseline's %.4f", t.F1(), b.F1()))
	}
	if n := r.Leads.HardNegativeMatches(); n > 0 {
		miss = append(miss, fmt.Sprintf("%d hard negatives (namesakes) decided match", n))
	}
	return miss
}
