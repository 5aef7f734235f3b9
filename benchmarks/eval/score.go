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
}

func newReport() *report { return &report{} }

func (r *report) merge(o *report) {
	r.Leads.Merge(o.Leads)
	r.Baseline.Merge(o.Baseline)
	r.Companies.Merge(o.Companies)
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
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= 0.995)\n", "precision of match", t.Precision(), b.Precision())
	fmt.Fprintf(out, "%-28s %10.4f %10.4f   (target >= 0.90)\n", "recall of match", t.Recall(), b.Recall())
	fmt.Fprintf(out, "%-28s %10.4f %10s   (target >= 0.97)\n", "recall of match+possible", t.RecallPossible(), "-")
	fmt.Fprintf(out, "%-28s %10.4f %10.4f\n", "F1 of match", t.F1(), b.F1())
	fmt.Fprintf(out, "%-28s %10d\n", "hard negatives decided match", r.Leads.HardNegativeMatches())
	fmt.Fprintf(out, "decisions: match %d, possible %d, none %d\n", t.Match, t.Possible, t.None)

	fmt.Fprintf(out, "\n%-16s %6s %6s %7s %7s %7s %7s %6s | %8s %8s\n", "scenario", "leads", "in_org", "match", "wrong", "poss.", "poss.ok", "none", "base_ok", "base_bad")
	for _, s := range r.Leads.Scenarios() {
		c, bc := r.Leads.ByScenario[s], r.Baseline.ByScenario[s]
		fmt.Fprintf(out, "%-16s %6d %6d %7d %7d %7d %7d %6d | %8d %8d\n", s, c.Leads, c.InOrg, c.MatchRight, c.MatchWrong(),
			c.Possible, c.PossibleRight, c.None, bc.MatchRight, bc.MatchWrong())
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

// meetsTargets lists the quality targets that the report misses.
func (r *report) meetsTargets() []string {
	var miss []string
	t, b := r.Leads.Total, r.Baseline.Total
	if t.Precision() < 0.995 {
		miss = append(miss, fmt.Sprintf("precision of match %.4f < 0.995", t.Precision()))
	}
	if t.Recall() < 0.90 {
		miss = append(miss, fmt.Sprintf("recall of match %.4f < 0.90", t.Recall()))
	}
	if t.RecallPossible() < 0.97 {
		miss = append(miss, fmt.Sprintf("recall of match+possible %.4f < 0.97", t.RecallPossible()))
	}
	if t.F1() <= b.F1()+0.02 {
		miss = append(miss, fmt.Sprintf("F1 %.4f not clearly above the baseline's %.4f", t.F1(), b.F1()))
	}
	if n := r.Leads.HardNegativeMatches(); n > 0 {
		miss = append(miss, fmt.Sprintf("%d hard negatives (namesakes) decided match", n))
	}
	return miss
}
