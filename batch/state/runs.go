package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Run statuses.
const (
	StatusRunning     = "running"     // begun and not ended: in progress, or killed
	StatusSucceeded   = "succeeded"   // finished; failed actions may still be in its journal
	StatusFailed      = "failed"      // stopped by an error
	StatusInterrupted = "interrupted" // stopped by SIGINT/SIGTERM, resumable
	StatusBraked      = "braked"      // stopped by the safety brake before any write
	// StatusIncomplete: ended, but with actions left open (sent without an
	// answer, unknown, or never sent) for the next run to reconcile.
	StatusIncomplete = "incomplete"
)

// ErrNoRun is wrapped by the errors of methods given a run id the store does
// not have.
var ErrNoRun = errors.New("no such run")

// Run is one run of navsync (a dry run or a real one) in the run history.
type Run struct {
	ID              string
	Started, Ended  time.Time // Ended zero while running
	DryRun          bool
	Status          string // Status* constants
	Planned, Writes int    // actions planned; records written (done)
	Failed          int    // actions failed
	ConfigDigest    string
	ReportDir       string
	Error           string
}

// BeginRun records the start of run r with status running. r.Started
// defaults to now; r.Status, r.Ended and the counts are ignored. A run id
// already in the store is an error.
func (s *Store) BeginRun(ctx context.Context, r Run) error {
	if r.ID == "" {
		return errors.New("state: BeginRun: empty run id")
	}
	if r.Started.IsZero() {
		r.Started = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO runs (id, started, dry_run, status, config_digest, report_dir)
		VALUES (?, ?, ?, ?, ?, ?)`, r.ID, micros(r.Started), r.DryRun, StatusRunning, r.ConfigDigest, r.ReportDir)
	if isConstraint(err) {
		return fmt.Errorf("state: BeginRun: run %q is already in the store", r.ID)
	}
	if err != nil {
		return fmt.Errorf("state: BeginRun %s: %w", r.ID, err)
	}
	return nil
}

// EndRun records the end of run r.ID: Ended (default now), Status (one of
// succeeded, failed, interrupted, braked, incomplete), Planned, Writes, Failed,
// ReportDir and Error. It may be called again on an ended run, e.g. when a
// later run has reconciled an interrupted run's actions and updates its
// counts. It writes even when ctx is already cancelled (a run stopped by a
// signal must still be recorded as interrupted): only ctx's values are used.
func (s *Store) EndRun(ctx context.Context, r Run) error {
	switch r.Status {
	case StatusSucceeded, StatusFailed, StatusInterrupted, StatusBraked, StatusIncomplete:
	default:
		return fmt.Errorf("state: EndRun %s: status %q is not a final run status (succeeded, failed, interrupted, braked, incomplete)", r.ID, r.Status)
	}
	if r.Ended.IsZero() {
		r.Ended = s.now()
	}
	res, err := s.exec(context.WithoutCancel(ctx), `UPDATE runs SET ended = ?, status = ?, planned = ?, writes = ?, failed = ?,
		report_dir = ?, error = ? WHERE id = ?`,
		micros(r.Ended), r.Status, r.Planned, r.Writes, r.Failed, r.ReportDir, r.Error, r.ID)
	if err != nil {
		return fmt.Errorf("state: EndRun %s: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("state: EndRun %s: %w", r.ID, err)
	} else if n == 0 {
		return fmt.Errorf("state: EndRun: run %q: %w (BeginRun first)", r.ID, ErrNoRun)
	}
	return nil
}

const runColumns = `id, started, ended, dry_run, status, planned, writes, failed, config_digest, report_dir, error`

// LastRun is the most recently started run with that status and dry-run
// flag, or nil, nil when there is none. The safety brake compares a plan with
// LastRun(ctx, StatusSucceeded, false).Writes.
func (s *Store) LastRun(ctx context.Context, status string, dryRun bool) (*Run, error) {
	runs, err := s.queryRuns(ctx, `SELECT `+runColumns+` FROM runs WHERE status = ? AND dry_run = ?
		ORDER BY started DESC, rowid DESC LIMIT 1`, status, dryRun)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return &runs[0], nil
}

// Run is the run with that id; the error wraps ErrNoRun when there is none.
func (s *Store) Run(ctx context.Context, id string) (*Run, error) {
	runs, err := s.queryRuns(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("state: run %q: %w", id, ErrNoRun)
	}
	return &runs[0], nil
}

// IncompleteRuns are the runs whose journals may hold actions to reconcile
// before anything is sent again, oldest first: those ended incomplete, and
// those still marked running. Called while holding the store's Lock and
// before BeginRun of the new run, a running one is a run whose process died
// (SIGKILL, power loss).
func (s *Store) IncompleteRuns(ctx context.Context) ([]Run, error) {
	return s.queryRuns(ctx, `SELECT `+runColumns+` FROM runs WHERE status IN (?, ?) ORDER BY started, rowid`,
		StatusRunning, StatusIncomplete)
}

// Runs is the run history, newest first, at most limit runs (all when
// limit <= 0).
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	return s.queryRuns(ctx, `SELECT `+runColumns+` FROM runs ORDER BY started DESC, rowid DESC LIMIT ?`, limit)
}

func (s *Store) queryRuns(ctx context.Context, query string, args ...any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("state: reading runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var started, ended sql.NullInt64
		if err := rows.Scan(&r.ID, &started, &ended, &r.DryRun, &r.Status, &r.Planned, &r.Writes, &r.Failed,
			&r.ConfigDigest, &r.ReportDir, &r.Error); err != nil {
			return nil, fmt.Errorf("state: reading runs: %w", err)
		}
		r.Started, r.Ended = fromMicros(started), fromMicros(ended)
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: reading runs: %w", err)
	}
	return runs, nil
}
