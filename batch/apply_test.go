package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
)

// applyClock is the time every test apply runs at.
var applyClock = time.Date(2026, 11, 23, 6, 45, 0, 123456000, time.UTC)

// applyEvent is one step of an apply in the order the journal spy and the
// fake writer saw it.
type applyEvent struct {
	kind string // "mark", "move", "record", "update", "upload" (an ingest job's data)
	seqs []int  // sorted
	job  string
}

type applyLog struct {
	mu     sync.Mutex
	events []applyEvent
}

func (l *applyLog) add(kind string, seqs []int, job string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(seqs)
	slices.Sort(s)
	l.events = append(l.events, applyEvent{kind, s, job})
}

// spyJournal is the state store with its MarkSent, MoveToJob and Record
// calls logged; failMarkSent and failMove make MarkSent and MoveToJob fail
// instead of writing.
type spyJournal struct {
	st                     *state.Store
	log                    *applyLog
	failMarkSent, failMove error
	errs                   []error // every error the store returned
}

func (j *spyJournal) MarkSent(ctx context.Context, runID string, seqs []int, jobID string, at time.Time) error {
	if j.failMarkSent != nil {
		return j.failMarkSent
	}
	err := j.st.MarkSent(ctx, runID, seqs, jobID, at)
	if err != nil {
		j.errs = append(j.errs, err)
		return err
	}
	j.log.add("mark", seqs, jobID)
	return nil
}

func (j *spyJournal) MoveToJob(ctx context.Context, runID string, seqs []int, jobID string) error {
	if j.failMove != nil {
		return j.failMove
	}
	err := j.st.MoveToJob(ctx, runID, seqs, jobID)
	if err != nil {
		j.errs = append(j.errs, err)
		return err
	}
	j.log.add("move", seqs, jobID)
	return nil
}

func (j *spyJournal) Record(ctx context.Context, runID string, outs []state.Outcome) error {
	err := j.st.Record(ctx, runID, outs)
	if err != nil {
		j.errs = append(j.errs, err)
		return err
	}
	seqs := make([]int, len(outs))
	for i, o := range outs {
		seqs[i] = o.Seq
	}
	j.log.add("record", seqs, "")
	return nil
}

// fakeCall is one call the fake writer got.
type fakeCall struct {
	op         string // "update" or "ingest"
	object     string
	ids        []string
	journalled bool  // its records were marked sent (an ingest job that was created)
	ctxErr     error // the call's context's error at its end
}

// fakeWriter is a RecordWriter with scripted answers. It checks that every
// record it is sent is journalled as sent at that moment.
type fakeWriter struct {
	t     *testing.T
	st    *state.Store
	runID string
	log   *applyLog
	seqOf map[string]int // record id -> action seq of the sendable actions

	// byID scripts a record's answer, one per attempt (the last one
	// repeats); a record not listed is updated.
	byID map[string][]sfbulk.RecordResult
	// call scripts whole calls by number (updates and ingest jobs counted
	// together, from 0).
	call map[int]func(recs []sfbulk.Record) ([]sfbulk.RecordResult, error)
	// during runs inside call n, e.g. to cancel the apply's context.
	during map[int]func()
	// ingest scripts BulkIngest: the job ids it creates (default one),
	// the records (indexes) each carries (default: the records split in
	// order over the jobs; a later job may carry records again), a job
	// never created (noJob) or created with its results lost (lost).
	jobIDs      []string
	jobRecs     [][]int
	noJob, lost error
	ingestShort int   // answer only the first ingestShort records (0: all)
	ingestErr   error // returned with the results

	calls    []fakeCall
	attempts map[string]int
	usage    sfbulk.Usage
	// journalJob is the job each ingest record must be journalled in (the
	// call's first job, then the last job that carried it); carriedBy the
	// last job that carried it.
	journalJob, carriedBy map[string]string
	// jobState is each created job's last state (default JobComplete;
	// InProgress for lost results); deleted the jobs deleted, in order;
	// deleteErr fails every delete.
	jobState  map[string]string
	deleted   []string
	deleteErr error
}

const usageBefore = 1000 // calls the client spent before the apply

func newFakeWriter(t *testing.T, st *state.Store, runID string, log *applyLog, actions []Action) *fakeWriter {
	f := &fakeWriter{t: t, st: st, runID: runID, log: log, seqOf: map[string]int{}, byID: map[string][]sfbulk.RecordResult{},
		call: map[int]func([]sfbulk.Record) ([]sfbulk.RecordResult, error){}, during: map[int]func(){},
		attempts: map[string]int{}, usage: sfbulk.Usage{Calls: usageBefore, Org: sfbulk.LimitInfo{Used: 5000, Max: 100000}},
		journalJob: map[string]string{}, carriedBy: map[string]string{}, jobState: map[string]string{}}
	for _, a := range actions {
		if !a.Skip {
			f.seqOf[a.TargetID] = a.Seq
		}
	}
	return f
}

func (f *fakeWriter) Usage() sfbulk.Usage { return f.usage }

// DeleteIngestJob deletes a job the writer created; it checks that the job
// has ended and that no action is left open in it.
func (f *fakeWriter) DeleteIngestJob(ctx context.Context, jobID string) error {
	f.spend(1)
	if f.deleteErr != nil {
		return f.deleteErr
	}
	st, ok := f.jobState[jobID]
	if !ok || slices.Contains(f.deleted, jobID) {
		return fmt.Errorf("delete %s: %w", jobID, sfbulk.ErrNotFound)
	}
	if !finishedJob(st) {
		f.t.Errorf("job %s deleted in state %s", jobID, st)
	}
	acts, err := f.st.Actions(context.WithoutCancel(ctx), f.runID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range acts {
		if a.JobID == jobID && (a.State == state.Sent || a.State == state.Unknown) {
			f.t.Errorf("job %s deleted while action %d in it is %s", jobID, a.Seq, a.State)
		}
	}
	f.deleted = append(f.deleted, jobID)
	return nil
}

func (f *fakeWriter) spend(n int64) {
	f.usage.Calls += n
	f.usage.Org.Used += int(n)
}

// begin logs a call and checks its records.
func (f *fakeWriter) begin(op, object string, recs []sfbulk.Record) (int, []int) {
	n := len(f.calls)
	c := fakeCall{op: op, object: object}
	var seqs []int
	for _, r := range recs {
		id, _ := r["Id"].(string)
		c.ids = append(c.ids, id)
		seq, ok := f.seqOf[id]
		if !ok {
			f.t.Errorf("call %d: record %q is not a sendable action (skipped actions are never sent)", n, id)
			continue
		}
		seqs = append(seqs, seq)
		if r["Sales_Navigator_Lead_Id__c"] == nil {
			f.t.Errorf("call %d: record %s carries no field: %v", n, id, r)
		}
	}
	f.calls = append(f.calls, c)
	return n, seqs
}

// checkJournal checks that the journal holds seqs in state want (with jobID).
func (f *fakeWriter) checkJournal(n int, seqs []int, want, jobID string) {
	acts, err := f.st.Actions(context.Background(), f.runID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range seqs {
		if a := acts[s]; a.State != want || a.JobID != jobID {
			f.t.Errorf("call %d: action %d is journalled %s (job %q) during the call, want %s (job %q)", n, s, a.State, a.JobID, want, jobID)
		}
	}
}

func (f *fakeWriter) answer(id string) sfbulk.RecordResult {
	a := f.attempts[id]
	f.attempts[id]++
	script := f.byID[id]
	if len(script) == 0 {
		return sfbulk.RecordResult{ID: id, Success: true, Sent: sfbulk.Answered, Attempts: 1}
	}
	r := script[min(a, len(script)-1)]
	if r.Success {
		r.ID = id
	}
	return r
}

func (f *fakeWriter) finish(n int, ctx context.Context) {
	if d := f.during[n]; d != nil {
		d()
	}
	f.calls[n].ctxErr = ctx.Err()
}

func (f *fakeWriter) Update(ctx context.Context, object string, recs []sfbulk.Record) ([]sfbulk.RecordResult, error) {
	n, seqs := f.begin("update", object, recs)
	f.calls[n].journalled = true
	f.checkJournal(n, seqs, state.Sent, "")
	f.log.add("update", seqs, "")
	f.spend(1)
	defer f.finish(n, ctx)
	if c := f.call[n]; c != nil {
		return c(recs)
	}
	out := make([]sfbulk.RecordResult, len(recs))
	for i, r := range recs {
		out[i] = f.answer(r["Id"].(string))
	}
	return out, nil
}

func (f *fakeWriter) BulkIngest(ctx context.Context, object string, recs []sfbulk.Record, opts sfbulk.IngestOptions) (sfbulk.IngestResult, error) {
	n, seqs := f.begin("ingest", object, recs)
	defer f.finish(n, ctx)
	if opts.Operation != "update" {
		f.t.Errorf("ingest operation %q, want update", opts.Operation)
	}
	res := sfbulk.IngestResult{Results: make([]sfbulk.RecordResult, len(recs))}
	failAll := func(st sfbulk.SendState, err error) (sfbulk.IngestResult, error) {
		for i := range res.Results {
			res.Results[i] = sfbulk.RecordResult{Sent: st, RequestErr: err}
		}
		return res, err
	}
	f.spend(1) // create
	if f.noJob != nil {
		return failAll(sfbulk.NotSent, f.noJob)
	}
	jobs := orStrings(f.jobIDs, []string{"750000000000001AAA"})
	carry := f.jobRecs
	if carry == nil {
		for k := range jobs {
			carry = append(carry, seqRange(k*len(recs)/len(jobs), (k+1)*len(recs)/len(jobs)))
		}
	}
	ids := f.calls[n].ids
	for k, id := range jobs {
		res.Jobs = append(res.Jobs, sfbulk.IngestJob{ID: id, Object: object, Operation: "update", Records: len(carry[k])})
		if k == 0 {
			f.checkJournal(n, seqs, state.Planned, "")
		}
		f.jobState[id] = "JobComplete"
		if err := opts.OnJobCreated(id, slices.Clone(carry[k])); err != nil {
			// As sfbulk: the job is aborted, the records of the jobs
			// before it have their answers, the others were not sent.
			f.jobState[id] = "Aborted"
			res.Jobs[k].State = "Aborted"
			for x := range res.Jobs[:k] {
				res.Jobs[x].State = "JobComplete"
			}
			err = fmt.Errorf("bulk ingest job %s aborted: %w", id, err)
			for i := range res.Results {
				if f.carriedBy[ids[i]] != "" {
					res.Results[i] = f.answer(ids[i])
				} else {
					res.Results[i] = sfbulk.RecordResult{Sent: sfbulk.NotSent, RequestErr: err}
				}
			}
			return res, err
		}
		if k == 0 {
			f.calls[n].journalled = true
			for _, rid := range ids {
				f.journalJob[rid] = id
			}
		}
		// The job's records are journalled in it before its data is uploaded.
		js := make([]int, len(carry[k]))
		for x, r := range carry[k] {
			js[x] = seqs[r]
			f.journalJob[ids[r]], f.carriedBy[ids[r]] = id, id
		}
		f.checkJournal(n, js, state.Sent, id)
		f.log.add("upload", js, id)
		f.spend(6) // upload, close, a poll, three result files
	}
	if f.lost != nil {
		// Closed, and not seen to finish.
		for k := range res.Jobs {
			res.Jobs[k].State = "InProgress"
			f.jobState[res.Jobs[k].ID] = "InProgress"
		}
		return failAll(sfbulk.MaybeSent, f.lost)
	}
	for k := range res.Jobs {
		res.Jobs[k].State = "JobComplete"
	}
	for i, r := range recs {
		res.Results[i] = f.answer(r["Id"].(string))
	}
	if f.ingestShort > 0 {
		res.Results = res.Results[:f.ingestShort]
	}
	return res, f.ingestErr
}

func seqRange(from, to int) []int {
	s := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// callFails answers a whole call with a call-level failure.
func callFails(sent sfbulk.SendState, err error) func([]sfbulk.Record) ([]sfbulk.RecordResult, error) {
	return func(recs []sfbulk.Record) ([]sfbulk.RecordResult, error) {
		out := make([]sfbulk.RecordResult, len(recs))
		for i := range out {
			out[i] = sfbulk.RecordResult{Sent: sent, RequestErr: err}
		}
		return out, err
	}
}

// shortAnswer answers the first n records (updated) and none of the others.
func shortAnswer(n int, err error) func([]sfbulk.Record) ([]sfbulk.RecordResult, error) {
	return func(recs []sfbulk.Record) ([]sfbulk.RecordResult, error) {
		out := make([]sfbulk.RecordResult, n)
		for i := range out {
			out[i] = sfbulk.RecordResult{ID: recs[i]["Id"].(string), Success: true, Sent: sfbulk.Answered}
		}
		return out, err
	}
}

func recErr(code, msg string) sfbulk.RecordResult {
	return sfbulk.RecordResult{Sent: sfbulk.Answered, Errors: []sfbulk.RecordError{{StatusCode: code, Message: msg}}}
}

var (
	recOK     = sfbulk.RecordResult{Success: true, Sent: sfbulk.Answered}
	recLocked = recErr("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: 001A")
)

// recordID is the record id of action seq on object.
func recordID(object string, seq int) string {
	prefix := map[string]string{"Contact": "003", "Lead": "00Q"}[object]
	return fmt.Sprintf("%s%012d", prefix, seq)
}

// plan builds actions from specs "Object" (a writeback), "Object/Parent"
// (with a parent Account) or "skip", numbering them in order.
func applyPlan(specs ...string) []Action {
	var out []Action
	for _, s := range specs {
		seq := len(out)
		a := Action{Seq: seq, LeadID: fmt.Sprintf("L%05d", seq), Kind: KindWriteback}
		obj, parent, _ := strings.Cut(s, "/")
		if obj == "skip" {
			a.Object, a.Skip, a.Reason = "Contact", true, ReasonAlreadyLinked
			a.TargetID, a.MatchedID = recordID("Contact", seq), recordID("Contact", seq)
		} else {
			a.Object, a.ParentID = obj, parent
			a.TargetID, a.MatchedID = recordID(obj, seq), recordID(obj, seq)
			a.Fields = map[string]string{"Sales_Navigator_Lead_Id__c": a.LeadID}
		}
		out = append(out, a)
	}
	return out
}

// many repeats spec n times, cycling through parents when given (in a
// scrambled order, so that sorting by parent matters).
func specs(n int, object string, parents ...string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = object
		if len(parents) > 0 {
			out[i] += "/" + parents[(i*7+3)%len(parents)]
		}
	}
	return out
}

func concat(parts ...[]string) []string { return slices.Concat(parts...) }

func newApplyStore(t *testing.T, runID string, actions []Action) *state.Store {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.BeginRun(ctx, state.Run{ID: runID, Started: applyClock}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddActions(ctx, runID, journalActions(runID, actions)); err != nil {
		t.Fatal(err)
	}
	return st
}

var errAny = errors.New("any error")

var errJournalDown = errors.New("disk I/O error")

func TestApply(t *testing.T) {
	contacts9 := []string{"001P9", "001P1", "001P5", "001P3", "001P7", "001P2", "001P8", "001P4", "001P6"}
	limitErr := &sfbulk.APIError{HTTPStatus: 403, ErrorCode: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded.",
		Method: "PATCH", Path: "/composite/sobjects"}
	lostErr := &sfbulk.RequestError{Method: "PATCH", Path: "/composite/sobjects", Sent: sfbulk.MaybeSent, Err: io.ErrUnexpectedEOF}
	revoked := fmt.Errorf("refresh token: %w", sfbulk.ErrAuthRevoked)
	tests := []struct {
		name    string
		specs   []string
		opts    ApplyOptions
		script  func(f *fakeWriter, j *spyJournal, ids []string)
		cancel  int // cancel the apply's context during this call (-1: never)
		sizes   []string
		idWant  map[int]string // final status (and error code) by action seq
		callErr map[int]string // final status of the records whose last call was n
		wantErr error          // errors.Is target (errAny: any error); nil: none
		deleted []string       // the ingest jobs deleted, in order
		wantLog string         // a line the apply logs
		unknown string         // the error message of every unknown action (outcome and journal)
	}{
		{
			name:   "collections 200 a call, one Account's records together, skipped never sent",
			specs:  concat(specs(2, "skip"), specs(450, "Contact", contacts9...), specs(3, "skip"), specs(30, "Lead")),
			cancel: -1,
			sizes:  []string{"update Contact 200", "update Contact 200", "update Contact 50", "update Lead 30"},
		},
		{
			name:  "per-record errors are failed actions and the apply goes on",
			specs: concat(specs(10, "Contact", "001A", "001B"), specs(4, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.byID[ids[2]] = []sfbulk.RecordResult{recErr("FIELD_CUSTOM_VALIDATION_EXCEPTION", "LinkedIn URL must start with https://")}
				f.byID[ids[5]] = []sfbulk.RecordResult{recErr("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")}
				f.byID[ids[7]] = []sfbulk.RecordResult{{Sent: sfbulk.NotSent, Errors: []sfbulk.RecordError{{StatusCode: "NAVSYNC_INVALID_INPUT", Message: "a record to update needs an Id"}}}}
				f.byID[ids[11]] = []sfbulk.RecordResult{recErr("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")}
			},
			cancel: -1,
			sizes:  []string{"update Contact 10", "update Lead 4"},
			idWant: map[int]string{2: "failed FIELD_CUSTOM_VALIDATION_EXCEPTION", 5: "failed INSUFFICIENT_ACCESS_OR_READONLY",
				7: "failed NAVSYNC_INVALID_INPUT", 11: "failed CANNOT_UPDATE_CONVERTED_LEAD"},
		},
		{
			name:  "locked records are sent again alone, grouped by Account, until they pass",
			specs: specs(6, "Contact", "001B", "001A"),
			opts:  ApplyOptions{LockRetries: 5},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.byID[ids[1]] = []sfbulk.RecordResult{recLocked, recOK}
				f.byID[ids[4]] = []sfbulk.RecordResult{recLocked, recLocked, recOK}
				f.byID[ids[0]] = []sfbulk.RecordResult{recLocked, recOK}
			},
			cancel: -1,
			sizes:  []string{"update Contact 6", "update Contact 3", "update Contact 1"},
		},
		{
			name:  "a lock that outlives the retries ends failed with UNABLE_TO_LOCK_ROW",
			specs: specs(6, "Contact", "001B", "001A"),
			opts:  ApplyOptions{LockRetries: 2},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.byID[ids[2]] = []sfbulk.RecordResult{recLocked}
				f.byID[ids[3]] = []sfbulk.RecordResult{recLocked, recOK}
			},
			cancel: -1,
			sizes:  []string{"update Contact 6", "update Contact 2", "update Contact 1"},
			idWant: map[int]string{2: "failed UNABLE_TO_LOCK_ROW"},
		},
		{
			name:  "no lock rounds with LockRetries < 0",
			specs: specs(6, "Contact", "001B", "001A"),
			opts:  ApplyOptions{LockRetries: -1},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.byID[ids[2]] = []sfbulk.RecordResult{recLocked, recOK}
			},
			cancel: -1,
			sizes:  []string{"update Contact 6"},
			idWant: map[int]string{2: "failed UNABLE_TO_LOCK_ROW"},
		},
		{
			name:  "revoked authorisation stops the apply: that call failed, the rest not_sent",
			specs: concat(specs(450, "Contact", contacts9...), specs(30, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[1] = callFails(sfbulk.NotSent, revoked)
			},
			cancel:  -1,
			sizes:   []string{"update Contact 200", "update Contact 200"},
			callErr: map[int]string{1: "failed INVALID_GRANT"},
			wantErr: sfbulk.ErrAuthRevoked,
		},
		{
			name:  "the org's daily limit stops the apply",
			specs: concat(specs(250, "Contact", contacts9...), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[0] = callFails(sfbulk.Answered, limitErr) // what sfbulk returns for a 403 on the call
			},
			cancel:  -1,
			sizes:   []string{"update Contact 200"},
			callErr: map[int]string{0: "failed REQUEST_LIMIT_EXCEEDED"},
			wantErr: sfbulk.ErrLimitExhausted,
		},
		{
			name:  "a lost answer leaves its records unknown and stops the apply",
			specs: concat(specs(250, "Contact", contacts9...), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[1] = callFails(sfbulk.MaybeSent, lostErr)
			},
			cancel:  -1,
			sizes:   []string{"update Contact 200", "update Contact 50"},
			callErr: map[int]string{1: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "no answer from Salesforce; the next run reads the record before sending again",
		},
		{
			name:  "a short answer without an error leaves the unanswered records unknown",
			specs: concat(specs(10, "Contact"), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[0] = shortAnswer(7, nil)
			},
			cancel:  -1,
			sizes:   []string{"update Contact 10"},
			idWant:  map[int]string{7: "unknown UNAVAILABLE", 8: "unknown UNAVAILABLE", 9: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "Salesforce's answer held 7 results for 10 records sent; the next run reads the record before sending again",
		},
		{
			name:  "sfbulk's short answer (results not matching the records) leaves the whole call unknown",
			specs: concat(specs(10, "Contact"), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[0] = callFails(sfbulk.MaybeSent, &sfbulk.RequestError{Method: "PATCH", Path: "/composite/sobjects",
					Sent: sfbulk.MaybeSent, Err: &sfbulk.ResultCountError{Results: 9, Records: 10}})
			},
			cancel:  -1,
			sizes:   []string{"update Contact 10"},
			callErr: map[int]string{0: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "Salesforce's answer held 9 results for 10 records sent; the next run reads the record before sending again",
		},
		{
			name:  "a short answer with a lost-answer error leaves the unanswered records unknown",
			specs: concat(specs(10, "Contact"), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[0] = shortAnswer(3, lostErr)
			},
			cancel:  -1,
			sizes:   []string{"update Contact 10"},
			idWant:  map[int]string{3: "unknown UNAVAILABLE", 4: "unknown UNAVAILABLE", 5: "unknown UNAVAILABLE", 6: "unknown UNAVAILABLE", 7: "unknown UNAVAILABLE", 8: "unknown UNAVAILABLE", 9: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "no answer from Salesforce; the next run reads the record before sending again",
		},
		{
			name:  "no answer at all with an error that was never sent: the call's records failed",
			specs: concat(specs(10, "Contact"), specs(3, "Lead")),
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.call[0] = shortAnswer(0, fmt.Errorf("update: %w", sfbulk.ErrBudgetExhausted))
			},
			cancel:  -1,
			sizes:   []string{"update Contact 10"},
			callErr: map[int]string{0: "failed BUDGET_EXHAUSTED"},
			wantErr: sfbulk.ErrBudgetExhausted,
		},
		{
			name:  "the journal failing before a call: nothing is sent",
			specs: concat(specs(10, "Contact"), specs(3, "Lead")),
			script: func(_ *fakeWriter, j *spyJournal, _ []string) {
				j.failMarkSent = errJournalDown
			},
			cancel:  -1,
			wantErr: errJournalDown,
		},
		{
			name:    "a cancelled context stops before the next call; the call in flight completes and is journalled",
			specs:   concat(specs(450, "Contact", contacts9...), specs(3, "Lead")),
			cancel:  0,
			sizes:   []string{"update Contact 200"},
			wantErr: context.Canceled,
		},
		{
			name:  "a cancelled context during a lock pause stops at once; the locked records stay failed",
			specs: concat(specs(6, "Contact", "001B", "001A"), specs(2, "Lead")),
			opts:  ApplyOptions{LockRetries: 5, LockBackoff: time.Hour},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.byID[ids[1]] = []sfbulk.RecordResult{recLocked, recOK}
			},
			cancel:  0,
			sizes:   []string{"update Contact 6"},
			idWant:  map[int]string{1: "failed UNABLE_TO_LOCK_ROW"},
			wantErr: context.Canceled,
		},
		{
			name:  "above the threshold one ingest job, results joined back per record",
			specs: concat(specs(8, "Contact", "001C", "001A", "001B"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.jobIDs = []string{"750000000000001AAA", "750000000000002AAA"} // split in two jobs
				f.byID[ids[3]] = []sfbulk.RecordResult{recErr("FIELD_INTEGRITY_EXCEPTION", "field integrity exception: AccountId")}
				f.byID[ids[6]] = []sfbulk.RecordResult{recErr("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")}
				f.byID[ids[9]] = []sfbulk.RecordResult{recErr("INVALID_FIELD", "No such column")}
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8", "update Lead 3"},
			idWant:  map[int]string{3: "failed FIELD_INTEGRITY_EXCEPTION", 6: "failed UNABLE_TO_LOCK_ROW", 9: "failed INVALID_FIELD"},
			deleted: []string{"750000000000001AAA", "750000000000002AAA"}, // once the outcomes are journalled
			wantLog: "bulk ingest job deleted",
		},
		{
			name:  "records sent again in later jobs are journalled in the job that carried them last",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				// In record order (by parent): 001A holds 0, 2, 4, 6; 001C holds 1, 3, 5, 7.
				f.jobIDs = []string{"750000000000001AAA", "750000000000002AAA", "750000000000003AAA"}
				f.jobRecs = [][]int{seqRange(0, 8), {1, 5}, {5}} // actions 2 and 3, then 3 again
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8", "update Lead 3"},
			deleted: []string{"750000000000001AAA", "750000000000002AAA", "750000000000003AAA"},
		},
		{
			name:  "a later job that cannot be journalled is aborted: its records failed, the apply stops",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, j *spyJournal, _ []string) {
				f.jobIDs = []string{"750000000000001AAA", "750000000000002AAA"}
				j.failMove = errJournalDown
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8"},
			idWant:  map[int]string{1: "failed ERROR", 3: "failed ERROR", 5: "failed ERROR", 7: "failed ERROR"},
			wantErr: errJournalDown,
			deleted: []string{"750000000000001AAA", "750000000000002AAA"}, // the second one aborted
		},
		{
			name:  "with KeepIngestJobs the finished jobs stay",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5, KeepIngestJobs: true},
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.jobIDs = []string{"750000000000001AAA", "750000000000002AAA"}
			},
			cancel: -1,
			sizes:  []string{"ingest Contact 8", "update Lead 3"},
		},
		{
			name:  "a job that cannot be deleted is logged, the apply goes on",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.deleteErr = &sfbulk.APIError{HTTPStatus: 503, Message: "Service Unavailable", Method: "DELETE", Path: "/jobs/ingest/750000000000001AAA"}
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8", "update Lead 3"},
			wantLog: "could not delete a finished bulk ingest job",
		},
		{
			name:   "exactly the threshold goes through collections",
			specs:  specs(8, "Contact", "001C", "001A"),
			opts:   ApplyOptions{BulkThreshold: 8},
			cancel: -1,
			sizes:  []string{"update Contact 8"},
		},
		{
			name:  "an ingest job never created leaves every action not_sent",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.noJob = limitErr
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8"},
			callErr: map[int]string{0: "not_sent REQUEST_LIMIT_EXCEEDED"},
			wantErr: sfbulk.ErrLimitExhausted,
		},
		{
			name:  "an ingest job whose results are lost leaves its records unknown",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, _ []string) {
				f.lost = lostErr
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8"},
			callErr: map[int]string{0: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "no result for this record; the next run reads the record before sending again",
		},
		{
			name:  "an ingest job's records without a result are unknown",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.ingestShort = 6
			},
			cancel: -1,
			sizes:  []string{"ingest Contact 8"},
			// sorted by parent: 001A holds 0, 2, 4, 6; 001C holds 1, 3, 5, 7
			idWant:  map[int]string{5: "unknown UNAVAILABLE", 7: "unknown UNAVAILABLE"},
			wantErr: sfbulk.ErrUnavailable,
			unknown: "no result for this record; the next run reads the record before sending again",
		},
		{
			name:  "an ingest error with every record answered still stops the apply",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(f *fakeWriter, _ *spyJournal, ids []string) {
				f.ingestErr = fmt.Errorf("bulk ingest: %w", sfbulk.ErrBudgetExhausted)
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8"},
			wantErr: sfbulk.ErrBudgetExhausted,
			deleted: []string{"750000000000001AAA"},
		},
		{
			name:  "an ingest job whose id cannot be journalled is aborted: its actions stay not_sent",
			specs: concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:  ApplyOptions{BulkThreshold: 5},
			script: func(_ *fakeWriter, j *spyJournal, _ []string) {
				j.failMarkSent = errJournalDown
			},
			cancel:  -1,
			sizes:   []string{"ingest Contact 8"},
			callErr: map[int]string{0: "not_sent ERROR"},
			wantErr: errJournalDown,
		},
		{
			name:    "a cancelled context during an ingest job: the job completes, nothing after it",
			specs:   concat(specs(8, "Contact", "001C", "001A"), specs(3, "Lead")),
			opts:    ApplyOptions{BulkThreshold: 5},
			cancel:  0,
			sizes:   []string{"ingest Contact 8"},
			wantErr: context.Canceled,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const runID = "run-apply"
			actions := applyPlan(tc.specs...)
			st := newApplyStore(t, runID, actions)
			log := &applyLog{}
			j := &spyJournal{st: st, log: log}
			f := newFakeWriter(t, st, runID, log, actions)
			ids := make([]string, len(actions))
			for i, a := range actions {
				ids[i] = a.TargetID
			}
			if tc.script != nil {
				tc.script(f, j, ids)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel >= 0 {
				f.during[tc.cancel] = cancel
			}
			opts := tc.opts
			opts.RunID, opts.Now = runID, func() time.Time { return applyClock }
			var logBuf syncBuffer
			opts.Log = slog.New(slog.NewTextHandler(&logBuf, nil))
			if opts.LockBackoff == 0 {
				opts.LockBackoff = time.Millisecond
			}
			type result struct {
				res *ApplyResult
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := Apply(ctx, f, j, slices.Clone(actions), opts)
				done <- result{res, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute):
				t.Fatal("Apply did not return within a minute")
			}
			res, err := r.res, r.err

			// The error.
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Apply: %v", err)
			case tc.wantErr == errAny && err == nil, tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("Apply error = %v, want one matching %v", err, tc.wantErr)
			}
			for _, e := range j.errs {
				t.Errorf("the journal refused a write: %v", e)
			}

			// The calls.
			var sizes []string
			for _, c := range f.calls {
				sizes = append(sizes, fmt.Sprintf("%s %s %d", c.op, c.object, len(c.ids)))
				if c.ctxErr != nil {
					t.Errorf("the %s call's context ended during the call (%v): a signal must not cut a call short", c.op, c.ctxErr)
				}
			}
			if !slices.Equal(sizes, tc.sizes) {
				t.Errorf("calls:\n got %q\nwant %q", sizes, tc.sizes)
			}
			checkGrouped(t, f.calls, actions)
			checkJournalledAroundCalls(t, log.events)

			// The outcomes, and the journal.
			want := wantStatuses(actions, f.calls, tc.idWant, tc.callErr)
			checkOutcomes(t, ctx, st, runID, actions, res, f, want)
			if tc.unknown != "" {
				checkUnknownMessages(t, ctx, st, runID, res, tc.unknown)
			}
			if res.Calls != f.usage.Calls-usageBefore {
				t.Errorf("Calls = %d, want the %d calls the apply spent", res.Calls, f.usage.Calls-usageBefore)
			}
			var wantJobs []string
			if len(f.calls) > 0 && f.calls[0].op == "ingest" && f.noJob == nil {
				wantJobs = orStrings(f.jobIDs, []string{"750000000000001AAA"})
			}
			if !slices.Equal(res.Ingest, wantJobs) {
				t.Errorf("Ingest = %q, want %q", res.Ingest, wantJobs)
			}
			if !slices.Equal(f.deleted, tc.deleted) {
				t.Errorf("ingest jobs deleted %q, want %q", f.deleted, tc.deleted)
			}
			if !strings.Contains(logBuf.String(), tc.wantLog) {
				t.Errorf("the log lacks %q:\n%s", tc.wantLog, logBuf.String())
			}
		})
	}
}

// checkUnknownMessages: the apply left actions unknown, each with the
// error message want in its outcome and in the journal.
func checkUnknownMessages(t *testing.T, ctx context.Context, st *state.Store, runID string, res *ApplyResult, want string) {
	t.Helper()
	journal, err := st.Actions(context.WithoutCancel(ctx), runID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, o := range res.Outcomes {
		if o.Status != StatusUnknown {
			continue
		}
		n++
		if o.ErrorMessage != want {
			t.Errorf("action %d unknown with the message %q, want %q", i, o.ErrorMessage, want)
		}
		if got := journal[i].ErrorMessage; got != want {
			t.Errorf("action %d journalled unknown with the message %q, want %q", i, got, want)
		}
	}
	if n == 0 {
		t.Error("no action unknown")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func orStrings(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}

// wantStatuses is each action's expected "status CODE": idWant, else the
// expectation of the last call that carried it, else done when it was
// sent, not_sent when not, skipped when skipped.
func wantStatuses(actions []Action, calls []fakeCall, idWant map[int]string, callWant map[int]string) []string {
	last := map[string]int{}
	for n, c := range calls {
		for _, id := range c.ids {
			last[id] = n
		}
	}
	out := make([]string, len(actions))
	for i, a := range actions {
		n, sent := last[a.TargetID]
		switch {
		case a.Skip:
			out[i] = "skipped"
		case idWant[a.Seq] != "":
			out[i] = idWant[a.Seq]
		case sent && callWant[n] != "":
			out[i] = callWant[n]
		case sent:
			out[i] = "done"
		default:
			out[i] = "not_sent"
		}
	}
	return out
}

// checkOutcomes compares the outcomes and the journal with want.
func checkOutcomes(t *testing.T, ctx context.Context, st *state.Store, runID string, actions []Action, res *ApplyResult, f *fakeWriter, want []string) {
	t.Helper()
	if res == nil || len(res.Outcomes) != len(actions) {
		t.Fatalf("ApplyResult %+v: want one outcome per action (%d)", res, len(actions))
	}
	journal, err := st.Actions(context.WithoutCancel(ctx), runID)
	if err != nil {
		t.Fatal(err)
	}
	// How many journalled calls carried each record.
	attempts := map[string]int{}
	for _, c := range f.calls {
		if !c.journalled {
			continue
		}
		for _, id := range c.ids {
			attempts[id]++
		}
	}
	byStatus, byError := map[string]int{}, map[string]int{}
	journalState := map[string]string{StatusDone: state.Done, StatusFailed: state.Failed, StatusUnknown: state.Unknown,
		StatusNotSent: state.Planned, StatusSkipped: state.Skipped}
	for i, a := range actions {
		o := res.Outcomes[i]
		got := o.Status
		if o.ErrorCode != "" {
			got += " " + o.ErrorCode
		}
		if got != want[i] {
			t.Errorf("action %d (%s, parent %s): outcome %q, want %q (%s)", i, a.TargetID, a.ParentID, got, want[i], o.ErrorMessage)
		}
		byStatus[o.Status]++
		if o.ErrorCode != "" {
			byError[o.ErrorCode]++
			if o.ErrorMessage == "" {
				t.Errorf("action %d: error %s without a message", i, o.ErrorCode)
			}
		}
		// The journal says the same.
		ja := journal[i]
		if ja.Seq != a.Seq || ja.State != journalState[o.Status] {
			t.Errorf("action %d: journalled %s, want %s for outcome %s", i, ja.State, journalState[o.Status], o.Status)
		}
		if o.Status == StatusFailed || o.Status == StatusUnknown {
			if ja.ErrorCode != o.ErrorCode || ja.ErrorMessage != o.ErrorMessage {
				t.Errorf("action %d: journalled error %q %q, outcome %q %q", i, ja.ErrorCode, ja.ErrorMessage, o.ErrorCode, o.ErrorMessage)
			}
		} else if ja.ErrorCode != "" {
			t.Errorf("action %d (%s): journalled error code %q", i, o.Status, ja.ErrorCode)
		}
		if ja.Attempts != attempts[a.TargetID] {
			t.Errorf("action %d: journalled %d attempts, the writer saw it in %d journalled calls", i, ja.Attempts, attempts[a.TargetID])
		}
		// The journal names the job to wait for, the outcome the job
		// that carried the record.
		if ja.JobID != f.journalJob[a.TargetID] || o.JobID != f.carriedBy[a.TargetID] {
			t.Errorf("action %d: job %q in the journal, %q in the outcome, want %q and %q", i, ja.JobID, o.JobID,
				f.journalJob[a.TargetID], f.carriedBy[a.TargetID])
		}
		// Attempted actions carry the time and the org's API usage.
		attempted := o.Status != StatusNotSent && o.Status != StatusSkipped
		if attempted != !o.AttemptedAt.IsZero() || attempted && !o.AttemptedAt.Equal(applyClock) {
			t.Errorf("action %d (%s): attempted at %v", i, o.Status, o.AttemptedAt)
		}
		if attempted && (o.UsageMax != 100000 || o.UsageUsed <= 5000) || !attempted && (o.UsageMax != 0 || o.UsageUsed != 0) {
			t.Errorf("action %d (%s): usage %d/%d", i, o.Status, o.UsageUsed, o.UsageMax)
		}
		if attempted && !ja.AttemptedAt.Equal(applyClock) {
			t.Errorf("action %d: journalled attempted at %v", i, ja.AttemptedAt)
		}
	}
	if !maps.Equal(res.ByStatus, byStatus) {
		t.Errorf("ByStatus = %v, want %v", res.ByStatus, byStatus)
	}
	if !maps.Equal(res.ByError, byError) {
		t.Errorf("ByError = %v, want %v", res.ByError, byError)
	}
}

// checkGrouped checks that each object's records go out sorted by parent
// Account (then plan order), so one Account's records travel together: in
// the first round the parents form contiguous runs across calls, and every
// call (lock rounds too) is in that order.
func checkGrouped(t *testing.T, calls []fakeCall, actions []Action) {
	t.Helper()
	byID := map[string]*Action{}
	for i := range actions {
		byID[actions[i].TargetID] = &actions[i]
	}
	less := func(a, b *Action) bool {
		return a.ParentID < b.ParentID || a.ParentID == b.ParentID && a.Seq < b.Seq
	}
	seen := map[string]bool{}
	first := map[string][]*Action{} // object -> first attempts in order
	for n, c := range calls {
		for k, id := range c.ids {
			a := byID[id]
			if a == nil {
				continue
			}
			if a.Object != c.object {
				t.Errorf("call %d to %s carries a %s", n, c.object, a.Object)
			}
			if k > 0 && byID[c.ids[k-1]] != nil && !less(byID[c.ids[k-1]], a) {
				t.Errorf("call %d: %s (parent %q) after %s (parent %q)", n, id, a.ParentID, c.ids[k-1], byID[c.ids[k-1]].ParentID)
			}
			if !seen[id] {
				seen[id] = true
				first[c.object] = append(first[c.object], a)
			}
		}
		if c.op == "update" && len(c.ids) > sfbulk.MaxCollection {
			t.Errorf("call %d carries %d records", n, len(c.ids))
		}
	}
	for obj, as := range first {
		if !slices.IsSortedFunc(as, func(a, b *Action) int {
			if less(a, b) {
				return -1
			}
			return 1
		}) {
			t.Errorf("%s records are not sent sorted by parent Account", obj)
		}
	}
}

// checkJournalledAroundCalls checks that every call is preceded by a
// MarkSent of exactly its actions and followed by a Record of exactly its
// actions, and that every ingest upload is preceded by the journal naming
// its job for its actions (MarkSent of the whole call for the first job,
// MoveToJob of exactly its actions for a later one) and followed, after
// the call's other jobs, by a Record of its actions.
func checkJournalledAroundCalls(t *testing.T, ev []applyEvent) {
	t.Helper()
	covers := func(all, part []int) bool {
		for _, s := range part {
			if _, ok := slices.BinarySearch(all, s); !ok {
				return false
			}
		}
		return true
	}
	for i, e := range ev {
		switch e.kind {
		case "update":
			if i == 0 || ev[i-1].kind != "mark" || !slices.Equal(ev[i-1].seqs, e.seqs) || ev[i-1].job != e.job {
				t.Errorf("event %d: %s of %d records not preceded by MarkSent of the same actions", i, e.kind, len(e.seqs))
			}
			if i+1 >= len(ev) || ev[i+1].kind != "record" || !slices.Equal(ev[i+1].seqs, e.seqs) {
				t.Errorf("event %d: %s of %d records not followed by Record of the same actions", i, e.kind, len(e.seqs))
			}
		case "upload":
			p := ev[max(i-1, 0)]
			if i == 0 || p.job != e.job || !(p.kind == "mark" && covers(p.seqs, e.seqs) || p.kind == "move" && slices.Equal(p.seqs, e.seqs)) {
				t.Errorf("event %d: upload of %d records in job %s not preceded by the journal naming that job for them", i, len(e.seqs), e.job)
			}
			k := i + 1
			for k < len(ev) && (ev[k].kind == "move" || ev[k].kind == "upload") {
				k++
			}
			if k >= len(ev) || ev[k].kind != "record" || !covers(ev[k].seqs, e.seqs) {
				t.Errorf("event %d: upload of %d records in job %s not followed by Record of its actions", i, len(e.seqs), e.job)
			}
		}
	}
	marks, records := 0, 0
	for _, e := range ev {
		switch e.kind {
		case "mark":
			marks++
		case "record":
			records++
		}
	}
	if marks != records {
		t.Errorf("%d MarkSent, %d Record: every journalled call must be recorded", marks, records)
	}
}

// fakeReader is a RecordReader over records by object and id, logging
// what it is asked in order.
type fakeReader struct {
	t       *testing.T
	records map[string]map[string]sfbulk.Record // object -> id -> record
	jobErr  error                               // IngestJobResults fails with it
	delErr  error                               // DeleteIngestJob fails with it
	onDel   func(jobID string)                  // called by DeleteIngestJob
	log     []string                            // "job ID", "delete ID" and "query Object id,id,..."
	fields  map[string][]string                 // object -> fields of its last query
}

var soqlByIDs = regexp.MustCompile(`^SELECT (.+) FROM (\w+) WHERE Id IN \((.+)\)$`)

func (r *fakeReader) QueryRecords(_ context.Context, soql string) ([]sfbulk.Record, error) {
	m := soqlByIDs.FindStringSubmatch(soql)
	if m == nil {
		r.t.Fatalf("unexpected query %q", soql)
	}
	object := m[2]
	var ids []string
	for _, lit := range strings.Split(m[3], ", ") {
		ids = append(ids, strings.Trim(lit, "'"))
	}
	r.log = append(r.log, "query "+object+" "+strings.Join(ids, ","))
	if r.fields == nil {
		r.fields = map[string][]string{}
	}
	r.fields[object] = strings.Split(m[1], ", ")
	var out []sfbulk.Record
	for _, id := range ids {
		if rec, ok := r.records[object][id]; ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

func (r *fakeReader) DeleteIngestJob(_ context.Context, jobID string) error {
	r.log = append(r.log, "delete "+jobID)
	if r.onDel != nil {
		r.onDel(jobID)
	}
	return r.delErr
}

func (r *fakeReader) IngestJobResults(_ context.Context, jobID, keyField string) (*sfbulk.IngestJobReport, error) {
	r.log = append(r.log, "job "+jobID)
	if r.jobErr != nil {
		return nil, r.jobErr
	}
	return &sfbulk.IngestJobReport{Job: sfbulk.IngestJob{ID: jobID, State: "JobComplete"}, KeyField: "Id", Complete: true}, nil
}

const (
	fLead = "Sales_Navigator_Lead_Id__c"
	fURL  = "LinkedIn_Profile_URL__c"
)

// journalRun begins run id and journals actions, then moves each to its
// state as a run would have: sent (in job when given), unknown, done,
// failed, skipped or left planned.
func journalRun(t *testing.T, st *state.Store, id string, acts []state.Action, states []string, jobs []string) {
	t.Helper()
	ctx := context.Background()
	if err := st.BeginRun(ctx, state.Run{ID: id, Started: applyClock}); err != nil {
		t.Fatal(err)
	}
	for i := range acts {
		acts[i].Seq, acts[i].Kind = i, state.KindWriteback
		acts[i].LeadID = fmt.Sprintf("L%d", i)
		if states[i] == state.Skipped {
			acts[i].State = state.Skipped
		}
	}
	if err := st.AddActions(ctx, id, acts); err != nil {
		t.Fatal(err)
	}
	for i, s := range states {
		if s == state.Planned || s == state.Skipped {
			continue
		}
		if err := st.MarkSent(ctx, id, []int{i}, jobs[i], applyClock); err != nil {
			t.Fatal(err)
		}
		if s != state.Sent {
			if err := st.Record(ctx, id, []state.Outcome{{Seq: i, State: s, ErrorCode: map[bool]string{true: "X"}[s == state.Failed]}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func journalStates(t *testing.T, st *state.Store, runID string) []string {
	t.Helper()
	acts, err := st.Actions(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.State
	}
	return out
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := func(object, id string, fields ...string) state.Action {
		a := state.Action{Object: object, TargetID: id, Fields: map[string]string{}}
		for i := 0; i+1 < len(fields); i += 2 {
			a.Fields[fields[i]] = fields[i+1]
		}
		return a
	}
	// A run killed during apply.
	journalRun(t, st, "r1", []state.Action{
		c("Contact", "003A", fLead, "L0"),             // 0 sent, record holds the value: done
		c("Contact", "003B", fLead, "L1"),             // 1 sent, record without it: not_applied
		c("Lead", "00QC", fLead, "L2", fURL, "u2"),    // 2 unknown, record holds both (other case, spaces): done
		c("Lead", "00QD", fLead, "L3"),                // 3 unknown, record gone: not_applied
		c("Contact", "003E", fLead, "L4"),             // 4 sent in an ingest job, holds it: done
		c("Contact", "003F", fLead, "L5", fURL, "u5"), // 5 sent in a later job of the call, holds one of two: not_applied
		c("Contact", "003G", fLead, "L6"),             // 6 planned: superseded
		c("Contact", "003H", fLead, "L7"),             // 7 done: stays
		c("Contact", "003I"),                          // 8 skipped: stays
		c("Contact", "003J", fLead, "L9"),             // 9 failed: stays
	}, []string{state.Sent, state.Sent, state.Unknown, state.Unknown, state.Sent, state.Sent, state.Planned, state.Done, state.Skipped, state.Failed},
		[]string{"", "", "", "", "750J1", "750J2", "", "", "", ""})
	// A run that ended with an open action after its authorisation was revoked.
	journalRun(t, st, "r2", []state.Action{c("Contact", "003K", fLead, "L0"), c("Contact", "003L", fLead, "L1")},
		[]string{state.Unknown, state.Planned}, []string{"", ""})
	const r2Err = "run: apply: update Contact: salesforce authorization revoked"
	if err := st.EndRun(ctx, state.Run{ID: "r2", Status: state.StatusIncomplete, Planned: 2, Error: r2Err}); err != nil {
		t.Fatal(err)
	}
	// A finished run is left alone, even with an action still planned.
	journalRun(t, st, "r3", []state.Action{c("Contact", "003M", fLead, "L0")}, []string{state.Planned}, []string{""})
	if err := st.EndRun(ctx, state.Run{ID: "r3", Status: state.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}

	r := &fakeReader{t: t, records: map[string]map[string]sfbulk.Record{
		"Contact": {
			"003A": {"Id": "003A", fLead: "L0"},
			"003B": {"Id": "003B", fLead: nil},
			"003E": {"Id": "003E", fLead: "L4"},
			"003F": {"Id": "003F", fLead: "L5", fURL: "u-other"},
			"003G": {"Id": "003G", fLead: "L6"}, // would be done, but it was never sent
			"003K": {"Id": "003K", fLead: "L0"},
			"003M": {"Id": "003M", fLead: "L0"},
		},
		"Lead": {"00QC": {"Id": "00QC", strings.ToLower(fLead): " L2 ", strings.ToUpper(fURL): "u2"}},
	}}
	r.onDel = func(job string) {
		if got := journalStates(t, st, "r1"); slices.Contains(got, state.Sent) || slices.Contains(got, state.Unknown) {
			t.Errorf("job %s deleted before the outcomes were journalled: %v", job, got)
		}
	}
	now := applyClock.Add(time.Hour)
	got, err := Reconcile(ctx, r, st, ReconcileOptions{ExtField: "Sales_Navigator_Lead_Id__c", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	want := Reconciled{Runs: []string{"r1", "r2"}, Done: 4, NotApplied: 3, Superseded: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Reconcile = %+v, want %+v", got, want)
	}
	for run, want := range map[string][]string{
		"r1": {state.Done, state.NotApplied, state.Done, state.NotApplied, state.Done, state.NotApplied, state.Superseded,
			state.Done, state.Skipped, state.Failed},
		"r2": {state.Done, state.Superseded},
		"r3": {state.Planned},
	} {
		if got := journalStates(t, st, run); !slices.Equal(got, want) {
			t.Errorf("journal of %s:\n got %v\nwant %v", run, got, want)
		}
	}
	// Each ingest job is waited on before any record is read; only sent or
	// unknown actions are read back, one query per object and run; the
	// jobs are deleted once the run's outcomes are journalled.
	wantLog := []string{"job 750J1", "job 750J2", "query Contact 003A,003B,003E,003F", "query Lead 00QC,00QD",
		"delete 750J1", "delete 750J2", "query Contact 003K"}
	if len(r.log) != len(wantLog) || !slices.Equal(r.log[:2], wantLog[:2]) || !slices.Equal(r.log[4:], wantLog[4:]) ||
		!slices.Equal(slices.Sorted(slices.Values(r.log[2:4])), wantLog[2:4]) {
		t.Errorf("reader calls:\n got %q\nwant %q (the two r1 queries in any order)", r.log, wantLog)
	}
	if f := r.fields["Lead"]; !slices.Equal(f, []string{"Id", fURL, fLead}) {
		t.Errorf("Lead query selects %v", f)
	}
	// The runs are closed as interrupted with their counts; a run's own
	// error is kept.
	for _, w := range []state.Run{
		{ID: "r1", Status: state.StatusInterrupted, Writes: 4, Failed: 1, Error: "the process stopped during the run; reconciled by the next run"},
		{ID: "r2", Status: state.StatusInterrupted, Writes: 1, Planned: 2, Error: r2Err + " (reconciled by the next run)"},
		{ID: "r3", Status: state.StatusSucceeded},
	} {
		run, err := st.Run(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != w.Status || run.Writes != w.Writes || run.Failed != w.Failed || run.Planned != w.Planned || run.Error != w.Error {
			t.Errorf("run %s: %s writes %d failed %d planned %d error %q, want %s %d %d %d %q", w.ID, run.Status, run.Writes, run.Failed,
				run.Planned, run.Error, w.Status, w.Writes, w.Failed, w.Planned, w.Error)
		}
		if w.ID != "r3" && !run.Ended.Equal(now) {
			t.Errorf("run %s ended %v, want %v", w.ID, run.Ended, now)
		}
	}
	if open, err := st.IncompleteRuns(ctx); err != nil || len(open) != 0 {
		t.Errorf("IncompleteRuns after Reconcile = %v, %v", open, err)
	}
	// Nothing is left to do a second time.
	r.log = nil
	if again, err := Reconcile(ctx, r, st, ReconcileOptions{ExtField: "Sales_Navigator_Lead_Id__c"}); err != nil || len(again.Runs) != 0 || len(r.log) != 0 {
		t.Errorf("second Reconcile = %+v, %v; reader calls %q", again, err, r.log)
	}
}

// TestReconcileIngestJobDeletes: with KeepIngestJobs a killed run's ingest
// jobs are left alone; a delete that fails is logged and reconciliation
// goes on.
func TestReconcileIngestJobDeletes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keep    bool
		delErr  error
		deletes int
		wantLog string
	}{
		{name: "kept", keep: true},
		{name: "deleted", deletes: 1, wantLog: "bulk ingest job deleted"},
		{name: "the delete fails", delErr: fmt.Errorf("delete bulk ingest job 750J1: %w", sfbulk.ErrUnavailable), deletes: 1,
			wantLog: "could not delete a finished bulk ingest job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := state.Open(ctx, filepath.Join(t.TempDir(), "navsync.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			journalRun(t, st, "r1", []state.Action{{Object: "Contact", TargetID: "003A", Fields: map[string]string{fLead: "L0"}}},
				[]string{state.Sent}, []string{"750J1"})
			r := &fakeReader{t: t, delErr: tc.delErr, records: map[string]map[string]sfbulk.Record{
				"Contact": {"003A": {"Id": "003A", fLead: "L0"}}}}
			var logBuf syncBuffer
			got, err := Reconcile(ctx, r, st, ReconcileOptions{ExtField: fLead, KeepIngestJobs: tc.keep,
				Log: slog.New(slog.NewTextHandler(&logBuf, nil))})
			if err != nil || got.Done != 1 {
				t.Fatalf("Reconcile = %+v, %v", got, err)
			}
			deletes := 0
			for _, l := range r.log {
				if l == "delete 750J1" {
					deletes++
				}
			}
			if deletes != tc.deletes || !strings.Contains(logBuf.String(), tc.wantLog) {
				t.Errorf("%d deletes (want %d), log:\n%s", deletes, tc.deletes, logBuf.String())
			}
			if open, _ := st.IncompleteRuns(ctx); len(open) != 0 {
				t.Errorf("runs left open: %v", open)
			}
		})
	}
}

// TestReconcileReadsInChunks reads many records back in queries of at most
// 150 ids.
func TestReconcileReadsInChunks(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 320
	acts := make([]state.Action, n)
	states := make([]string, n)
	recs := map[string]sfbulk.Record{}
	for i := range acts {
		id := recordID("Contact", i)
		acts[i] = state.Action{Object: "Contact", TargetID: id, Fields: map[string]string{fLead: fmt.Sprint("L", i)}}
		states[i] = state.Sent
		if i%2 == 0 {
			recs[id] = sfbulk.Record{"Id": id, fLead: fmt.Sprint("L", i)}
		}
	}
	journalRun(t, st, "r1", acts, states, make([]string, n))
	r := &fakeReader{t: t, records: map[string]map[string]sfbulk.Record{"Contact": recs}}
	got, err := Reconcile(ctx, r, st, ReconcileOptions{ExtField: "Sales_Navigator_Lead_Id__c"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != n/2 || got.NotApplied != n/2 {
		t.Errorf("Reconcile = %+v, want %d done and %d not applied", got, n/2, n/2)
	}
	seen := map[string]bool{}
	for _, q := range r.log {
		ids := strings.Split(strings.TrimPrefix(q, "query Contact "), ",")
		if len(ids) > 150 {
			t.Errorf("a query of %d ids", len(ids))
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	if len(r.log) != 3 || len(seen) != n {
		t.Errorf("%d queries over %d ids, want 3 over %d", len(r.log), len(seen), n)
	}
}

// TestReconcileStopsWhenAJobCannotBeRead: an ingest job whose outcome
// cannot be settled stops reconciliation before any record is read or any
// outcome journalled.
func TestReconcileStopsWhenAJobCannotBeRead(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	journalRun(t, st, "r1", []state.Action{
		{Object: "Contact", TargetID: "003A", Fields: map[string]string{fLead: "L0"}},
		{Object: "Contact", TargetID: "003B", Fields: map[string]string{fLead: "L1"}},
		{Object: "Contact", TargetID: "003C", Fields: map[string]string{fLead: "L2"}},
	}, []string{state.Sent, state.Sent, state.Planned}, []string{"", "750J1", ""})
	r := &fakeReader{t: t, jobErr: fmt.Errorf("ingest job 750J1: %w", sfbulk.ErrUnavailable)}
	_, err = Reconcile(ctx, r, st, ReconcileOptions{ExtField: "Sales_Navigator_Lead_Id__c"})
	if !errors.Is(err, sfbulk.ErrUnavailable) {
		t.Fatalf("Reconcile error = %v, want one matching ErrUnavailable", err)
	}
	if !slices.Equal(r.log, []string{"job 750J1"}) {
		t.Errorf("reader calls %q, want only the job", r.log)
	}
	if got := journalStates(t, st, "r1"); !slices.Equal(got, []string{state.Sent, state.Sent, state.Planned}) {
		t.Errorf("journal %v: nothing may change", got)
	}
	if open, _ := st.IncompleteRuns(ctx); len(open) != 1 {
		t.Errorf("the run must stay open for the next try: %v", open)
	}
}

// TestApplyThenReconcile: what an apply cut short leaves in the journal
// (unknown and not_sent actions) is what the next run's reconciliation
// settles.
func TestApplyThenReconcile(t *testing.T) {
	ctx := context.Background()
	const runID = "run-cut"
	actions := applyPlan(concat(specs(250, "Contact", "001A", "001B"), specs(5, "Lead"))...)
	st := newApplyStore(t, runID, actions)
	f := newFakeWriter(t, st, runID, &applyLog{}, actions)
	f.call[1] = callFails(sfbulk.MaybeSent, &sfbulk.RequestError{Method: "PATCH", Path: "/composite/sobjects", Sent: sfbulk.MaybeSent, Err: io.ErrUnexpectedEOF})
	res, err := Apply(ctx, f, st, actions, ApplyOptions{RunID: runID, LockBackoff: time.Millisecond})
	if !errors.Is(err, sfbulk.ErrUnavailable) {
		t.Fatalf("Apply error = %v", err)
	}
	if res.ByStatus[StatusDone] != 200 || res.ByStatus[StatusUnknown] != 50 || res.ByStatus[StatusNotSent] != 5 {
		t.Fatalf("ByStatus = %v", res.ByStatus)
	}
	if err := st.EndRun(ctx, state.Run{ID: runID, Status: state.StatusIncomplete, Planned: 255, Writes: 200}); err != nil {
		t.Fatal(err)
	}
	// The lost call was applied to some of its records only.
	recs := map[string]sfbulk.Record{}
	unknown := map[string]bool{}
	for i, a := range actions {
		if res.Outcomes[i].Status == StatusUnknown {
			unknown[a.TargetID] = true
			if a.Seq%3 == 0 {
				recs[a.TargetID] = sfbulk.Record{"Id": a.TargetID, fLead: a.LeadID}
			}
		}
	}
	r := &fakeReader{t: t, records: map[string]map[string]sfbulk.Record{"Contact": recs}}
	got, err := Reconcile(ctx, r, st, ReconcileOptions{ExtField: "Sales_Navigator_Lead_Id__c"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != len(recs) || got.NotApplied != 50-len(recs) || got.Superseded != 5 || len(recs) == 0 {
		t.Errorf("Reconcile = %+v, want %d done, %d not applied, 5 superseded", got, len(recs), 50-len(recs))
	}
	for _, q := range r.log {
		for _, id := range strings.Split(strings.TrimPrefix(q, "query Contact "), ",") {
			if !unknown[id] {
				t.Errorf("read back %s, which was not unknown", id)
			}
		}
	}
	counts, err := st.Counts(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{state.Done: 200 + len(recs), state.NotApplied: 50 - len(recs), state.Superseded: 5}; !maps.Equal(counts, want) {
		t.Errorf("journal counts %v, want %v", counts, want)
	}
	if run, _ := st.Run(ctx, runID); run.Status != state.StatusInterrupted || run.Writes != 200+len(recs) {
		t.Errorf("run after reconcile: %+v", run)
	}
}
