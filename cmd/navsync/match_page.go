package main

import (
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/matcher"
)

// matchPage is the review page of a navsync match run: its decisions,
// weights, blocking keys, rejects, the pairs --reviews settled (reviews;
// settled leads are left out of the queue) and the review queue (no
// actions or quota: match writes nothing to Salesforce).
func matchPage(runID string, started time.Time, timings []stageTiming, in *input.Inputs, res *matcher.Result, opts matcher.Options,
	reviews *review.Reviews, settled map[string]bool) *review.Input {
	p := &review.Input{
		Run:           review.Run{Command: "match", RunID: runID, Started: started, Ended: time.Now(), Status: "succeeded"},
		AutoThreshold: opts.AutoThreshold, ReviewThreshold: opts.ReviewThreshold,
		LeadPrior: matcher.LeadPrior(opts.Params, len(in.Input.People)),
		Leads:     in.Input.Leads, Results: res.Leads, Companies: res.Companies, Stats: res.Stats,
		People: in.Input.People, Accounts: in.Input.Accounts, Users: in.Users, Files: in.Files, Rejects: in.Rejects,
		Reviews: reviews, Settled: settled,
	}
	for _, t := range timings {
		p.Run.Stages = append(p.Run.Stages, review.Stage{Name: t.stage, Seconds: t.took.Seconds()})
	}
	return p
}
