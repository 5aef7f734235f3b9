package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/sync/errgroup"
)

// Report file names of a run folder besides report.MatchesFile etc.
const (
	ActionsFile = "actions.parquet"
	RunFile     = "run.json"
	QuotaFile   = "quota.parquet"
	PageFile    = review.FileName // report.html
)

// QuotaColumns are the columns of quota.parquet, one row per owner with any
// activity this month or today: contacts created this month (month in the
// org's time zone), reserved by calls without an answer yet, remaining of
// contacts.monthly_quota; API calls made with the owner's token today and
// remaining of contacts.daily_api_budget.
func QuotaColumns(runID string) []report.Column[QuotaRow] {
	type R = QuotaRow
	return []report.Column[R]{
		report.String("run_id", func(*R) string { return runID }),
		report.String("user_id", func(r *R) string { return r.UserID }).Plain(),
		report.String("month", func(r *R) string { return r.Month }),
		report.Int64("contacts_created", func(r *R) int64 { return int64(r.Created) }),
		report.Int64("contacts_reserved", func(r *R) int64 { return int64(r.Reserved) }),
		report.Int64("contacts_remaining", func(r *R) int64 { return int64(r.Remains) }),
		report.String("day", func(r *R) string { return r.Day }),
		report.Int64("api_calls_today", func(r *R) int64 { return int64(r.APICalls) }),
		report.Int64("api_calls_remaining", func(r *R) int64 { return int64(r.APIRemains) }),
	}
}

// ActionRow is one row of actions.parquet.
type ActionRow struct {
	Action
	Outcome
	DryRun bool
}

// ActionColumns are the columns of actions.parquet (DESIGN.md "Reports"):
// one row per planned or attempted action. fields lists the fields sent
// (never their values: those are in matches.parquet's lead export and the
// record itself); error_* are Salesforce's on failure; usage_* the org's
// daily API usage read from the answer to the action's call.
func ActionColumns(runID string) []report.Column[ActionRow] {
	type R = ActionRow
	return []report.Column[R]{
		report.String("run_id", func(*R) string { return runID }),
		report.String("lead_id", func(r *R) string { return r.LeadID }).Plain(),
		report.String("action", func(r *R) string { return r.Kind }),
		report.String("status", func(r *R) string { return r.Status }),
		report.OptString("reason", func(r *R) string { return r.Reason }),
		report.OptString("detail", func(r *R) string { return r.Detail }),
		report.String("target_object", func(r *R) string { return r.Object }),
		report.OptString("target_id", func(r *R) string { return r.TargetID }).Plain(),
		report.OptString("matched_id", func(r *R) string { return r.MatchedID }).Plain(),
		report.OptString("on_behalf_of", func(r *R) string { return r.OnBehalfOf }).Plain(),
		report.StringList("fields", func(r *R) []string { return r.FieldNames() }),
		report.OptString("error_code", func(r *R) string { return r.ErrorCode }),
		report.OptString("error_message", func(r *R) string { return r.ErrorMessage }),
		report.OptString("ingest_job_id", func(r *R) string { return r.JobID }).Plain(),
		report.Timestamp("attempted_at", func(r *R) time.Time { return r.AttemptedAt }),
		report.OptInt64("api_usage_used", func(r *R) (int64, bool) { return int64(r.UsageUsed), r.UsageMax > 0 }),
		report.OptInt64("api_usage_max", func(r *R) (int64, bool) { return int64(r.UsageMax), r.UsageMax > 0 }),
		report.Bool("dry_run", func(r *R) bool { return r.DryRun }),
	}
}

// RunSummary is run.json: what a run did, for machines and for the next
// on-call engineer.
type RunSummary struct {
	RunID        string                    `json:"run_id"`
	Command      string                    `json:"command"`
	DryRun       bool                      `json:"dry_run"`
	Status       string                    `json:"status"`
	Error        string                    `json:"error,omitempty"`
	Started      time.Time                 `json:"started"`
	Ended        time.Time                 `json:"ended"`
	OrgID        string                    `json:"org_id,omitempty"`
	InstanceURL  string                    `json:"instance_url,omitempty"`
	APIVersion   string                    `json:"api_version,omitempty"`
	ConfigDigest string                    `json:"config_digest"`
	Versions     Versions                  `json:"versions"`
	Stages       []StageTiming             `json:"stages"`
	Inputs       []input.FileStat          `json:"inputs"`
	Rejects      map[string]int            `json:"rejects_by_reason"`
	Leads        map[string]int            `json:"leads_by_decision"`
	Accounts     map[string]int            `json:"accounts_by_decision"`
	Actions      map[string]map[string]int `json:"actions_by_kind_and_status"`
	Skipped      map[string]int            `json:"skipped_by_reason"`
	Errors       map[string]int            `json:"errors_by_code"`
	APICalls     APICalls                  `json:"api_calls"`
	Brake        *BrakeCheck               `json:"brake,omitempty"`
	Reconciled   *Reconciled               `json:"reconciled,omitempty"`
	IngestJobs   []string                  `json:"ingest_jobs,omitempty"`
	// Reviews: the reviewed pairs (reviews files read, verdicts stored,
	// pairs settled, verdicts not applied, precision at the auto
	// threshold), when there are any.
	Reviews *review.Reviews `json:"reviews,omitempty"`
}

// StageTiming is how long a stage took.
type StageTiming struct {
	Stage   string        `json:"stage"`
	Took    time.Duration `json:"-"`
	Seconds float64       `json:"seconds"`
	Count   int64         `json:"count,omitempty"` // rows, leads or actions the stage handled
}

// APICalls counts the run's API calls.
type APICalls struct {
	Spent int64 `json:"spent"` // HTTP requests this run sent to the instance
	// WriteCalls is what apply spent; for a dry run, what the real run
	// would spend (collections: one call per 200 records of an object;
	// ingest: about 7 calls a job).
	WriteCalls int64 `json:"write_calls"`
	WouldSpend bool  `json:"write_calls_estimated"`
	// OwnerCalls are the calls made with the owners' own tokens (contact
	// creation), counted against each owner's daily budget, not in Spent.
	OwnerCalls int64 `json:"owner_calls"`
	OrgUsed    int   `json:"org_used_today"`
	OrgMax     int   `json:"org_max_today"`
}

// Versions identifies the binary and its main dependencies.
type Versions struct {
	Navsync string `json:"navsync"`
	Go      string `json:"go"`
}

// runPage is what report.html shows besides the reports' rows: the
// inputs (both sides of a pair), the thresholds and prior, the leads a
// review settled, the review queue's cap.
type runPage struct {
	in      *input.Inputs
	opts    matcher.Options
	settled map[string]bool
	maxRows int
}

// pageInput is the review page of a run.
func pageInput(sum *RunSummary, res *matcher.Result, rejects []input.Reject, actions []ActionRow, quota []QuotaRow, page *runPage) *review.Input {
	if page == nil {
		page = &runPage{opts: matcher.DefaultOptions()}
	}
	in := &review.Input{
		Run: review.Run{Command: sum.Command, RunID: sum.RunID, Started: sum.Started, Ended: sum.Ended, OrgID: sum.OrgID,
			InstanceURL: sum.InstanceURL, APIVersion: sum.APIVersion, DryRun: sum.DryRun, Status: sum.Status, Error: sum.Error,
			APICalls: &review.APICalls{Spent: sum.APICalls.Spent, WriteCalls: sum.APICalls.WriteCalls, OwnerCalls: sum.APICalls.OwnerCalls,
				Estimated: sum.APICalls.WouldSpend, OrgUsed: sum.APICalls.OrgUsed, OrgMax: sum.APICalls.OrgMax}},
		AutoThreshold: page.opts.AutoThreshold, ReviewThreshold: page.opts.ReviewThreshold,
		Files: sum.Inputs, Rejects: rejects, Reviews: sum.Reviews, MaxRows: page.maxRows, Settled: page.settled,
		Actions: func(yield func(review.Action) bool) {
			for i := range actions {
				a := &actions[i]
				if !yield(review.Action{LeadID: a.LeadID, Kind: a.Kind, Status: a.Status, Reason: a.Reason, Detail: a.Detail,
					Object: a.Object, TargetID: a.TargetID, OnBehalfOf: a.OnBehalfOf, ErrorCode: a.ErrorCode, ErrorMessage: a.ErrorMessage}) {
					return
				}
			}
		},
	}
	for _, st := range sum.Stages {
		in.Run.Stages = append(in.Run.Stages, review.Stage{Name: st.Stage, Seconds: st.Seconds, Count: st.Count})
	}
	if b := sum.Brake; b != nil && b.Tripped != "" {
		in.Run.Brake = fmt.Sprintf("%s tripped: %d planned writes (max_writes %d; growth limit %d)", b.Tripped, b.Planned, b.MaxWrites, b.GrowthLimit)
		if b.Forced {
			in.Run.Brake += ", overridden with --force"
		}
	}
	if res != nil {
		in.Results, in.Companies, in.Stats = res.Leads, res.Companies, res.Stats
	}
	people := 0
	if page.in != nil {
		in.Leads, in.People, in.Accounts, in.Users = page.in.Input.Leads, page.in.Input.People, page.in.Input.Accounts, page.in.Users
		people = len(page.in.Input.People)
	}
	in.LeadPrior = matcher.LeadPrior(page.opts.Params, people)
	for _, q := range quota {
		in.Quota = append(in.Quota, review.Quota{UserID: q.UserID, Month: q.Month, Day: q.Day, Created: q.Created, Reserved: q.Reserved,
			Remains: q.Remains, APICalls: q.APICalls, APIRemains: q.APIRemains})
	}
	return in
}

// writeRunFolder writes a run's reports (the Parquet files, run.json and
// report.html) into a temporary folder beside the reports folder and
// renames it into reports/run_date=D/run_id=ID in one step, so a reader
// never sees a part of a run. It returns the folder.
func writeRunFolder(ctx context.Context, reportsDir string, started time.Time, sum *RunSummary,
	res *matcher.Result, rejects []input.Reject, actions []ActionRow, quota []QuotaRow, page *runPage) (string, error) {
	final := filepath.Join(reportsDir, "run_date="+started.UTC().Format("2006-01-02"), "run_id="+sum.RunID)
	// The temporary folder sits beside the reports folder, not inside it,
	// so a glob over reports/ never picks up a half-written run. (A bare
	// relative name has the working folder as parent, not "": MkdirTemp
	// would take the system's temporary folder, maybe another file system.)
	parent, base := filepath.Split(filepath.Clean(reportsDir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(reportsDir, 0o755); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-"+sum.RunID+"-")
	if err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	os.Chmod(tmp, 0o755)
	g, gctx := errgroup.WithContext(ctx)
	var leads []matcher.LeadResult
	var companies []matcher.CompanyResult
	if res != nil {
		leads, companies = res.Leads, res.Companies
	}
	g.Go(func() error {
		return report.WriteMatches(gctx, filepath.Join(tmp, report.MatchesFile), sum.RunID, leads)
	})
	g.Go(func() error {
		return report.WriteAccounts(gctx, filepath.Join(tmp, report.AccountsFile), sum.RunID, companies)
	})
	g.Go(func() error {
		return report.WriteRejects(gctx, filepath.Join(tmp, report.RejectsFile), sum.RunID, rejects)
	})
	g.Go(func() error {
		return report.WriteFile(gctx, filepath.Join(tmp, ActionsFile), ActionColumns(sum.RunID), actions,
			report.Options{Metadata: reportMeta(sum.RunID, "actions")})
	})
	if quota != nil {
		g.Go(func() error {
			return report.WriteFile(gctx, filepath.Join(tmp, QuotaFile), QuotaColumns(sum.RunID), quota,
				report.Options{Metadata: reportMeta(sum.RunID, "quota")})
		})
	}
	g.Go(func() error {
		return review.WriteFile(filepath.Join(tmp, PageFile), pageInput(sum, res, rejects, actions, quota, page))
	})
	if err := g.Wait(); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return "", fmt.Errorf("reports: run.json: %w", err)
	}
	if err := writeSynced(filepath.Join(tmp, RunFile), append(b, '\n')); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	if err := syncFolder(tmp); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	// The date partition is made only now, so a failed write leaves no
	// empty one behind.
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	done = true
	syncFolder(filepath.Dir(final))
	return final, nil
}

// reportMeta is the Parquet key-value metadata of a run's report, as
// batch/report writes it for matches, accounts and rejects.
func reportMeta(runID, name string) map[string]string {
	return map[string]string{"navsync.run_id": runID, "navsync.report": name, "navsync.schema_version": "1"}
}

// writeSynced writes a file and flushes it to disk, so that once the run
// folder is renamed into place its run.json is there after a power loss too.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncFolder(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeStaleTemps removes temporary report folders that killed runs left
// beside the reports folder.
func removeStaleTemps(reportsDir string) {
	parent, base := filepath.Split(filepath.Clean(reportsDir))
	if parent == "" {
		parent = "."
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "."+base+".tmp-") {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}
