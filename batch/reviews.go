package batch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/matcher"
)

// ReasonReviewed is the reason of a match a person settled on the review
// page (a same_person verdict).
const ReasonReviewed = "reviewed"

// reviewFiles are the reviews files of a run: the config's, then the
// command line's.
func reviewFiles(cfg *Config, extra []string) []string {
	var out []string
	for _, f := range append([]string{cfg.Reviews}, extra...) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// readReviewFiles reads the verdicts of the reviews files, before anything
// else of the run: a file that cannot be used stops the run (exit 5,
// nothing written); a line that cannot be used is a problem and the rest
// applies.
func readReviewFiles(files []string) ([]review.Verdict, []review.VerdictProblem, error) {
	var vs []review.Verdict
	var probs []review.VerdictProblem
	for _, f := range files {
		v, p, err := review.ReadVerdicts(f)
		if err != nil {
			return nil, nil, badInput(fmt.Errorf("run: --reviews: %w; nothing was written", err))
		}
		vs, probs = append(vs, v...), append(probs, p...)
	}
	return vs, probs, nil
}

// reviewState is what the reviewed pairs mean for one run.
type reviewState struct {
	sum       *review.Reviews
	overrides *matcher.Overrides
	verdict   map[matcher.Pair]string // this run's leads' verdicts
	settled   map[string]bool         // leads with a same_person verdict
}

// importReviews checks the verdicts read against this run's leads and
// snapshot (a verdict naming a lead or record the run does not have is a
// problem with its line), stores the others (idempotently), and turns every
// stored verdict on this run's leads into matcher overrides.
func importReviews(ctx context.Context, st *state.Store, runID string, files []string, vs []review.Verdict,
	probs []review.VerdictProblem, in *input.Inputs) (*reviewState, error) {
	rs := &reviewState{sum: &review.Reviews{Files: files, Read: len(vs) + len(probs), Problems: probs},
		verdict: map[matcher.Pair]string{}, settled: map[string]bool{}}
	leads, people := map[string]bool{}, map[string]bool{}
	for _, v := range vs {
		leads[v.LeadID], people[v.CRMID] = false, false
	}
	markPresent(in, leads, people)
	var keep []state.Review
	for _, v := range vs {
		problem := ""
		switch {
		case !leads[v.LeadID]:
			problem = "no lead " + strconv.Quote(v.LeadID) + " in this run's Sales Navigator exports"
		case !people[v.CRMID]:
			problem = "no Contact or Lead " + strconv.Quote(v.CRMID) + " in the org snapshot"
		}
		if problem != "" {
			rs.sum.Problems = append(rs.sum.Problems, review.VerdictProblem{File: v.File, Line: v.Line, LeadID: v.LeadID, CRMID: v.CRMID, Problem: problem})
			continue
		}
		keep = append(keep, state.Review{LeadID: v.LeadID, CRMID: v.CRMID, Verdict: v.Verdict, Reviewer: v.Reviewer,
			ReviewedAt: v.ReviewedAt, Source: v.File + ":" + strconv.Itoa(v.Line)})
	}
	slices.SortStableFunc(rs.sum.Problems, func(a, b review.VerdictProblem) int {
		if a.File != b.File {
			return slices.Index(files, a.File) - slices.Index(files, b.File)
		}
		return a.Line - b.Line
	})
	if len(keep) > 0 {
		n, err := st.ImportReviews(ctx, runID, keep)
		if err != nil {
			return nil, err
		}
		rs.sum.Imported = n
	}
	stored, err := st.Reviews(ctx)
	if err != nil {
		return nil, err
	}
	rs.sum.Stored = len(stored)
	if len(stored) == 0 {
		return rs, nil
	}
	// The stored verdicts on this run's leads (of any file, any run).
	leads, people = map[string]bool{}, map[string]bool{}
	for _, r := range stored {
		leads[r.LeadID], people[r.CRMID] = false, false
	}
	markPresent(in, leads, people)
	ov := &matcher.Overrides{}
	for _, r := range stored {
		if !leads[r.LeadID] || !people[r.CRMID] {
			continue
		}
		p := matcher.Pair{LeadID: r.LeadID, CRMID: r.CRMID}
		rs.verdict[p] = r.Verdict
		if r.Verdict == state.VerdictSame {
			ov.Pinned = append(ov.Pinned, p)
			rs.settled[r.LeadID] = true
		} else {
			ov.Forbidden = append(ov.Forbidden, p)
		}
	}
	if len(ov.Pinned)+len(ov.Forbidden) > 0 {
		rs.overrides = ov
	}
	return rs, nil
}

// markPresent sets leads[id] and people[id] for the ids of the run's leads
// and CRM people listed in them.
func markPresent(in *input.Inputs, leads, people map[string]bool) {
	for i := range in.Input.Leads {
		if _, ok := leads[in.Input.Leads[i].LeadID]; ok {
			leads[in.Input.Leads[i].LeadID] = true
		}
	}
	for i := range in.Input.People {
		if _, ok := people[in.Input.People[i].ID]; ok {
			people[in.Input.People[i].ID] = true
		}
	}
}

// apply acts on the matcher's result: a lead whose same_person pair still
// scores at the review threshold is a match with reason reviewed (written
// back like any match); one scoring below it now is reported, not applied.
// It counts what review settled and the observed precision at the auto
// threshold.
func (rs *reviewState) apply(m *matcher.Result, opts matcher.Options) {
	if rs == nil || m == nil {
		return
	}
	score := map[matcher.Pair]matcher.PairScore{}
	pinned := map[string][]matcher.PairScore{}
	for _, s := range m.Overrides {
		if s.Found {
			score[s.Pair] = s
			if s.Pinned {
				pinned[s.LeadID] = append(pinned[s.LeadID], s)
			}
		}
	}
	for i := range m.Leads {
		lr := &m.Leads[i]
		if !rs.settled[lr.LeadID] {
			continue
		}
		p := matcher.Pair{LeadID: lr.LeadID, CRMID: lr.CRMID}
		if lr.CRMID != "" && rs.verdict[p] == state.VerdictSame && lr.Probability >= opts.ReviewThreshold {
			lr.Decision, lr.Reason = matcher.DecisionMatch, ReasonReviewed
			rs.sum.SettledSame++
			continue
		}
		// The best of the lead's same_person pairs, reported.
		best := matcher.PairScore{Probability: -1}
		for _, s := range pinned[lr.LeadID] {
			if s.Probability > best.Probability {
				best = s
			}
		}
		why := fmt.Sprintf("scores %.3f now, below the review threshold %g: the records changed since the review; review it again", best.Probability, opts.ReviewThreshold)
		rs.sum.NotApplied = append(rs.sum.NotApplied, review.NotApplied{LeadID: lr.LeadID, CRMID: best.CRMID, Probability: best.Probability, Why: why})
		lr.Reason = "review not applied: " + why
	}
	slices.SortFunc(rs.sum.NotApplied, func(a, b review.NotApplied) int { return cmp.Compare(a.LeadID, b.LeadID) })
	// Precision of the reviewed pairs at today's auto threshold.
	pr := review.Precision{Threshold: opts.AutoThreshold}
	bands := []review.Band{
		{Label: fmt.Sprintf("at or above the auto threshold %g", opts.AutoThreshold)},
		{Label: fmt.Sprintf("from the review threshold %g", opts.ReviewThreshold)},
		{Label: fmt.Sprintf("below the review threshold %g", opts.ReviewThreshold)},
	}
	for p, v := range rs.verdict {
		s, ok := score[p]
		if !ok {
			continue
		}
		same := v == state.VerdictSame
		if !same {
			rs.sum.SettledDifferent++
		}
		b := &bands[2]
		switch {
		case s.Probability >= opts.AutoThreshold:
			b = &bands[0]
			pr.Pairs++
			if same {
				pr.Same++
			}
		case s.Probability >= opts.ReviewThreshold:
			b = &bands[1]
		}
		if same {
			b.Same++
		} else {
			b.Different++
		}
	}
	if pr.Pairs > 0 {
		pr.Value = float64(pr.Same) / float64(pr.Pairs)
	}
	pr.Bands = bands
	rs.sum.Precision = pr
	// The run's counts follow the decisions.
	m.Stats.Matches, m.Stats.Possible, m.Stats.None = 0, 0, 0
	for i := range m.Leads {
		switch m.Leads[i].Decision {
		case matcher.DecisionMatch:
			m.Stats.Matches++
		case matcher.DecisionPossible:
			m.Stats.Possible++
		default:
			m.Stats.None++
		}
	}
}
