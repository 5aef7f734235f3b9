package batch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

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

// ReadReviewFiles reads the verdicts of reviews files (navsync run's and
// navsync match's --reviews), before anything else of the run: a file that
// cannot be used at all (missing, empty, a required column missing) is an
// ErrBadInput error naming it, and nothing is written; a line that cannot
// be used is a problem with its file and line, and the rest applies.
func ReadReviewFiles(files []string) ([]review.Verdict, []review.VerdictProblem, error) {
	var vs []review.Verdict
	var probs []review.VerdictProblem
	for _, f := range files {
		v, p, err := review.ReadVerdicts(f)
		if err != nil {
			return nil, nil, badInput(fmt.Errorf("--reviews: %w; nothing was written", err))
		}
		vs, probs = append(vs, v...), append(probs, p...)
	}
	return vs, probs, nil
}

// Reviewed is what reviewed pairs mean for one run: the matcher overrides
// they make and, once Apply has seen the result, what they settled.
type Reviewed struct{ rs *reviewState }

// ReviewsWithoutStore checks the verdicts read from files against the
// inputs as a run does (a verdict naming a lead or record the inputs do
// not have is a problem with its line) and keeps the others in memory, for
// navsync match, which has no state store: of several verdicts on one pair
// the last read wins unless both have a time and it is the older, as in
// the store. Summary().Stored is the pairs with a verdict, Imported 0.
func ReviewsWithoutStore(files []string, vs []review.Verdict, probs []review.VerdictProblem, in *input.Inputs) *Reviewed {
	rs, keep := checkVerdicts(files, vs, probs, in)
	at := map[matcher.Pair]int{}
	var pairs []pairVerdict
	var times []time.Time
	for _, v := range keep {
		p := matcher.Pair{LeadID: v.LeadID, CRMID: v.CRMID}
		i, ok := at[p]
		if !ok {
			at[p] = len(pairs)
			pairs, times = append(pairs, pairVerdict{p, v.Verdict}), append(times, v.ReviewedAt)
			continue
		}
		if !v.ReviewedAt.IsZero() && !times[i].IsZero() && v.ReviewedAt.Before(times[i]) {
			continue
		}
		pairs[i].verdict, times[i] = v.Verdict, v.ReviewedAt
	}
	slices.SortFunc(pairs, func(a, b pairVerdict) int {
		return cmp.Or(cmp.Compare(a.LeadID, b.LeadID), cmp.Compare(a.CRMID, b.CRMID))
	})
	rs.sum.Stored = len(pairs)
	rs.settle(pairs, in)
	return &Reviewed{rs}
}

// Overrides are the reviewed pairs of this run's leads for
// matcher.Options.Overrides (nil when there are none).
func (r *Reviewed) Overrides() *matcher.Overrides { return r.rs.overrides }

// Apply acts on the matcher's result as a run does: a lead whose
// same_person pair scores at the review threshold is a match with reason
// reviewed, one scoring below it now is reported; it counts what review
// settled and the observed precision at the auto threshold.
func (r *Reviewed) Apply(m *matcher.Result, opts matcher.Options) { r.rs.apply(m, opts) }

// Summary is what the reviewed pairs did (run.json's "reviews").
func (r *Reviewed) Summary() *review.Reviews { return r.rs.sum }

// Settled are the leads a same_person verdict settled (left out of the
// review page's queue).
func (r *Reviewed) Settled() map[string]bool { return r.rs.settled }

// reviewState is what the reviewed pairs mean for one run.
type reviewState struct {
	sum       *review.Reviews
	overrides *matcher.Overrides
	verdict   map[matcher.Pair]string // this run's leads' verdicts
	settled   map[string]bool         // leads with a same_person verdict
}

// pairVerdict is a pair's verdict as stored.
type pairVerdict struct {
	matcher.Pair
	verdict string
}

// checkVerdicts checks the verdicts read against this run's leads and
// snapshot: a verdict naming a lead or record the run does not have is a
// problem with its line; the others are returned, in the order read.
func checkVerdicts(files []string, vs []review.Verdict, probs []review.VerdictProblem, in *input.Inputs) (*reviewState, []review.Verdict) {
	rs := &reviewState{sum: &review.Reviews{Files: files, Read: len(vs) + len(probs), Problems: probs},
		verdict: map[matcher.Pair]string{}, settled: map[string]bool{}}
	leads, people := map[string]bool{}, map[string]bool{}
	for _, v := range vs {
		leads[v.LeadID], people[v.CRMID] = false, false
	}
	markPresent(in, leads, people)
	var keep []review.Verdict
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
		keep = append(keep, v)
	}
	slices.SortStableFunc(rs.sum.Problems, func(a, b review.VerdictProblem) int {
		if a.File != b.File {
			return slices.Index(files, a.File) - slices.Index(files, b.File)
		}
		return a.Line - b.Line
	})
	return rs, keep
}

// importReviews checks the verdicts read against this run's leads and
// snapshot (checkVerdicts), stores the others (idempotently), and turns
// every stored verdict on this run's leads into matcher overrides.
func importReviews(ctx context.Context, st *state.Store, runID string, files []string, vs []review.Verdict,
	probs []review.VerdictProblem, in *input.Inputs) (*reviewState, error) {
	rs, keep := checkVerdicts(files, vs, probs, in)
	if len(keep) > 0 {
		rows := make([]state.Review, len(keep))
		for i, v := range keep {
			rows[i] = state.Review{LeadID: v.LeadID, CRMID: v.CRMID, Verdict: v.Verdict, Reviewer: v.Reviewer,
				ReviewedAt: v.ReviewedAt, Source: v.File + ":" + strconv.Itoa(v.Line)}
		}
		n, err := st.ImportReviews(ctx, runID, rows)
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
	pairs := make([]pairVerdict, len(stored))
	for i, r := range stored {
		pairs[i] = pairVerdict{matcher.Pair{LeadID: r.LeadID, CRMID: r.CRMID}, r.Verdict}
	}
	rs.settle(pairs, in)
	return rs, nil
}

// settle turns the verdicts on this run's leads and records (of any file,
// any run) into matcher overrides.
func (rs *reviewState) settle(pairs []pairVerdict, in *input.Inputs) {
	if len(pairs) == 0 {
		return
	}
	leads, people := map[string]bool{}, map[string]bool{}
	for _, p := range pairs {
		leads[p.LeadID], people[p.CRMID] = false, false
	}
	markPresent(in, leads, people)
	ov := &matcher.Overrides{}
	for _, p := range pairs {
		if !leads[p.LeadID] || !people[p.CRMID] {
			continue
		}
		rs.verdict[p.Pair] = p.verdict
		if p.verdict == state.VerdictSame {
			ov.Pinned = append(ov.Pinned, p.Pair)
			rs.settled[p.LeadID] = true
		} else {
			ov.Forbidden = append(ov.Forbidden, p.Pair)
		}
	}
	if len(ov.Pinned)+len(ov.Forbidden) > 0 {
		rs.overrides = ov
	}
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
