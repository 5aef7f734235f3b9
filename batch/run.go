package batch

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
)

// Client is what a run needs of Salesforce; *sfbulk.Client has it.
type Client interface {
	BulkQuerier
	RecordWriter
	RecordReader
	Identity() sfbulk.Identity
	APIVersion() string
}

// ErrBadInput is wrapped by errors about the run's inputs (a missing export
// or column, a wrong schema): nothing was written.
var ErrBadInput = errors.New("bad input")

type inputError struct{ err error }

func (e *inputError) Error() string   { return e.err.Error() }
func (e *inputError) Unwrap() []error { return []error{e.err, ErrBadInput} }
func badInput(err error) error        { return &inputError{err} }
func isInputErr(err error) bool {
	return errors.Is(err, input.ErrSchema) || errors.Is(err, fs.ErrNotExist)
}
func wrapInput(stage string, err error) error {
	if isInputErr(err) {
		return badInput(fmt.Errorf("%s: %w", stage, err))
	}
	return fmt.Errorf("%s: %w", stage, err)
}

// ErrBrake is wrapped by the error of a run stopped by the safety brake.
var ErrBrake = errors.New("safety brake")

// BrakeCheck is the safety brake's reading of a plan.
type BrakeCheck struct {
	Planned        int     `json:"planned_writes"`
	MaxWrites      int     `json:"max_writes"`
	PreviousRun    string  `json:"previous_run,omitempty"`
	PreviousWrites int     `json:"previous_writes"`
	MaxGrowth      float64 `json:"max_growth"`
	GrowthFloor    int     `json:"growth_floor"`
	GrowthLimit    int     `json:"growth_limit"`      // max(GrowthFloor, MaxGrowth × PreviousWrites); 0 without a previous run
	Tripped        string  `json:"tripped,omitempty"` // "max_writes" or "max_growth"
	Forced         bool    `json:"forced,omitempty"`
}

// BrakeError stops a run before apply.
type BrakeError struct{ Check BrakeCheck }

func (e *BrakeError) Error() string {
	c := e.Check
	if c.Tripped == "max_writes" {
		return fmt.Sprintf("safety brake: the plan writes %d records, above safety.max_writes %d; nothing was written "+
			"(check the exports and any matcher or config change, then rerun with --force if this is intended)", c.Planned, c.MaxWrites)
	}
	return fmt.Sprintf("safety brake: the plan writes %d records, more than safety.max_growth %.4gx the %d of the previous successful run %s "+
		"(limit %d); nothing was written (check the exports and any matcher or config change, then rerun with --force if this is intended)",
		c.Planned, c.MaxGrowth, c.PreviousWrites, c.PreviousRun, c.GrowthLimit)
}

func (e *BrakeError) Unwrap() error { return ErrBrake }

// RunOptions configure one run.
type RunOptions struct {
	Config *Config
	DryRun bool
	Force  bool // override the safety brake
	// Leads and Accounts replace the config's exports when set.
	Leads, Accounts []string
	Command         string // "run" or "schedule", for the lock and run.json
	Log             *slog.Logger
	Progress        Progress
	// Connect signs in; nil: Connect (from the config). Tests pass the
	// simulator or a fake.
	Connect func(ctx context.Context, cfg *Config, log *slog.Logger) (Client, error)
	Now     func() time.Time
	RunID   string // default NewRunID
	// LockStaleAfter: a lock without heartbeat this long is taken over
	// (default 2 minutes).
	LockStaleAfter time.Duration
	// Apply tunes the apply stage (tests shorten the lock backoff).
	Apply ApplyOptions
	// PollInterval and MaxPollInterval go to Bulk jobs (0: the client's).
	KeepWork bool // keep earlier runs' snapshot folders
	// Owners hands out the owners' clients for contact creation; nil:
	// UserClients from the config's contacts.auth.
	Owners OwnerClients
	// Reviews are reviews files (reviews.csv of report.html) imported
	// besides the config's reviews.
	Reviews []string
}

// RunResult is what a run did.
type RunResult struct {
	Summary    RunSummary
	ReportDir  string
	Extract    *ExtractResult
	Inputs     *input.Inputs
	Match      *matcher.Result
	Actions    []Action
	Outcomes   []Outcome
	Plan       PlanCounts
	Brake      BrakeCheck
	Reconciled Reconciled
	Quota      []QuotaRow // per owner, when contact creation is on
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// NewRunID returns a time-based run id such as 20261123T064500Z-ab12.
func NewRunID(now time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// ValidRunID reports whether id can name a run (and a folder).
func ValidRunID(id string) bool { return runIDPattern.MatchString(id) }

// Run runs the job once: lock the state store → connect → reconcile what a
// killed run left → extract → read exports → match → plan → brake →
// apply (or, dry, nothing) → reports. It returns the result even with an
// error when the run got as far as planning, so the caller can print it.
func Run(ctx context.Context, opts RunOptions) (res *RunResult, err error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, errors.New("run: no configuration")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Connect == nil {
		opts.Connect = func(ctx context.Context, cfg *Config, log *slog.Logger) (Client, error) {
			return Connect(ctx, cfg, log)
		}
	}
	if opts.Command == "" {
		opts.Command = "run"
	}
	if opts.LockStaleAfter <= 0 {
		opts.LockStaleAfter = 2 * time.Minute
	}
	started := opts.Now()
	runID := cmp.Or(opts.RunID, NewRunID(started))
	if !ValidRunID(runID) {
		return nil, fmt.Errorf("run: invalid run id %q", runID)
	}
	log := opts.Log.With("run_id", runID)
	leads, accounts := cfg.SalesNav.Leads, cfg.SalesNav.Accounts
	if len(opts.Leads) > 0 {
		leads, accounts = opts.Leads, opts.Accounts
	}
	// Exports named on the command line are checked before anything is
	// opened or sent (the config's are checked by Load).
	for _, f := range append(slices.Clip(opts.Leads), opts.Accounts...) {
		if _, err := os.Stat(f); err != nil {
			return nil, badInput(fmt.Errorf("run: Sales Navigator export: %w; nothing was written", err))
		}
	}
	// So are the reviews files: their verdicts are read now, applied once
	// the inputs are read.
	reviewPaths := reviewFiles(cfg, opts.Reviews)
	verdicts, verdictProblems, err := ReadReviewFiles(reviewPaths)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	res = &RunResult{}
	sum := &res.Summary
	*sum = RunSummary{RunID: runID, Command: opts.Command, DryRun: opts.DryRun, Status: "running", Started: started.UTC(),
		ConfigDigest: cfg.Digest(), Versions: versions()}
	stage := func(name string, t time.Time, count int64) {
		d := time.Since(t)
		sum.Stages = append(sum.Stages, StageTiming{Stage: name, Took: d, Seconds: d.Seconds(), Count: count})
		opts.Log.Info("stage finished", "run_id", runID, "stage", name, "count", count, "took", d.Round(time.Millisecond).String())
	}

	// The state store and its lock: one run at a time per store.
	t := time.Now()
	st, err := state.Open(ctx, cfg.State.Path)
	if err != nil {
		return nil, fmt.Errorf("run: state store: %w", err)
	}
	defer st.Close()
	host, _ := os.Hostname()
	lock, err := st.Acquire(ctx, state.Holder{RunID: runID, Command: opts.Command, Host: host, PID: os.Getpid(), Since: started},
		opts.LockStaleAfter)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	defer lock.Release()
	if prev := lock.Previous(); prev != nil {
		log.Warn("took over a stale lock", "previous_run_id", prev.RunID, "previous_pid", prev.PID, "previous_host", prev.Host,
			"last_heartbeat", prev.Heartbeat.UTC().Format(time.RFC3339))
	}
	ctx, cancelLost := context.WithCancelCause(ctx)
	defer cancelLost(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancelLost(errors.New("the state store lock was taken over by another process"))
		case <-ctx.Done():
		}
	}()

	// Connect: a run that cannot reach Salesforce or whose authorisation
	// is revoked stops here, before anything is written.
	sf, err := opts.Connect(ctx, cfg, log)
	if err != nil {
		if errors.Is(err, sfbulk.ErrAuthRevoked) {
			return nil, fmt.Errorf("run: connect: %w. %s", err, revokedHint(cfg.Salesforce.Auth.Flow))
		}
		return nil, fmt.Errorf("run: connect: %w", err)
	}
	id := sf.Identity()
	sum.OrgID, sum.InstanceURL, sum.APIVersion = id.OrgID, id.InstanceURL, sf.APIVersion()
	callsAtStart := sf.Usage().Calls
	stage("connect", t, 0)
	log.Info("connected", "org_id", id.OrgID, "user_id", id.UserID, "dry_run", opts.DryRun)

	// What a killed run left open is settled before anything is planned.
	if !opts.DryRun {
		t = time.Now()
		rec, err := Reconcile(ctx, sf, st, ReconcileOptions{ExtField: cfg.ContactExternalIDField(),
			KeepIngestJobs: opts.Apply.KeepIngestJobs || !cfg.Salesforce.DeleteBulkJobs, Log: log, Now: opts.Now})
		if err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		res.Reconciled = rec
		if len(rec.Runs) > 0 {
			sum.Reconciled = &res.Reconciled
			stage("reconcile", t, int64(rec.Done+rec.NotApplied))
		}
	} else if open, err := st.IncompleteRuns(ctx); err == nil && len(open) > 0 {
		log.Warn("an earlier run stopped before it finished; the next real run reconciles it", "runs", len(open))
	}
	removeStaleTemps(cfg.Reports.Dir)

	if err := st.BeginRun(ctx, state.Run{ID: runID, Started: started, DryRun: opts.DryRun, Status: "running",
		ConfigDigest: sum.ConfigDigest}); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	// From here on the run is in the history; end it whatever happens.
	writes := 0
	defer func() {
		status := "succeeded"
		switch {
		case errors.Is(err, ErrBrake):
			status = "braked"
		case err != nil && ctx.Err() != nil:
			status = "interrupted"
		case err != nil:
			status = "failed"
		}
		// A real run that leaves actions open (sent without an answer, or
		// never sent) stays open for the next run's reconciliation.
		if !opts.DryRun && res != nil && hasOpen(res.Outcomes) {
			status = "incomplete"
		}
		failed := 0
		for _, o := range res.Outcomes {
			if o.Status == StatusFailed {
				failed++
			}
		}
		r := state.Run{ID: runID, Started: started, Ended: opts.Now(), DryRun: opts.DryRun, Status: status,
			Planned: res.Plan.Writes, Writes: writes, Failed: failed, ConfigDigest: sum.ConfigDigest,
			ReportDir: res.ReportDir}
		if err != nil {
			r.Error = err.Error()
		}
		if e := st.EndRun(context.WithoutCancel(ctx), r); e != nil && err == nil {
			err = fmt.Errorf("run: %w", e)
		}
	}()

	// Extract the org snapshot.
	work := filepath.Join(cfg.WorkDir, runID)
	ex, err := Extract(ctx, sf, ExtractOptions{Dir: work, WritebackFields: cfg.Writeback.FieldNames(), Logger: log, JobAttempts: 5,
		KeepQueryJobs: !cfg.Salesforce.DeleteBulkJobs})
	if err != nil {
		if errors.Is(err, ErrMissingField) {
			return res, badInput(fmt.Errorf("run: extract: %w", err))
		}
		return res, fmt.Errorf("run: extract: %w", err)
	}
	res.Extract = ex
	sum.Stages = append(sum.Stages, StageTiming{Stage: "extract", Took: ex.Took, Seconds: ex.Took.Seconds(), Count: ex.Rows()})

	// Read the exports and the snapshot.
	t = time.Now()
	in, err := input.Read(ctx, input.Sources{CRMDir: ex.Dir, Leads: leads, Accounts: accounts}, snapshotOptions(cfg))
	if err != nil {
		return res, wrapInput("run: read inputs", err)
	}
	res.Inputs = in
	sum.Inputs = in.Files
	sum.Rejects = map[string]int{}
	for _, r := range in.Rejects {
		sum.Rejects[r.Reason]++
	}
	stage("read", t, int64(len(in.Input.Leads)))
	log.Info("inputs read", "leads", len(in.Input.Leads), "crm_people", len(in.Input.People), "crm_accounts", len(in.Input.Accounts),
		"rejects", len(in.Rejects))

	// Match, with the reviewed pairs: verdicts of the reviews files are
	// stored, and every stored verdict on this run's leads settles its pair.
	t = time.Now()
	mopts, err := cfg.MatcherOptions()
	if err != nil {
		return res, badInput(fmt.Errorf("run: %w", err))
	}
	revs, err := importReviews(ctx, st, runID, reviewPaths, verdicts, verdictProblems, in)
	if err != nil {
		return res, fmt.Errorf("run: reviews: %w", err)
	}
	mopts.Overrides = revs.overrides
	m, err := matcher.Match(ctx, in.Input, mopts)
	if err != nil {
		return res, fmt.Errorf("run: match: %w", err)
	}
	revs.apply(m, mopts)
	if len(reviewPaths) > 0 || revs.sum.Stored > 0 {
		sum.Reviews = revs.sum
		log.Info("reviews", "files", len(reviewPaths), "verdicts_read", revs.sum.Read, "imported", revs.sum.Imported,
			"problems", len(revs.sum.Problems), "settled_same", revs.sum.SettledSame, "settled_different", revs.sum.SettledDifferent,
			"not_applied", len(revs.sum.NotApplied))
	}
	res.Match = m
	sum.Leads = map[string]int{}
	for i := range m.Leads {
		sum.Leads[string(m.Leads[i].Decision)]++
	}
	sum.Accounts = map[string]int{}
	for i := range m.Companies {
		sum.Accounts[string(m.Companies[i].Decision)]++
	}
	stage("match", t, int64(len(m.Leads)))
	log.Info("matched", "match", m.Stats.Matches, "possible", m.Stats.Possible, "none", m.Stats.None)

	// Plan, from the records' state as the snapshot was read.
	t = time.Now()
	targets := Targets(in, matchedTargets(m.Leads))
	actions, counts := Plan(PlanInput{Leads: in.Input.Leads, Results: m.Leads, Targets: targets,
		Fields: cfg.Writeback.Fields, Objects: cfg.Writeback.Objects})
	var cschema contactSchema
	if cfg.Contacts.Enabled {
		// Contacts for unmatched leads at known Accounts (and the contact
		// roles earlier runs lost for the Contacts they created), after a
		// describe check of what the org requires: a LeadSource or Role it
		// lacks, or a required field nobody fills, stops the run before
		// any write.
		var cacts []Action
		cacts, cschema, err = planContactStage(ctx, sf, st, cfg, in, m, len(actions))
		if err != nil {
			if errors.Is(err, ErrContactSchema) {
				return res, badInput(fmt.Errorf("run: %w", err))
			}
			return res, fmt.Errorf("run: plan contacts: %w", err)
		}
		for _, a := range cacts {
			if a.Skip {
				counts.Skipped[a.Reason]++
			} else {
				counts.Writes++
				counts.ByKind[a.Kind]++
			}
		}
		actions = append(actions, cacts...)
	}
	res.Actions, res.Plan = actions, counts
	sum.Skipped = counts.Skipped
	stage("plan", t, int64(len(actions)))
	log.Info("planned", "writes", counts.Writes, "skipped", len(actions)-counts.Writes)

	// The safety brake.
	brake, err := checkBrake(ctx, st, cfg, counts.Writes, opts.Force)
	if err != nil {
		return res, fmt.Errorf("run: %w", err)
	}
	res.Brake = brake
	sum.Brake = &res.Brake

	// Apply, or (dry) say what would be done.
	res.Outcomes = make([]Outcome, len(actions))
	var applyErr error
	if opts.DryRun || brake.Tripped != "" && !opts.Force {
		for i := range actions {
			if actions[i].Skip {
				res.Outcomes[i].Status = StatusSkipped
			} else if opts.DryRun {
				res.Outcomes[i].Status = wouldStatus(actions[i].Kind)
			} else {
				res.Outcomes[i].Status = StatusNotSent
			}
		}
		if opts.DryRun && cfg.Contacts.Enabled {
			if err := dryContactOutcomes(ctx, st, cfg, actions, res.Outcomes, opts.Now()); err != nil {
				return res, fmt.Errorf("run: quota: %w", err)
			}
		}
		sum.APICalls.WriteCalls = estimateWriteCalls(actions, cfg.Writeback.BulkThreshold)
		sum.APICalls.WouldSpend = true
		if !opts.DryRun {
			applyErr = &BrakeError{Check: brake}
		}
	} else {
		t = time.Now()
		if err := st.AddActions(ctx, runID, journalActions(runID, actions)); err != nil {
			return res, fmt.Errorf("run: journal: %w", err)
		}
		ao := opts.Apply
		ao.RunID, ao.Log, ao.Progress, ao.Now = runID, log, opts.Progress, opts.Now
		ao.BulkThreshold = cmp.Or(ao.BulkThreshold, cfg.Writeback.BulkThreshold)
		ao.LockRetries = cmp.Or(ao.LockRetries, cfg.Writeback.LockRetries)
		ao.KeepIngestJobs = ao.KeepIngestJobs || !cfg.Salesforce.DeleteBulkJobs
		applyCalls := sf.Usage().Calls
		ar, err := Apply(ctx, sf, st, actions, ao)
		res.Outcomes = ar.Outcomes
		sum.IngestJobs = ar.Ingest
		if err == nil && cfg.Contacts.Enabled {
			err = applyContactStage(ctx, sf, st, cfg, cschema, actions, res.Outcomes, in.Users, runID, opts.Now, log,
				opts.Progress, opts.Owners, &sum.APICalls.OwnerCalls)
			var se *stopError
			if errors.As(err, &se) {
				err = se.err
			}
		}
		// The apply stage's calls: the integration user's (writebacks,
		// duplicate look-ups) and the owners' (contacts).
		sum.APICalls.WriteCalls = sf.Usage().Calls - applyCalls + sum.APICalls.OwnerCalls
		writes = 0
		for _, o := range res.Outcomes {
			if o.Status == StatusDone {
				writes++
			}
		}
		stage("apply", t, int64(counts.Writes))
		log.Info("applied", "done", ar.ByStatus[StatusDone], "failed", ar.ByStatus[StatusFailed], "unknown", ar.ByStatus[StatusUnknown],
			"not_sent", ar.ByStatus[StatusNotSent], "calls", ar.Calls)
		if err != nil {
			applyErr = fmt.Errorf("run: apply: %w", err)
		}
	}
	sum.Actions = map[string]map[string]int{}
	sum.Errors = map[string]int{}
	rows := make([]ActionRow, len(actions))
	for i := range actions {
		o := res.Outcomes[i]
		rows[i] = ActionRow{Action: actions[i], Outcome: o, DryRun: opts.DryRun}
		if rows[i].Reason == "" && o.Status == StatusSkipped {
			rows[i].Reason = "skipped"
		}
		k := sum.Actions[actions[i].Kind]
		if k == nil {
			k = map[string]int{}
			sum.Actions[actions[i].Kind] = k
		}
		k[o.Status]++
		if o.ErrorCode != "" {
			sum.Errors[o.ErrorCode]++
		}
	}

	// Reports: written even when apply stopped early, so the on-call
	// engineer sees what was done. They are written with a context that a
	// signal does not cancel: a few seconds, and nothing is lost.
	t = time.Now()
	u := sf.Usage()
	sum.APICalls.Spent = u.Calls - callsAtStart
	sum.APICalls.OrgUsed, sum.APICalls.OrgMax = u.Org.Used, u.Org.Max
	sum.Ended = opts.Now().UTC()
	sum.Status = "succeeded"
	if applyErr != nil {
		sum.Status, sum.Error = "failed", applyErr.Error()
		if errors.Is(applyErr, ErrBrake) {
			sum.Status = "braked"
		} else if ctx.Err() != nil {
			sum.Status = "interrupted"
		}
	}
	var quota []QuotaRow
	if cfg.Contacts.Enabled {
		if quota, err = quotaRows(context.WithoutCancel(ctx), st, cfg, opts.Now()); err != nil {
			return res, errors.Join(applyErr, fmt.Errorf("run: quota report: %w", err))
		}
		res.Quota = quota
	}
	page := &runPage{in: in, opts: mopts, settled: revs.settled, maxRows: cfg.Reports.ReviewRows}
	dir, err := writeRunFolder(context.WithoutCancel(ctx), cfg.Reports.Dir, started, sum, m, in.Rejects, rows, quota, page)
	if err != nil {
		return res, errors.Join(applyErr, fmt.Errorf("run: %w", err))
	}
	res.ReportDir = dir
	stage("report", t, int64(len(rows)))
	log.Info("reports written", "dir", dir)
	if applyErr == nil && !opts.KeepWork {
		removeOldWork(cfg.WorkDir, runID)
	}
	return res, applyErr
}

// revokedHint says what to do when the org refused the job's sign-in
// (invalid_grant): which setting holds the refused credential and how to
// renew it. It names config keys, never their values.
func revokedHint(flow string) string {
	const nothing = "Nothing was written; rerun once fixed"
	switch flow {
	case FlowRefreshToken:
		return "The refresh token in salesforce.auth.token_store was refused: re-run consent for salesforce.auth.username " +
			"(authorization code with PKCE, docs/readme-sfbulk.md \"Connecting\") so the new token is saved there. " + nothing
	case FlowJWT:
		return "The JWT sign-in of salesforce.auth.username was refused: check that the user is active and pre-authorized " +
			"for the connected app and that its certificate matches salesforce.auth.private_key_file. " + nothing
	case FlowClientCredentials:
		return "The client credentials sign-in was refused: check the connected app's Run As user is active. " + nothing
	}
	return nothing
}

func hasOpen(outs []Outcome) bool {
	for _, o := range outs {
		if o.Status == StatusUnknown || o.Status == StatusNotSent {
			return true
		}
	}
	return false
}

func wouldStatus(kind string) string {
	if kind == KindWriteback {
		return StatusWouldUpdate
	}
	return StatusWouldCreate
}

// checkBrake compares the plan with safety.max_writes and with the previous
// successful real run.
func checkBrake(ctx context.Context, st *state.Store, cfg *Config, planned int, force bool) (BrakeCheck, error) {
	s := cfg.Safety
	b := BrakeCheck{Planned: planned, MaxWrites: s.MaxWrites, MaxGrowth: s.MaxGrowth, GrowthFloor: s.GrowthFloor, Forced: force}
	prev, err := st.LastRun(ctx, "succeeded", false)
	if err != nil {
		return b, err
	}
	if prev != nil {
		b.PreviousRun, b.PreviousWrites = prev.ID, prev.Writes
		b.GrowthLimit = max(s.GrowthFloor, int(s.MaxGrowth*float64(prev.Writes)))
	}
	switch {
	case s.MaxWrites > 0 && planned > s.MaxWrites:
		b.Tripped = "max_writes"
	case prev != nil && s.MaxGrowth > 0 && planned > b.GrowthLimit:
		b.Tripped = "max_growth"
	}
	return b, nil
}

// estimateWriteCalls is the API calls the plan's writes take: one call per
// 200 records of an object through collections, about 7 per ingest job
// (create, upload, close, a poll, three result files); contacts per owner:
// a duplicate look-up and a create per 200, and a call per 200 roles.
func estimateWriteCalls(actions []Action, bulkThreshold int) int64 {
	if bulkThreshold <= 0 {
		bulkThreshold = 10000
	}
	type group struct{ kind, object, owner string }
	per := map[group]int{}
	for i := range actions {
		if a := &actions[i]; !a.Skip {
			per[group{a.Kind, a.Object, a.OnBehalfOf}]++
		}
	}
	var calls int64
	for g, n := range per {
		chunks := int64((n + sfbulk.MaxCollection - 1) / sfbulk.MaxCollection)
		switch {
		case g.kind == KindCreateContact:
			calls += 2 * chunks
		case g.kind != KindWriteback:
			calls += chunks
		case n > bulkThreshold:
			calls += 7
		default:
			calls += chunks
		}
	}
	return calls
}

func journalActions(runID string, actions []Action) []state.Action {
	out := make([]state.Action, len(actions))
	for i := range actions {
		a := &actions[i]
		out[i] = state.Action{RunID: runID, Seq: a.Seq, LeadID: a.LeadID, Kind: a.Kind, Object: a.Object, TargetID: a.TargetID,
			OnBehalfOf: a.OnBehalfOf, Fields: a.Fields, Reason: a.Reason}
		if a.Skip {
			out[i].State = state.Skipped
		}
	}
	return out
}

// snapshotOptions are the writeback fields the snapshot reader needs: to
// recognise records already linked, and to keep every writeback field's
// current value for the plan (Targets).
func snapshotOptions(cfg *Config) input.SnapshotOptions {
	o := input.SnapshotOptions{KeepFields: cfg.Writeback.FieldNames()}
	for _, f := range cfg.Writeback.Fields {
		switch f.From {
		case "lead_id":
			o.LeadIDField = cmp.Or(o.LeadIDField, f.Field)
		case "profile_url":
			o.ProfileURLField = cmp.Or(o.ProfileURLField, f.Field)
		}
	}
	return o
}

// removeOldWork removes earlier runs' snapshot folders (they hold personal
// data and are not needed once a run succeeded).
func removeOldWork(workDir, keep string) {
	entries, err := os.ReadDir(workDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != keep && ValidRunID(e.Name()) && len(e.Name()) >= 16 && e.Name()[8] == 'T' {
			os.RemoveAll(filepath.Join(workDir, e.Name()))
		}
	}
}

func versions() Versions {
	v := Versions{Navsync: "(devel)", Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v.Navsync = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v.Navsync += " " + s.Value[:12]
			}
		}
	}
	return v
}
