package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/review"
	"golang.org/x/term"
)

// applyOptions tune navsync run's apply stage. Only tests set them: a test
// running navsync in a subprocess (TestMain) splits ingest calls over
// several small jobs with it.
var applyOptions batch.ApplyOptions

// runRun is `navsync run`: the job once, from a config file.
func runRun(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("run", env)
	configPath := flags.String("config", "navsync.yaml", "configuration `FILE` (YAML; see navsync.example.yaml)")
	dryRun := flags.Bool("dry-run", false, "run every stage and write every report, but send no write to Salesforce (actions would_update)")
	force := flags.Bool("force", false, "apply a plan the safety brake stopped (safety.max_writes, safety.max_growth)")
	runID := flags.String("run-id", "", "run id (default: time-based, e.g. 20261123T064500Z-ab12)")
	var leads, accounts stringList
	flags.Var(&leads, "leads", "Sales Navigator lead export `FILE` instead of the config's salesnav.leads (repeatable)")
	flags.Var(&accounts, "accounts", "Sales Navigator account export `FILE` instead of the config's salesnav.accounts (repeatable)")
	var reviews stringList
	flags.Var(&reviews, "reviews", "reviews.csv `FILE` downloaded from report.html: its verdicts are imported (idempotently) besides the config's reviews (repeatable)")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync run [--config FILE] [--dry-run] [--force] [--reviews FILE] [--leads FILE...] [--accounts FILE...]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *runID != "" && !batch.ValidRunID(*runID) {
		return usagef("run: --run-id %q: use letters, digits, '.', '_' and '-' only", *runID)
	}
	if len(accounts) > 0 && len(leads) == 0 {
		return usagef("run: --accounts needs --leads (the pair replaces the config's exports)")
	}
	cfg, err := batch.Load(*configPath)
	if err != nil {
		return err
	}
	res, err := batch.Run(ctx, batch.RunOptions{
		Config: cfg, DryRun: *dryRun, Force: *force, Leads: leads, Accounts: accounts, RunID: *runID, Reviews: reviews,
		Command: "run", Log: env.log, Progress: progressFor(env), Apply: applyOptions,
	})
	if res != nil && res.Match != nil {
		printRunSummary(env.stdout, res)
	}
	return err
}

// progressFor draws a bar when stderr is a terminal, and logs periodic
// progress lines otherwise.
func progressFor(env *cmdEnv) batch.Progress {
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return batch.NewBarProgress(f)
	}
	return batch.NewLogProgress(env.log, 10*time.Second)
}

// printRunSummary prints what a run decided and did: decisions, actions by
// kind and status, errors by code, API calls, where the reports are. No
// names, emails or tokens.
func printRunSummary(w io.Writer, res *batch.RunResult) {
	s := &res.Summary
	mode := "real run"
	if s.DryRun {
		mode = "dry run: nothing was written to Salesforce"
	}
	fmt.Fprintf(w, "navsync run %s — org %s (%s)\n", s.RunID, s.OrgID, mode)
	if r := s.Reconciled; r != nil {
		fmt.Fprintf(w, "reconciled  %d interrupted run(s): %d sent actions found applied, %d not applied, %d never sent (planned again)\n",
			len(r.Runs), r.Done, r.NotApplied, r.Superseded)
	}
	if res.Extract != nil {
		fmt.Fprintf(w, "snapshot    %s records in %d Bulk API 2.0 jobs (%s)\n", num(res.Extract.Rows()), res.Extract.Jobs(), roundDuration(res.Extract.Took))
	}
	if in := res.Inputs; in != nil {
		fmt.Fprintf(w, "inputs      %s leads, %s CRM people, %s CRM accounts; %s rows rejected%s\n", num(int64(len(in.Input.Leads))),
			num(int64(len(in.Input.People))), num(int64(len(in.Input.Accounts))), num(int64(len(in.Rejects))), rejectBreakdown(in.Rejects))
	}
	fmt.Fprintf(w, "leads       %s match, %s possible, %s none\n", num(int64(s.Leads["match"])), num(int64(s.Leads["possible"])), num(int64(s.Leads["none"])))
	if len(s.Accounts) > 0 {
		fmt.Fprintf(w, "accounts    %s match, %s possible, %s none\n", num(int64(s.Accounts["match"])), num(int64(s.Accounts["possible"])), num(int64(s.Accounts["none"])))
	}
	if r := s.Reviews; r != nil {
		printReviews(w, r)
	}

	fmt.Fprintln(w, "\nactions")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  action\tstatus\treason\tcount")
	type row struct {
		kind, status, reason string
		n                    int
	}
	counts := map[row]int{}
	for i := range res.Actions {
		k := row{res.Actions[i].Kind, res.Outcomes[i].Status, res.Actions[i].Reason, 0}
		counts[k]++
	}
	var rows []row
	for k, n := range counts {
		k.n = n
		rows = append(rows, k)
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.status, b.status), cmp.Compare(b.n, a.n), strings.Compare(a.reason, b.reason))
	})
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.kind, r.status, cmp.Or(r.reason, "-"), num(int64(r.n)))
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "  (none)\t\t\t")
	}
	tw.Flush()
	if len(s.Errors) > 0 {
		fmt.Fprintln(w, "\nerrors by Salesforce code")
		codes := make([]string, 0, len(s.Errors))
		for c := range s.Errors {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			fmt.Fprintf(w, "  %-32s %s  %s\n", c, num(int64(s.Errors[c])), errorFix(c))
		}
	}
	if b := s.Brake; b != nil && b.Tripped != "" {
		verb := "stopped this run"
		switch {
		case s.DryRun:
			verb = "would stop the real run (use --force if intended)"
		case b.Forced:
			verb = "was overridden with --force"
		}
		fmt.Fprintf(w, "\nsafety brake (%s) %s: %s planned writes (max_writes %s; previous run wrote %s, growth limit %s)\n",
			b.Tripped, verb, num(int64(b.Planned)), num(int64(b.MaxWrites)), num(int64(b.PreviousWrites)), num(int64(b.GrowthLimit)))
	}
	calls := s.APICalls
	what := "spent on writes"
	if calls.WouldSpend {
		what = "the writes would spend"
	}
	left := ""
	if calls.OrgMax > 0 {
		left = fmt.Sprintf("; the org's daily usage: %s of %s (%s left)", num(int64(calls.OrgUsed)), num(int64(calls.OrgMax)), num(int64(calls.OrgMax-calls.OrgUsed)))
	}
	owners := ""
	if calls.OwnerCalls > 0 {
		owners = fmt.Sprintf(" (%s of them with the owners' own tokens)", num(calls.OwnerCalls))
	}
	fmt.Fprintf(w, "\nAPI calls   %s sent by this run as the integration user, %s %s%s%s\n", num(calls.Spent), num(calls.WriteCalls), what, owners, left)
	if len(res.Quota) > 0 {
		printQuota(w, res)
	}
	var ts []string
	for _, t := range s.Stages {
		ts = append(ts, fmt.Sprintf("%s %s", t.Stage, roundDuration(time.Duration(t.Seconds*float64(time.Second)))))
	}
	fmt.Fprintf(w, "timings     %s\n", strings.Join(ts, ", "))
	if res.ReportDir != "" {
		dir := displayPath(res.ReportDir)
		fmt.Fprintf(w, "reports     %s\n", dir)
		fmt.Fprintf(w, "  duckdb -c \"SELECT action, status, reason, count(*) FROM '%s/actions.parquet' GROUP BY ALL ORDER BY 4 DESC\"\n", dir)
		fmt.Fprintf(w, "  duckdb -c \"SELECT decision, count(*) FROM '%s/matches.parquet' GROUP BY 1\"\n", dir)
		fmt.Fprintf(w, "review page %s/%s (open it in a browser; it holds personal data)\n", dir, batch.PageFile)
	}
}

// printReviews prints what the reviewed pairs did: verdicts read and
// stored, pairs settled, verdicts not applied, the observed precision.
func printReviews(w io.Writer, r *review.Reviews) {
	fmt.Fprintf(w, "reviews     %s verdicts read from %d file(s), %s new or changed, %s in the state store; settled %s pairs: %s same person (reason reviewed), %s different people\n",
		num(int64(r.Read)), len(r.Files), num(int64(r.Imported)), num(int64(r.Stored)), num(int64(r.SettledSame+r.SettledDifferent)),
		num(int64(r.SettledSame)), num(int64(r.SettledDifferent)))
	printReviewDetails(w, r, "            ", "report.html and run.json list them all")
}

// printReviewDetails prints, each line after indent, the observed
// precision, the same-person verdicts not applied and the first verdict
// lines not applied with their file and line (the rest: where they are
// all listed).
func printReviewDetails(w io.Writer, r *review.Reviews, indent, rest string) {
	if p := r.Precision; p.Pairs > 0 {
		fmt.Fprintf(w, "%sobserved precision at the auto threshold %g: %.1f%% (%d of %d reviewed pairs scoring at or above it are the same person)\n",
			indent, p.Threshold, 100*p.Value, p.Same, p.Pairs)
	}
	if n := len(r.NotApplied); n > 0 {
		fmt.Fprintf(w, "%s%s same-person verdicts not applied: the pair scores below the review threshold now (see report.html)\n", indent, num(int64(n)))
	}
	for i, p := range r.Problems {
		if i == 5 {
			fmt.Fprintf(w, "%s… and %d more (%s)\n", indent, len(r.Problems)-5, rest)
			break
		}
		fmt.Fprintf(w, "%snot applied: %s line %d: %s\n", indent, displayPath(p.File), p.Line, p.Problem)
	}
}

// errorFix is a one-line hint for a Salesforce error code in the summary
// (the review page shows the same).
func errorFix(code string) string { return review.ErrorFix(code) }

// displayPath shows path relative to the working folder when it lies
// inside it (the config makes every path absolute), in slash form for
// copying into a DuckDB query.
func displayPath(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			path = rel
		}
	}
	return filepath.ToSlash(path)
}

// printQuota prints each owner's contact quota and API budget, as
// quota.parquet holds them, with the contacts this run created for them.
func printQuota(w io.Writer, res *batch.RunResult) {
	created := map[string]int{}
	for i, a := range res.Actions {
		if a.Kind == batch.KindCreateContact && (res.Outcomes[i].Status == batch.StatusDone || res.Outcomes[i].Status == batch.StatusWouldCreate) {
			created[a.OnBehalfOf]++
		}
	}
	verb := "created"
	if res.Summary.DryRun {
		verb = "would create"
	}
	fmt.Fprintf(w, "quota       per owner (month %s, day %s; ids only)\n", res.Quota[0].Month, res.Quota[0].Day)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  owner\tthis run %s\tcreated this month\treserved\tremaining\tAPI calls today\tremaining\t\n", verb)
	for _, q := range res.Quota {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", q.UserID, num(int64(created[q.UserID])), num(int64(q.Created)), num(int64(q.Reserved)),
			num(int64(q.Remains)), num(int64(q.APICalls)), num(int64(q.APIRemains)))
	}
	tw.Flush()
}
