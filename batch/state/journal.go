package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Action kinds.
const (
	KindWriteback         = "writeback"           // update configured fields on a matched Contact or Lead
	KindCreateContact     = "create_contact"      // create a Contact on behalf of a user
	KindCreateContactRole = "create_contact_role" // add an OpportunityContactRole for a created Contact
)

var kinds = []string{KindWriteback, KindCreateContact, KindCreateContactRole}

// Action states. An action moves only along these transitions; anything
// else is refused with a *TransitionError:
//
//	planned     -> sent        MarkSent, just before the call that carries it
//	planned     -> skipped     AddActions (State skipped), or Record: decided without a call
//	planned     -> superseded  Record: the run ended before sending it, and a later run plans afresh
//	sent        -> done        Record: Salesforce applied it
//	sent        -> failed      Record: Salesforce refused it (ErrorCode, ErrorMessage)
//	sent        -> unknown     Record, or MarkUnknown after a crash: the call may have reached Salesforce without an answer
//	sent        -> not_applied Record: the call certainly did not reach Salesforce
//	unknown     -> done | failed | not_applied   Record, after reconciliation (re-reading the records or the ingest job's results)
//	failed      -> sent        MarkSent: a retry (e.g. UNABLE_TO_LOCK_ROW); Salesforce applied nothing of a failed record
//	not_applied -> sent        MarkSent: sent again
//	not_applied -> superseded  Record: as planned -> superseded
//
// A sent action's Bulk ingest job id may change while it stays sent
// (MoveToJob): one call can take several ingest jobs (records split by
// size, or sent again after the job before ended without applying them),
// and the job to wait for after a crash is the last one that carried it.
//
// done, skipped and superseded are final. superseded is the decision for an
// action a run will never send itself: a later run, planning from a fresh
// snapshot of the org, plans that write again if it is still needed (and not
// if the org has changed meanwhile), so the old action must not be sent as
// well. A sent or unknown action is never superseded nor sent again (not
// even sent -> sent for a retry: Record the failure first): its call may
// have written, so its outcome is established first (Record, after
// reconciliation). That is what makes a rerun neither write twice nor lose
// an action.
const (
	Planned    = "planned"
	Sent       = "sent"
	Done       = "done"
	Failed     = "failed"
	Unknown    = "unknown"
	NotApplied = "not_applied"
	Skipped    = "skipped"
	Superseded = "superseded"
)

// transitions is the state machine above: from -> the states it may go to.
var transitions = map[string][]string{
	Planned:    {Sent, Skipped, Superseded},
	Sent:       {Done, Failed, Unknown, NotApplied},
	Unknown:    {Done, Failed, NotApplied},
	Failed:     {Sent},
	NotApplied: {Sent, Superseded},
	Done:       nil,
	Skipped:    nil,
	Superseded: nil,
}

// ValidTransition reports whether an action may go from state from to state
// to.
func ValidTransition(from, to string) bool { return slices.Contains(transitions[from], to) }

// fromStates are the states that may go to state to.
func fromStates(to string) []string {
	var from []string
	for _, f := range []string{Planned, Sent, Unknown, Failed, NotApplied} {
		if ValidTransition(f, to) {
			from = append(from, f)
		}
	}
	return from
}

// outcomeStates are the states Record writes.
var outcomeStates = []string{Done, Failed, Unknown, NotApplied, Skipped, Superseded}

// recordFrom[to] are the states Record may move to state to, padded to two
// for one prepared statement (state IN (?, ?)).
var recordFrom = func() map[string][2]string {
	m := map[string][2]string{}
	for _, to := range outcomeStates {
		f := fromStates(to)
		if len(f) == 0 || len(f) > 2 {
			panic("state: Record cannot express the transitions to " + to)
		}
		m[to] = [2]string{f[0], f[len(f)-1]}
	}
	return m
}()

// ErrIllegalTransition is wrapped by *TransitionError.
var ErrIllegalTransition = errors.New("illegal action state transition")

// ErrNoAction is wrapped by the errors of methods given a (run, seq) the
// journal does not have.
var ErrNoAction = errors.New("no such action")

// TransitionError is a refused state change of one action. Nothing of the
// transaction it was part of has been written.
type TransitionError struct {
	RunID    string
	Seq      int
	From, To string
}

func (e *TransitionError) Error() string {
	msg := fmt.Sprintf("state: action %d of run %s: %v: %s -> %s", e.Seq, e.RunID, ErrIllegalTransition, e.From, e.To)
	switch {
	case e.From == Planned && (e.To == Done || e.To == Failed || e.To == Unknown || e.To == NotApplied):
		msg += " (it was never marked sent: MarkSent before the call)"
	case e.From == Sent && e.To == Sent:
		msg += " (its last call's outcome is not journalled: Record it, e.g. failed, before sending it again)"
	case (e.From == Sent || e.From == Unknown) && e.To == Superseded, e.From == Unknown && e.To == Sent:
		msg += " (its last call may have reached Salesforce: reconcile it and Record the outcome first)"
	case e.From == Done || e.From == Skipped || e.From == Superseded:
		msg += " (" + e.From + " is final)"
	}
	return msg
}

func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// Action is one row of the action journal: one write the plan intends, and
// how far it got.
type Action struct {
	RunID        string
	Seq          int               // 0..n-1 within the run, the plan's order
	LeadID       string            // the Sales Navigator lead it is for
	Kind         string            // Kind* constants
	Object       string            // target sObject, e.g. "Contact"
	TargetID     string            // record id ("" for a create until done)
	OnBehalfOf   string            // user id for creates, "" for the integration user
	Fields       map[string]string // values to send; an empty map reads back as nil
	State        string            // State* constants
	Reason       string            // why skipped (or redirected, superseded)
	ErrorCode    string            // Salesforce's status code of a failure
	ErrorMessage string
	JobID        string // Bulk ingest job id when sent through an ingest job
	Attempts     int    // how many times it was marked sent
	AttemptedAt  time.Time
	UpdatedAt    time.Time
}

// AddActions journals a run's planned actions, all in one transaction: each
// in state planned, or skipped when its State says so (an action decided
// without a call, with its Reason). The run must have begun (BeginRun). Each
// action's RunID is runID (an empty RunID is taken as runID). A (run, seq)
// already in the journal is an error, and then nothing is added.
func (s *Store) AddActions(ctx context.Context, runID string, as []Action) error {
	for i := range as {
		a := &as[i]
		if a.RunID != "" && a.RunID != runID {
			return fmt.Errorf("state: AddActions %s: action %d belongs to run %q", runID, a.Seq, a.RunID)
		}
		if a.State != "" && a.State != Planned && a.State != Skipped {
			return fmt.Errorf("state: AddActions %s: action %d: a new action is planned or skipped, not %q", runID, a.Seq, a.State)
		}
		if !slices.Contains(kinds, a.Kind) {
			return fmt.Errorf("state: AddActions %s: action %d: unknown kind %q (want one of %s)", runID, a.Seq, a.Kind, strings.Join(kinds, ", "))
		}
		if a.Seq < 0 || a.Seq > maxSeq || a.LeadID == "" || a.Object == "" {
			return fmt.Errorf("state: AddActions %s: action %d: needs a seq in [0, %d], a lead id and an object", runID, a.Seq, maxSeq)
		}
	}
	now := micros(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO actions (id, lead_id, kind, object, target_id, on_behalf_of,
			fields, state, reason, error_code, error_message, job_id, attempted_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		var buf []byte
		for i := range as {
			a := &as[i]
			state := a.State
			if state == "" {
				state = Planned
			}
			buf = appendFields(buf[:0], a.Fields)
			_, err := st.ExecContext(ctx, actionKey(run, a.Seq), a.LeadID, a.Kind, a.Object, a.TargetID, a.OnBehalfOf,
				string(buf), state, a.Reason, a.ErrorCode, a.ErrorMessage, a.JobID, micros(a.AttemptedAt), now)
			if isConstraint(err) {
				return fmt.Errorf("action %d is already in the journal", a.Seq)
			}
			if err != nil {
				return fmt.Errorf("action %d: %w", a.Seq, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: AddActions %s: %w", runID, err)
	}
	return nil
}

// appendFields appends fields as a JSON object with sorted keys.
func appendFields(buf []byte, fields map[string]string) []byte {
	if len(fields) == 0 {
		return append(buf, "{}"...)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, fields[k])
	}
	return append(buf, '}')
}

// appendJSONString appends s as a JSON string. Go's json.Marshal of a string
// never fails.
func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(buf, b...)
}

// maxSeq is the largest action seq: the key of an action is run << 32 | seq.
const maxSeq = 1<<32 - 1

// actionKey is the key (actions.id) of action seq of run number run.
func actionKey(run int64, seq int) int64 { return run<<32 | int64(seq) }

// runNo is the number of run runID, the high half of its actions' keys.
func runNo(ctx context.Context, tx *sql.Tx, runID string) (int64, error) {
	var no int64
	err := tx.QueryRowContext(ctx, `SELECT no FROM runs WHERE id = ?`, runID).Scan(&no)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("run %q: %w (BeginRun first)", runID, ErrNoRun)
	}
	return no, err
}

// MarkSent journals that the actions seqs of run runID are about to go out
// in one call (as part of Bulk ingest job jobID when not empty) at time at
// (zero: now), in one transaction: call it, and let it return, BEFORE the
// call is made. Each action must be planned, failed (a retry) or
// not_applied; it becomes sent with one more attempt and its error cleared.
// On any refused action nothing is written.
func (s *Store) MarkSent(ctx context.Context, runID string, seqs []int, jobID string, at time.Time) error {
	if err := noDuplicates(seqs, func(i int) int { return seqs[i] }); err != nil {
		return fmt.Errorf("state: MarkSent %s: %w", runID, err)
	}
	if at.IsZero() {
		at = s.now()
	}
	now := micros(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		return updateActions(ctx, tx, `UPDATE actions SET state = 'sent', job_id = ?, attempted_at = ?, updated_at = ?,
			attempts = attempts + 1, error_code = '', error_message = ''
			WHERE id = ? AND state IN ('planned', 'failed', 'not_applied')`, []any{jobID, micros(at), now}, run, runID, seqs, Sent)
	})
	return wrapJournalErr("MarkSent", runID, err)
}

// MoveToJob journals that the actions seqs of run runID, sent in one call,
// now travel in Bulk ingest job jobID, a later job of that call (records
// split off by size, or sent again after the job before it ended without
// applying them), in one transaction: call it, and let it return, before
// that job's upload. Each action must be sent; it stays sent, its attempts
// and attempt time unchanged. Every earlier job of the call that carried
// an action has ended or was never closed, so jobID is the only one that
// can still apply it: the one reconciliation waits for after a crash. On
// any refused action nothing is written.
func (s *Store) MoveToJob(ctx context.Context, runID string, seqs []int, jobID string) error {
	if err := noDuplicates(seqs, func(i int) int { return seqs[i] }); err != nil {
		return fmt.Errorf("state: MoveToJob %s: %w", runID, err)
	}
	if jobID == "" {
		return fmt.Errorf("state: MoveToJob %s: no job id", runID)
	}
	now := micros(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		err = updateActions(ctx, tx, `UPDATE actions SET job_id = ?, updated_at = ? WHERE id = ? AND state = 'sent'`,
			[]any{jobID, now}, run, runID, seqs, Sent)
		var te *TransitionError
		if errors.As(err, &te) {
			return fmt.Errorf("action %d is %s, not sent (only a sent action moves to another job): %w", te.Seq, te.From, ErrIllegalTransition)
		}
		return err
	})
	return wrapJournalErr("MoveToJob", runID, err)
}

// Outcome is what became of one action.
type Outcome struct {
	Seq          int
	State        string // done, failed, unknown, not_applied; skipped or superseded for an action never sent
	TargetID     string // the created record's id; "" keeps the journalled one
	ErrorCode    string
	ErrorMessage string
	Reason       string // "" keeps the journalled one
}

// Record journals the outcomes of actions of run runID, in one transaction,
// after the call (or after reconciling an unknown action). On any refused
// transition nothing is written. It writes even when ctx is already
// cancelled: the call has happened, and an outcome not journalled is an
// action to reconcile later. Only ctx's values are used.
func (s *Store) Record(ctx context.Context, runID string, outs []Outcome) error {
	if err := noDuplicates(outs, func(i int) int { return outs[i].Seq }); err != nil {
		return fmt.Errorf("state: Record %s: %w", runID, err)
	}
	for _, o := range outs {
		if _, ok := recordFrom[o.State]; !ok {
			return fmt.Errorf("state: Record %s: action %d: %q is not an outcome (want one of %s)", runID, o.Seq, o.State, strings.Join(outcomeStates, ", "))
		}
	}
	ctx = context.WithoutCancel(ctx)
	now := micros(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `UPDATE actions SET state = ?1,
			target_id = CASE WHEN ?2 = '' THEN target_id ELSE ?2 END,
			reason = CASE WHEN ?3 = '' THEN reason ELSE ?3 END,
			error_code = ?4, error_message = ?5, updated_at = ?6
			WHERE id = ?7 AND state IN (?8, ?9)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, o := range outs {
			if o.Seq < 0 || o.Seq > maxSeq {
				return fmt.Errorf("action %d: %w", o.Seq, ErrNoAction)
			}
			from := recordFrom[o.State]
			res, err := st.ExecContext(ctx, o.State, o.TargetID, o.Reason, o.ErrorCode, o.ErrorMessage, now,
				actionKey(run, o.Seq), from[0], from[1])
			if err != nil {
				return fmt.Errorf("action %d: %w", o.Seq, err)
			}
			if err := checkUpdated(ctx, tx, res, run, runID, o.Seq, o.State); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapJournalErr("Record", runID, err)
}

// MarkUnknown journals that every action of run runID still in state sent
// has an unknown outcome, and returns how many there were: the process that
// sent them died before it could record the answer. Call it only for a run
// no live process works on: one found by IncompleteRuns while holding the
// Lock.
func (s *Store) MarkUnknown(ctx context.Context, runID string) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE actions SET state = 'unknown', updated_at = ?
			WHERE id BETWEEN ? AND ? AND state = 'sent'`, micros(s.now()), actionKey(run, 0), actionKey(run, maxSeq))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("state: MarkUnknown %s: %w", runID, err)
	}
	return int(n), nil
}

// PruneActions deletes the journals of runs that ended before endedBefore,
// with their settled contact reservations, and returns how many actions it
// deleted. The runs stay in the history (one small row each, the brake reads
// them); a run still running or incomplete, or holding a contact
// reservation, keeps its journal whatever its age, since it may hold actions
// to reconcile. The journal is about 260 bytes an action, so a store that
// journals large plans every night should prune, e.g. to the reports'
// retention: actions.parquet keeps each run's actions for good.
func (s *Store) PruneActions(ctx context.Context, endedBefore time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT no FROM runs WHERE ended < ? AND status NOT IN (?, ?)
			AND NOT EXISTS (SELECT 1 FROM contact_reservations WHERE run = no AND state = 'held')`,
			micros(endedBefore), StatusRunning, StatusIncomplete)
		if err != nil {
			return err
		}
		var runs []int64
		for rows.Next() {
			var no int64
			if err := rows.Scan(&no); err != nil {
				rows.Close()
				return err
			}
			runs = append(runs, no)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, run := range runs {
			res, err := tx.ExecContext(ctx, `DELETE FROM actions WHERE id BETWEEN ? AND ?`, actionKey(run, 0), actionKey(run, maxSeq))
			if err != nil {
				return err
			}
			d, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += d
			if _, err := tx.ExecContext(ctx, `DELETE FROM contact_reservations WHERE run = ?`, run); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: PruneActions: %w", err)
	}
	return int(n), nil
}

// checkUpdated turns an update that matched no row into the reason: no such
// action, or a refused transition from its current state.
func checkUpdated(ctx context.Context, tx *sql.Tx, res sql.Result, run int64, runID string, seq int, to string) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	var from string
	err = tx.QueryRowContext(ctx, `SELECT state FROM actions WHERE id = ?`, actionKey(run, seq)).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("action %d: %w", seq, ErrNoAction)
	}
	if err != nil {
		return err
	}
	return &TransitionError{RunID: runID, Seq: seq, From: from, To: to}
}

// updateActions runs the one-row update q for each action of seqs of run
// (its arguments: args, then the action's key) and checks that each
// changed (checkUpdated, to state to); the first error stops it.
func updateActions(ctx context.Context, tx *sql.Tx, q string, args []any, run int64, runID string, seqs []int, to string) error {
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, seq := range seqs {
		if seq < 0 || seq > maxSeq {
			return fmt.Errorf("action %d: %w", seq, ErrNoAction)
		}
		res, err := st.ExecContext(ctx, append(args[:len(args):len(args)], actionKey(run, seq))...)
		if err != nil {
			return fmt.Errorf("action %d: %w", seq, err)
		}
		if err := checkUpdated(ctx, tx, res, run, runID, seq, to); err != nil {
			return err
		}
	}
	return nil
}

// wrapJournalErr prefixes err with the method and run, leaving a
// *TransitionError (which names both) as it is.
func wrapJournalErr(method, runID string, err error) error {
	var te *TransitionError
	if err == nil || errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("state: %s %s: %w", method, runID, err)
}

func noDuplicates[T any](xs []T, seq func(int) int) error {
	seen := make(map[int]struct{}, len(xs))
	for i := range xs {
		if _, dup := seen[seq(i)]; dup {
			return fmt.Errorf("action %d is listed twice", seq(i))
		}
		seen[seq(i)] = struct{}{}
	}
	return nil
}

const actionColumns = `seq, lead_id, kind, object, target_id, on_behalf_of, fields, state, reason,
	error_code, error_message, job_id, attempts, attempted_at, updated_at`

// runRange selects the actions of run runID by key, in seq order: the
// first parameter is the run id.
const runRange = `id BETWEEN ((SELECT no FROM runs WHERE id = ?1) << 32) AND ((SELECT no FROM runs WHERE id = ?1) << 32 | 4294967295)`

// Actions is run runID's journal in seq order (empty for a run the store
// does not have).
func (s *Store) Actions(ctx context.Context, runID string) ([]Action, error) {
	return s.queryActions(ctx, runID, `SELECT `+actionColumns+` FROM actions WHERE `+runRange+` ORDER BY id`, runID)
}

// ActionsInState are run runID's actions in any of states, in seq order.
func (s *Store) ActionsInState(ctx context.Context, runID string, states ...string) ([]Action, error) {
	if len(states) == 0 {
		return nil, fmt.Errorf("state: ActionsInState %s: no state given", runID)
	}
	args := []any{runID}
	for _, st := range states {
		if _, ok := transitions[st]; !ok {
			return nil, fmt.Errorf("state: ActionsInState %s: unknown state %q", runID, st)
		}
		args = append(args, st)
	}
	q := `SELECT ` + actionColumns + ` FROM actions WHERE ` + runRange + ` AND state IN (?` +
		strings.Repeat(", ?", len(states)-1) + `) ORDER BY id`
	return s.queryActions(ctx, runID, q, args...)
}

// queryActions reads the actions of run runID the query selects.
func (s *Store) queryActions(ctx context.Context, runID, query string, args ...any) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("state: reading actions: %w", err)
	}
	defer rows.Close()
	var as []Action
	var fields []byte
	for rows.Next() {
		a := Action{RunID: runID}
		var attempted, updated sql.NullInt64
		if err := rows.Scan(&a.Seq, &a.LeadID, &a.Kind, &a.Object, &a.TargetID, &a.OnBehalfOf, &fields,
			&a.State, &a.Reason, &a.ErrorCode, &a.ErrorMessage, &a.JobID, &a.Attempts, &attempted, &updated); err != nil {
			return nil, fmt.Errorf("state: reading actions: %w", err)
		}
		if len(fields) > 2 { // not "{}"
			if err := json.Unmarshal(fields, &a.Fields); err != nil {
				return nil, fmt.Errorf("state: action %d of run %s: fields: %w", a.Seq, a.RunID, err)
			}
		}
		a.AttemptedAt, a.UpdatedAt = fromMicros(attempted), fromMicros(updated)
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: reading actions: %w", err)
	}
	return as, nil
}

// Counts is the number of run runID's actions in each state (states with no
// action are absent).
func (s *Store) Counts(ctx context.Context, runID string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM actions WHERE `+runRange+` GROUP BY state`, runID)
	if err != nil {
		return nil, fmt.Errorf("state: Counts %s: %w", runID, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("state: Counts %s: %w", runID, err)
		}
		counts[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: Counts %s: %w", runID, err)
	}
	return counts, nil
}
