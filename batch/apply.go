package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
)

// RecordWriter is what Apply needs of a Salesforce client to send a plan;
// *sfbulk.Client has it, tests can use a fake.
type RecordWriter interface {
	Update(ctx context.Context, object string, records []sfbulk.Record) ([]sfbulk.RecordResult, error)
	BulkIngest(ctx context.Context, object string, records []sfbulk.Record, opts sfbulk.IngestOptions) (sfbulk.IngestResult, error)
	ingestJobDeleter
	Usage() sfbulk.Usage
}

// ingestJobDeleter deletes a finished Bulk ingest job (Salesforce keeps
// one 7 days otherwise).
type ingestJobDeleter interface {
	DeleteIngestJob(ctx context.Context, jobID string) error
}

// Journal is the part of the state store Apply writes: each call's actions
// are marked sent before the call and their outcomes recorded after it; an
// ingest call's later jobs take their actions along (MoveToJob) before
// their upload.
type Journal interface {
	MarkSent(ctx context.Context, runID string, seqs []int, jobID string, at time.Time) error
	MoveToJob(ctx context.Context, runID string, seqs []int, jobID string) error
	Record(ctx context.Context, runID string, outs []state.Outcome) error
}

// Action statuses in actions.parquet (DESIGN.md "Reports", plus not_sent
// and unknown).
const (
	StatusDone        = "done"
	StatusWouldUpdate = "would_update"
	StatusWouldCreate = "would_create"
	StatusSkipped     = "skipped"
	StatusFailed      = "failed"
	// StatusUnknown: the call got no answer and may have been applied;
	// the next run reconciles it by reading the record before resending.
	StatusUnknown = "unknown"
	// StatusNotSent: the run stopped (interrupted, limit, revoked auth)
	// before this action's call; the next run plans it again.
	StatusNotSent = "not_sent"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	RunID string
	// BulkThreshold: above this many records of one object, one Bulk API
	// 2.0 ingest job instead of sObject Collections (default 10,000).
	BulkThreshold int
	// IngestMaxUploadBytes caps one ingest job's CSV (0: sfbulk's
	// MaxIngestUpload, 100 MB); more records of an object go in several
	// jobs, one after the other. Tests lower it to split a call.
	IngestMaxUploadBytes int
	// KeepIngestJobs leaves finished ingest jobs in Salesforce (which
	// deletes them after 7 days). By default each is deleted once the
	// outcomes of its records are journalled, unless one of them is
	// unknown: the next run's reconciliation needs that job.
	KeepIngestJobs bool
	// LockRetries is how many rounds records still failing with
	// UNABLE_TO_LOCK_ROW (after the client's own retries) are sent again,
	// grouped by parent Account, with a growing pause (default 5).
	LockRetries int
	// LockBackoff is the first pause between lock rounds (default 1s).
	LockBackoff time.Duration
	Log         *slog.Logger
	Progress    Progress
	Now         func() time.Time
}

// Outcome is what became of one action.
type Outcome struct {
	Status       string
	ErrorCode    string
	ErrorMessage string
	AttemptedAt  time.Time
	// UsageUsed and UsageMax are the org's daily API usage at the answer
	// (Sforce-Limit-Info), 0 when unknown.
	UsageUsed, UsageMax int
	// JobID is the Bulk ingest job that carried the action's record last
	// ("" for collections, and for a record no job carried).
	JobID string
}

// ApplyResult reports an apply.
type ApplyResult struct {
	Outcomes []Outcome // by action Seq
	Calls    int64     // API calls spent by the apply
	ByStatus map[string]int
	ByError  map[string]int
	Ingest   []string // ingest job ids used
}

// errStopApply marks a call-level failure after which nothing more is sent.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// Apply sends the plan's actions (those not skipped) and journals each call
// before and after. Each call runs to its end even when ctx is cancelled
// (SIGINT/SIGTERM stop after the in-flight call); no call starts after.
// A call-level failure (Salesforce unreachable after retries, revoked
// authorisation, a spent limit) stops the apply: the records of that call
// are failed (certainly not applied) or unknown (maybe applied), the rest
// are not_sent, and the error is returned. Per-record failures are only in
// the outcomes.
func Apply(ctx context.Context, w RecordWriter, j Journal, actions []Action, opts ApplyOptions) (*ApplyResult, error) {
	if opts.BulkThreshold <= 0 {
		opts.BulkThreshold = 10000
	}
	if opts.LockRetries < 0 {
		opts.LockRetries = 0
	} else if opts.LockRetries == 0 {
		opts.LockRetries = 5
	}
	if opts.LockBackoff <= 0 {
		opts.LockBackoff = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	a := &applier{w: w, j: j, opts: opts, actions: actions,
		res: &ApplyResult{Outcomes: make([]Outcome, len(actions)), ByStatus: map[string]int{}, ByError: map[string]int{}}}
	before := w.Usage().Calls

	groups := map[string][]int{} // object -> action indexes to send
	var objects []string
	sendable := 0
	for i := range actions {
		act := &actions[i]
		if act.Skip {
			a.res.Outcomes[i] = Outcome{Status: StatusSkipped}
			continue
		}
		a.res.Outcomes[i] = Outcome{Status: StatusNotSent}
		if act.Kind != KindWriteback {
			continue // contacts and roles: applyContacts, with their owners' tokens
		}
		if _, ok := groups[act.Object]; !ok {
			objects = append(objects, act.Object)
		}
		groups[act.Object] = append(groups[act.Object], i)
		sendable++
	}
	opts.Progress.Start("apply", int64(sendable))
	defer opts.Progress.Done()

	var err error
	for _, obj := range objects {
		idx := groups[obj]
		// Records of one Account travel together, so a lock on an Account
		// (Salesforce locks the parent on a child's update) stays in one call.
		slices.SortStableFunc(idx, func(x, y int) int {
			return cmp.Or(cmp.Compare(actions[x].ParentID, actions[y].ParentID), cmp.Compare(x, y))
		})
		if len(idx) > opts.BulkThreshold {
			err = a.ingest(ctx, obj, idx)
		} else {
			err = a.collections(ctx, obj, idx)
		}
		if err != nil {
			break
		}
	}
	a.res.Calls = w.Usage().Calls - before
	for i := range a.res.Outcomes {
		o := &a.res.Outcomes[i]
		if actions[i].Kind != KindWriteback {
			continue
		}
		a.res.ByStatus[o.Status]++
		if o.ErrorCode != "" {
			a.res.ByError[o.ErrorCode]++
		}
	}
	var se *stopError
	if errors.As(err, &se) {
		err = se.err
	}
	return a.res, err
}

type applier struct {
	w       RecordWriter
	j       Journal
	opts    ApplyOptions
	actions []Action
	res     *ApplyResult
}

// journalCtx is the context for journal writes: they must happen even after
// a signal, so the journal matches what was sent.
func journalCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (a *applier) records(idx []int) []sfbulk.Record {
	recs := make([]sfbulk.Record, len(idx))
	for k, i := range idx {
		act := &a.actions[i]
		r := make(sfbulk.Record, len(act.Fields)+1)
		r["Id"] = act.TargetID
		for f, v := range act.Fields {
			r[f] = v
		}
		recs[k] = r
	}
	return recs
}

func (a *applier) seqs(idx []int) []int {
	s := make([]int, len(idx))
	for k, i := range idx {
		s[k] = a.actions[i].Seq
	}
	return s
}

// collections sends idx through sObject Collections, 200 a call, then
// resends records still locked in rounds grouped by parent Account.
func (a *applier) collections(ctx context.Context, object string, idx []int) error {
	pending := idx
	for round := 0; len(pending) > 0; round++ {
		lastRound := round >= a.opts.LockRetries
		var locked []int
		for start := 0; start < len(pending); start += sfbulk.MaxCollection {
			if err := ctx.Err(); err != nil {
				return &stopError{err}
			}
			chunk := pending[start:min(start+sfbulk.MaxCollection, len(pending))]
			l, err := a.updateChunk(ctx, object, chunk, lastRound)
			locked = append(locked, l...)
			if err != nil {
				return err
			}
		}
		if len(locked) == 0 {
			return nil
		}
		pause := a.opts.LockBackoff << min(round, 5)
		a.opts.Log.Info("records locked, sending again", "object", object, "records", len(locked), "round", round+1, "pause", pause.String())
		select {
		case <-ctx.Done():
			// Interrupted while waiting: the locked records stay failed
			// (journalled so already) and the next run plans them again.
			return &stopError{ctx.Err()}
		case <-time.After(pause):
		}
		pending = locked
	}
	return nil
}

// updateChunk sends one collections call and journals it. Records failing
// with UNABLE_TO_LOCK_ROW are returned (left in state sent) unless final.
func (a *applier) updateChunk(ctx context.Context, object string, chunk []int, final bool) (locked []int, err error) {
	at := a.opts.Now()
	if err := a.j.MarkSent(journalCtx(ctx), a.opts.RunID, a.seqs(chunk), "", at); err != nil {
		return nil, &stopError{fmt.Errorf("journal: %w", err)}
	}
	results, callErr := a.w.Update(context.WithoutCancel(ctx), object, a.records(chunk))
	usage := a.w.Usage().Org
	outs := make([]state.Outcome, 0, len(chunk))
	var fatal error
	for k, i := range chunk {
		var r sfbulk.RecordResult
		if k < len(results) {
			r = results[k]
		} else {
			r = missingResult(callErr, "PATCH", "/composite/sobjects", len(results), len(chunk))
		}
		o := Outcome{AttemptedAt: at, UsageUsed: usage.Used, UsageMax: usage.Max}
		fatal = cmp.Or(fatal, classify(&o, r, unknownMessage(r, "the next run reads the record before sending again")))
		if o.ErrorCode == "UNABLE_TO_LOCK_ROW" && r.Sent == sfbulk.Answered && len(r.Errors) > 0 && !final {
			// Journalled failed now (the journal allows failed -> sent),
			// sent again in the next round.
			locked = append(locked, i)
		}
		a.res.Outcomes[i] = o
		outs = append(outs, state.Outcome{Seq: a.actions[i].Seq, State: journalState(o.Status),
			ErrorCode: o.ErrorCode, ErrorMessage: o.ErrorMessage})
	}
	if err := a.j.Record(journalCtx(ctx), a.opts.RunID, outs); err != nil {
		return locked, &stopError{fmt.Errorf("journal: %w", err)}
	}
	a.opts.Progress.Add(int64(len(chunk) - len(locked)))
	if fatal == nil && callErr != nil && len(results) == 0 {
		fatal = callErr
	}
	if fatal != nil {
		return locked, &stopError{fmt.Errorf("update %s: %w", object, fatal)}
	}
	return locked, nil
}

// ingest sends idx through Bulk API 2.0 ingest jobs (one, or several when
// the records are split by size or some are sent again after a lock). Each
// job's id is journalled with the actions it carries before any of its
// data is uploaded, so a killed run's successor waits for the job that can
// still apply a record, then reads the record back instead of resending.
func (a *applier) ingest(ctx context.Context, object string, idx []int) error {
	if err := ctx.Err(); err != nil {
		return &stopError{err}
	}
	at := a.opts.Now()
	seqs := a.seqs(idx)
	var firstJob string
	jobOf := make([]string, len(idx)) // the job that carried each record last
	res, callErr := a.w.BulkIngest(context.WithoutCancel(ctx), object, a.records(idx), sfbulk.IngestOptions{
		Operation:      "update",
		MaxUploadBytes: a.opts.IngestMaxUploadBytes,
		OnJobCreated: func(id string, recs []int) error {
			// Only a job journalled counts as created: if the journal
			// refuses, the job is aborted (nothing of it applied).
			if firstJob == "" {
				// The call's actions are all sent from its first job on,
				// each in that job until a later one takes it along. If
				// the journal refuses, they stay planned (not_sent).
				if err := a.j.MarkSent(journalCtx(ctx), a.opts.RunID, seqs, id, at); err != nil {
					return fmt.Errorf("journal: %w", err)
				}
				firstJob = id
			} else {
				moved := make([]int, len(recs))
				for k, r := range recs {
					moved[k] = seqs[r]
				}
				if err := a.j.MoveToJob(journalCtx(ctx), a.opts.RunID, moved, id); err != nil {
					return fmt.Errorf("journal: %w", err)
				}
			}
			for _, r := range recs {
				jobOf[r] = id
			}
			return nil
		},
	})
	a.res.Ingest = append(a.res.Ingest, res.JobIDs()...)
	usage := a.w.Usage().Org
	if firstJob == "" {
		// The job was never created: nothing was journalled as sent and
		// nothing was applied.
		for _, i := range idx {
			o := &a.res.Outcomes[i]
			o.Status, o.ErrorCode, o.ErrorMessage = StatusNotSent, errorCode(callErr), errorMessage(callErr)
		}
		if callErr == nil {
			callErr = errors.New("ingest job was not created")
		}
		return &stopError{fmt.Errorf("ingest %s: %w", object, callErr)}
	}
	outs := make([]state.Outcome, 0, len(idx))
	var fatal error
	for k, i := range idx {
		var r sfbulk.RecordResult
		if k < len(res.Results) {
			r = res.Results[k]
		} else {
			// The job exists and may hold the record: never "not sent".
			r = missingResult(callErr, "GET", "/jobs/ingest/"+cmp.Or(jobOf[k], firstJob)+"/results", len(res.Results), len(idx))
			r.Sent = sfbulk.MaybeSent
		}
		o := Outcome{AttemptedAt: at, UsageUsed: usage.Used, UsageMax: usage.Max, JobID: jobOf[k]}
		fatal = cmp.Or(fatal, classify(&o, r, "no result for this record; the next run reads the record before sending again"))
		a.res.Outcomes[i] = o
		outs = append(outs, state.Outcome{Seq: a.actions[i].Seq, State: journalState(o.Status),
			ErrorCode: o.ErrorCode, ErrorMessage: o.ErrorMessage})
	}
	if err := a.j.Record(journalCtx(ctx), a.opts.RunID, outs); err != nil {
		return &stopError{fmt.Errorf("journal: %w", err)}
	}
	a.opts.Progress.Add(int64(len(idx)))
	if !a.opts.KeepIngestJobs {
		// The outcomes are on disk: a job that has ended is no longer
		// needed, unless the next run must still read an unknown record's
		// job.
		keep := map[string]bool{}
		for k, i := range idx {
			if a.res.Outcomes[i].Status == StatusUnknown {
				keep[cmp.Or(jobOf[k], firstJob)] = true
			}
		}
		var ended []string
		for _, j := range res.Jobs {
			if finishedJob(j.State) && !keep[j.ID] {
				ended = append(ended, j.ID)
			}
		}
		deleteIngestJobs(ctx, a.w, ended, a.opts.Log)
	}
	if fatal == nil {
		fatal = callErr
	}
	if fatal != nil {
		jobs := "job " + firstJob
		if len(res.Jobs) > 1 {
			jobs = "jobs " + strings.Join(res.JobIDs(), ", ")
		}
		return &stopError{fmt.Errorf("ingest %s (%s): %w", object, jobs, fatal)}
	}
	return nil
}

// finishedJob: an ingest job in this state applies nothing more.
func finishedJob(state string) bool {
	return state == "JobComplete" || state == "Failed" || state == "Aborted"
}

// deleteIngestJobs deletes ingest jobs whose records' outcomes are
// journalled (deleteBulkJobs).
func deleteIngestJobs(ctx context.Context, d ingestJobDeleter, ids []string, log *slog.Logger) {
	deleteBulkJobs(ctx, "ingest", d.DeleteIngestJob, ids, log)
}

// deleteBulkJobs deletes Bulk API 2.0 jobs of a kind ("ingest" or "query")
// the run no longer needs. A failure is logged, never returned: Salesforce
// deletes a finished job after 7 days itself. Nothing is deleted once ctx
// is done: a stopped run sends nothing more.
func deleteBulkJobs(ctx context.Context, kind string, del func(ctx context.Context, jobID string) error, ids []string, log *slog.Logger) {
	for k, id := range ids {
		if ctx.Err() != nil {
			log.Info("stopping: finished bulk "+kind+" jobs left for Salesforce to delete after 7 days", "jobs", strings.Join(ids[k:], ","))
			return
		}
		switch err := del(ctx, id); {
		case err == nil:
			log.Info("bulk "+kind+" job deleted", "job", id)
		case errors.Is(err, sfbulk.ErrNotFound):
			log.Info("bulk "+kind+" job already deleted", "job", id)
		default:
			log.Warn("could not delete a finished bulk "+kind+" job; Salesforce deletes it after 7 days", "job", id, "err", err.Error())
		}
	}
}

// classify sets o's status and error from one record's result and returns
// the call-level error that must stop the apply (nil for per-record
// failures): done; failed with Salesforce's code; unknown (maybe applied:
// unknownMsg says what happens next); failed without an answer.
func classify(o *Outcome, r sfbulk.RecordResult, unknownMsg string) error {
	switch {
	case r.Success:
		o.Status = StatusDone
	case r.Sent == sfbulk.Answered && len(r.Errors) > 0:
		o.Status, o.ErrorCode, o.ErrorMessage = StatusFailed, r.Errors[0].StatusCode, r.Errors[0].Message
	case r.Sent == sfbulk.MaybeSent:
		o.Status, o.ErrorCode, o.ErrorMessage = StatusUnknown, errorCode(r.Err()), unknownMsg
		return r.Err()
	default:
		o.Status, o.ErrorCode, o.ErrorMessage = StatusFailed, errorCode(r.Err()), errorMessage(r.Err())
		if r.RequestErr != nil {
			return r.RequestErr
		}
	}
	return nil
}

// missingResult stands for the result of a record the writer returned no
// result for (got results for want records). The record went out in the
// call, so it may have been applied (MaybeSent, as sfbulk reports a short
// answer itself) unless the call's error says the call was never sent or
// was refused as a whole.
func missingResult(callErr error, method, path string, got, want int) sfbulk.RecordResult {
	if callErr != nil {
		return sfbulk.RecordResult{Sent: sfbulk.SendStateOf(callErr), RequestErr: callErr}
	}
	return sfbulk.RecordResult{Sent: sfbulk.MaybeSent, RequestErr: &sfbulk.RequestError{Method: method, Path: path,
		Sent: sfbulk.MaybeSent, Err: &sfbulk.ResultCountError{Results: got, Records: want}}}
}

// unknownMessage is the error message of a record left unknown by r: why
// its outcome is not known (no answer to its call, or an answer whose
// results do not match the records sent, as sfbulk or missingResult report
// it), then next: what the next run does before sending it again.
func unknownMessage(r sfbulk.RecordResult, next string) string {
	var rc *sfbulk.ResultCountError
	if errors.As(r.Err(), &rc) {
		return fmt.Sprintf("Salesforce's answer held %s for %s sent; %s",
			plural(rc.Results, "result"), plural(rc.Records, "record"), next)
	}
	return "no answer from Salesforce; " + next
}

// plural is "1 noun" or "n nouns".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// journalState maps a report status to the journal's state.
func journalState(status string) string {
	switch status {
	case StatusDone:
		return state.Done
	case StatusUnknown:
		return state.Unknown
	}
	return state.Failed
}

// errorCode is Salesforce's error code of err, or a short kind of failure
// for errors Salesforce did not answer.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var re *sfbulk.RecordError
	var ae *sfbulk.APIError
	switch {
	case errors.As(err, &re):
		return re.StatusCode
	case errors.As(err, &ae) && ae.ErrorCode != "":
		return ae.ErrorCode
	case errors.As(err, &ae):
		return fmt.Sprintf("HTTP_%d", ae.HTTPStatus)
	case errors.Is(err, sfbulk.ErrBudgetExhausted):
		return "BUDGET_EXHAUSTED"
	case errors.Is(err, sfbulk.ErrAuthRevoked):
		return "INVALID_GRANT"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "INTERRUPTED"
	case errors.Is(err, sfbulk.ErrUnavailable):
		return "UNAVAILABLE"
	}
	return "ERROR"
}

func errorMessage(err error) string {
	if err == nil {
		return ""
	}
	var re *sfbulk.RecordError
	var ae *sfbulk.APIError
	switch {
	case errors.As(err, &re):
		return re.Message
	case errors.As(err, &ae):
		return ae.Message
	}
	return err.Error()
}
