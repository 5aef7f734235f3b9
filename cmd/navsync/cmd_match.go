package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/internal/atomicfile"
	"github.com/navsync/navsync/internal/numfmt"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/sync/errgroup"
)

// matchConfig is one offline matching run.
type matchConfig struct {
	crmDir   string
	leads    []string
	accounts []string
	reviews  []string // reviews files (reviews.csv of report.html)
	outDir   string
	train    bool
	runID    string
	opts     matcher.Options
	// cpuProfile is a file to write a CPU profile of the run to (for
	// performance work; not in the usage summary).
	cpuProfile string
}

// stageTiming is how long one stage took.
type stageTiming struct {
	stage string
	took  time.Duration
}

// matchOutcome is what a run read, decided and wrote.
type matchOutcome struct {
	runID   string
	in      *input.Inputs
	res     *matcher.Result
	params  *matcher.Params // trained parameters, nil without --train
	reviews *review.Reviews // what --reviews settled, nil without
	reports []string        // files written
	timings []stageTiming
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// newRunID returns a time-based run id such as 20261123T064500Z-ab12.
func newRunID(now time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func runMatch(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("match", env)
	var cfg matchConfig
	cfg.opts = matcher.DefaultOptions()
	flags.StringVar(&cfg.crmDir, "crm", "", "`DIR` holding the org snapshot: Contact.csv, Lead.csv, Account.csv (required), User.csv, Opportunity.csv")
	flags.Var((*stringList)(&cfg.leads), "leads", "Sales Navigator lead export, CSV or Parquet (`FILE`; repeatable)")
	flags.Var((*stringList)(&cfg.accounts), "accounts", "Sales Navigator account export, CSV or Parquet (`FILE`; repeatable, optional)")
	flags.Var((*stringList)(&cfg.reviews), "reviews", "reviews.csv `FILE` downloaded from report.html: a same_person pair is matched (reason reviewed), a different_people pair never proposed (repeatable)")
	flags.StringVar(&cfg.outDir, "out", "", "`DIR` for matches.parquet, accounts.parquet, rejects.parquet (and params.json); replaced as a whole: a link to this run's folder in .DIR.runs beside it")
	flags.BoolVar(&cfg.train, "train", false, "re-estimate the m/u parameters by EM on these inputs before matching; writes params.json")
	flags.Float64Var(&cfg.opts.AutoThreshold, "auto-threshold", cfg.opts.AutoThreshold, "probability at or above which a clear best candidate is a match")
	flags.Float64Var(&cfg.opts.ReviewThreshold, "review-threshold", cfg.opts.ReviewThreshold, "probability at or above which the best candidate is a possible match")
	flags.IntVar(&cfg.opts.Parallelism, "parallelism", 0, "matcher goroutines (0: one per CPU); the result does not depend on it")
	flags.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof)")
	flags.StringVar(&cfg.runID, "run-id", "", "run id written into every report row (default: time-based, e.g. 20261123T064500Z-ab12)")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync match --crm DIR --leads FILE... [--accounts FILE...] [--reviews FILE...] --out DIR [--train] [--auto-threshold X --review-threshold Y]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.runID == "" {
		cfg.runID = newRunID(time.Now())
	}
	defer matchGCSetting()()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return fmt.Errorf("match: cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("match: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	out, err := doMatch(ctx, env.log, cfg)
	if err != nil {
		return err
	}
	printMatchSummary(env.stdout, out)
	return nil
}

// matchGCPercent and matchMemoryLimit are the garbage collector setting of
// navsync match, the one process-wide setting the command makes. The run
// holds a few GiB of records, indexes and results that live to its end,
// so GOGC=100 collects every time the heap doubles and marks gigabytes of
// live data for little garbage. GOGC=200 halves the collections, and the
// soft memory limit makes the collector work harder instead of letting the
// heap pass about 7 GiB, inside the 8 GiB budget of the scale target (1M
// leads × 2M CRM people: ~10% less CPU, peak resident memory the same,
// ~6.6 GiB). A GOGC or GOMEMLIMIT in the environment wins: set GOMEMLIMIT
// on a machine with less memory.
const (
	matchGCPercent   = 200
	matchMemoryLimit = 7 << 30
)

// matchGCSetting applies the GC setting of navsync match unless GOGC or
// GOMEMLIMIT is set, and returns a function that restores the previous one
// (tests run commands in one process).
func matchGCSetting() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	pct := debug.SetGCPercent(matchGCPercent)
	limit := debug.SetMemoryLimit(matchMemoryLimit)
	return func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	}
}

func (c *matchConfig) validate() error {
	switch {
	case c.crmDir == "":
		return usagef("match: --crm DIR is required")
	case len(c.leads) == 0:
		return usagef("match: at least one --leads FILE is required")
	case c.outDir == "":
		return usagef("match: --out DIR is required")
	case !(c.opts.AutoThreshold > 0 && c.opts.AutoThreshold <= 1):
		return usagef("match: --auto-threshold %v: want a probability in (0, 1]", c.opts.AutoThreshold)
	case !(c.opts.ReviewThreshold > 0 && c.opts.ReviewThreshold <= 1):
		return usagef("match: --review-threshold %v: want a probability in (0, 1]", c.opts.ReviewThreshold)
	case c.opts.ReviewThreshold > c.opts.AutoThreshold:
		return usagef("match: --review-threshold %v is above --auto-threshold %v", c.opts.ReviewThreshold, c.opts.AutoThreshold)
	case c.opts.Parallelism < 0:
		return usagef("match: --parallelism %d: want 0 or more", c.opts.Parallelism)
	case c.runID != "" && !runIDPattern.MatchString(c.runID):
		return usagef("match: --run-id %q: use letters, digits, '.', '_' and '-' only", c.runID)
	}
	return nil
}

// doMatch reads the inputs, optionally trains, matches and writes the
// reports. An unusable input or report folder stops it before anything is
// written (exit 5). The reports are written into a fresh folder that
// replaces the set at --out in one step (report.Set).
func doMatch(ctx context.Context, log *slog.Logger, cfg matchConfig) (*matchOutcome, error) {
	out := &matchOutcome{runID: cfg.runID}
	start := time.Now()
	stage := func(name string, since time.Time) {
		out.timings = append(out.timings, stageTiming{name, time.Since(since)})
	}

	// The inputs' paths and the report folder are checked, and this run's
	// folder made, before anything is read: a wrong path costs nothing.
	if err := checkPaths(cfg); err != nil {
		return nil, badInput(err)
	}
	set, err := report.Stage(cfg.outDir, cfg.runID)
	if err != nil {
		if errors.Is(err, report.ErrOutDir) {
			return nil, badInput(fmt.Errorf("match: --out %w", err))
		}
		return nil, fmt.Errorf("match: --out %w", err)
	}
	defer set.Abort() // nothing once published

	// The reviews files are read first: one that is not a reviews file
	// stops the run before anything is written (exit 5); a line that
	// cannot be used is a problem with its line, the rest applies.
	reviewFiles := uniq(cfg.reviews)
	verdicts, verdictProblems, err := batch.ReadReviewFiles(reviewFiles)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}

	t := time.Now()
	in, err := input.Read(ctx, input.Sources{CRMDir: cfg.crmDir, Leads: cfg.leads, Accounts: cfg.accounts}, input.SnapshotOptions{})
	if err != nil {
		if errors.Is(err, input.ErrSchema) || errors.Is(err, fs.ErrNotExist) {
			return nil, badInput(fmt.Errorf("match: %w", err))
		}
		return nil, fmt.Errorf("match: read inputs: %w", err)
	}
	out.in = in
	stage("read", t)
	log.Info("inputs read", "run_id", cfg.runID, "leads", len(in.Input.Leads), "companies", len(in.Input.Companies),
		"crm_people", len(in.Input.People), "crm_accounts", len(in.Input.Accounts), "rejects", len(in.Rejects),
		"took", time.Since(t).Round(time.Millisecond).String())

	opts := cfg.opts
	if cfg.train {
		t = time.Now()
		params, err := matcher.Train(ctx, in.Input, opts)
		if err != nil {
			return nil, fmt.Errorf("match: train: %w", err)
		}
		out.params, opts.Params = params, params
		stage("train", t)
		log.Info("parameters trained", "run_id", cfg.runID, "took", time.Since(t).Round(time.Millisecond).String())
	}

	// Reviewed pairs settle their leads as in navsync run, from the files
	// alone (match keeps no state store).
	var reviewed *batch.Reviewed
	if len(reviewFiles) > 0 {
		reviewed = batch.ReviewsWithoutStore(reviewFiles, verdicts, verdictProblems, in)
		opts.Overrides = reviewed.Overrides()
	}

	t = time.Now()
	res, err := matcher.Match(ctx, in.Input, opts)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	var settled map[string]bool
	if reviewed != nil {
		reviewed.Apply(res, opts)
		out.reviews, settled = reviewed.Summary(), reviewed.Settled()
		r := out.reviews
		log.Info("reviews", "run_id", cfg.runID, "files", len(reviewFiles), "verdicts_read", r.Read, "pairs", r.Stored,
			"problems", len(r.Problems), "settled_same", r.SettledSame, "settled_different", r.SettledDifferent, "not_applied", len(r.NotApplied))
	}
	out.res = res
	stage("match", t)
	log.Info("matched", "run_id", cfg.runID, "match", res.Stats.Matches, "possible", res.Stats.Possible, "none", res.Stats.None,
		"candidate_pairs", res.Stats.CandidatePairs, "took", time.Since(t).Round(time.Millisecond).String())

	t = time.Now()
	names := []string{report.MatchesFile, report.AccountsFile, report.RejectsFile}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return report.WriteMatches(gctx, set.Path(names[0]), cfg.runID, res.Leads) })
	g.Go(func() error { return report.WriteAccounts(gctx, set.Path(names[1]), cfg.runID, res.Companies) })
	g.Go(func() error { return report.WriteRejects(gctx, set.Path(names[2]), cfg.runID, in.Rejects) })
	if out.params != nil {
		names = append(names, "params.json")
		g.Go(func() error { return writeJSON(set.Path("params.json"), out.params) })
	}
	names = append(names, review.FileName) // the review page, in the same set
	page := matchPage(cfg.runID, start, out.timings, in, res, opts, out.reviews, settled)
	g.Go(func() error { return review.WriteFile(set.Path(review.FileName), page) })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("match: write reports: %w", err)
	}
	// One step replaces the whole set at --out; a failure leaves the
	// previous one.
	if err := set.Publish(); err != nil {
		return nil, fmt.Errorf("match: write reports: %w", err)
	}
	for _, n := range names {
		out.reports = append(out.reports, filepath.Join(cfg.outDir, n))
	}
	stage("write", t)
	stage("total", start)
	log.Info("reports written", "run_id", cfg.runID, "dir", cfg.outDir, "took", time.Since(t).Round(time.Millisecond).String())
	return out, nil
}

// checkPaths checks that --crm is a folder and every --leads and
// --accounts a file, without reading them.
func checkPaths(cfg matchConfig) error {
	fi, err := os.Stat(cfg.crmDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("match: --crm %s: org snapshot folder not found", cfg.crmDir)
	case err != nil:
		return fmt.Errorf("match: --crm %w", err)
	case !fi.IsDir():
		return fmt.Errorf("match: --crm %s is a file, not a folder: give the folder holding Contact.csv, Lead.csv and Account.csv", cfg.crmDir)
	}
	check := func(flag string, paths []string) error {
		for _, p := range paths {
			fi, err := os.Stat(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("match: %s %s: file not found", flag, p)
			case err != nil:
				return fmt.Errorf("match: %s %w", flag, err)
			case fi.IsDir():
				return fmt.Errorf("match: %s %s is a folder, not a file", flag, p)
			}
		}
		return nil
	}
	if err := check("--leads", cfg.leads); err != nil {
		return err
	}
	if err := check("--accounts", cfg.accounts); err != nil {
		return err
	}
	return check("--reviews", cfg.reviews)
}

// uniq is paths without repeats, in order.
func uniq(paths []string) []string {
	var out []string
	for _, p := range paths {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// writeJSON writes v as indented JSON to path through a temporary file.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// printMatchSummary prints counts per decision, rejects, candidate pairs,
// blocking keys, timings and the files written. No names or emails.
func printMatchSummary(w io.Writer, o *matchOutcome) {
	in, res := o.in, o.res
	fmt.Fprintf(w, "navsync match — run %s\n\n", o.runID)

	dropped := 0
	for _, f := range in.Files {
		dropped += f.DroppedValues
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if dropped > 0 {
		fmt.Fprintln(tw, "input\tkind\trows\trejected\tvalues dropped")
	} else {
		fmt.Fprintln(tw, "input\tkind\trows\trejected")
	}
	for _, f := range in.Files {
		if dropped > 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Path, f.Kind, num(int64(f.Rows)), num(int64(f.Rejected)), num(int64(f.DroppedValues)))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Path, f.Kind, num(int64(f.Rows)), num(int64(f.Rejected)))
		}
	}
	tw.Flush()

	leadCounts := countDecisions(len(res.Leads), func(i int) matcher.Decision { return res.Leads[i].Decision })
	fmt.Fprintf(w, "\nleads     %s: %s match, %s possible, %s none\n", num(int64(len(res.Leads))),
		num(leadCounts[matcher.DecisionMatch]), num(leadCounts[matcher.DecisionPossible]), num(leadCounts[matcher.DecisionNone]))
	if len(res.Companies) > 0 {
		c := countDecisions(len(res.Companies), func(i int) matcher.Decision { return res.Companies[i].Decision })
		fmt.Fprintf(w, "accounts  %s: %s match, %s possible, %s none\n", num(int64(len(res.Companies))),
			num(c[matcher.DecisionMatch]), num(c[matcher.DecisionPossible]), num(c[matcher.DecisionNone]))
	}
	rows := slices.DeleteFunc(slices.Clone(in.Rejects), func(r input.Reject) bool { return r.Reason == input.ReasonInvalidValue })
	fmt.Fprintf(w, "rejects   %s%s\n", num(int64(len(rows))), rejectBreakdown(rows))
	if dropped > 0 {
		fmt.Fprintf(w, "values    %s left out of kept rows (invalid_value) — see rejects.parquet\n", num(int64(dropped)))
	}
	fmt.Fprintf(w, "pairs     %s candidate pairs scored\n", num(res.Stats.CandidatePairs))
	if r := o.reviews; r != nil {
		fmt.Fprintf(w, "reviews   %s verdicts read from %d file(s), %s pairs with a verdict; settled %s pairs: %s same person (reason reviewed), %s different people\n",
			num(int64(r.Read)), len(r.Files), num(int64(r.Stored)), num(int64(r.SettledSame+r.SettledDifferent)),
			num(int64(r.SettledSame)), num(int64(r.SettledDifferent)))
		printReviewDetails(w, r, "          ", "report.html lists them all")
	}

	printBlocks := func(title string, bs []matcher.BlockStats) {
		if len(bs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "key\tpairs\tblocks\tcapped blocks\tcapped records")
		for _, b := range bs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Key, num(b.Pairs), num(b.Blocks), num(b.CappedBlocks), num(b.CappedRecords))
		}
		tw.Flush()
	}
	printBlocks("blocking keys (leads)", res.Stats.LeadBlocks)
	printBlocks("blocking keys (accounts)", res.Stats.CompanyBlocks)

	var ts []string
	for _, t := range o.timings {
		ts = append(ts, fmt.Sprintf("%s %s", t.stage, roundDuration(t.took)))
	}
	fmt.Fprintf(w, "\ntimings   %s\n", strings.Join(ts, ", "))
	fmt.Fprintln(w, "reports")
	for _, p := range o.reports {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func countDecisions(n int, at func(int) matcher.Decision) map[matcher.Decision]int64 {
	m := map[matcher.Decision]int64{}
	for i := range n {
		m[at(i)]++
	}
	return m
}

func rejectBreakdown(rs []input.Reject) string {
	if len(rs) == 0 {
		return ""
	}
	m := map[string]int64{}
	for _, r := range rs {
		m[r.Reason]++
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, num(m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ") — see rejects.parquet"
}

// num formats n with thousands separators.
func num(n int64) string { return numfmt.Thousands(n) }

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
