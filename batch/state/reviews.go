package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Review verdicts: what a person said about a lead and a CRM record.
const (
	// VerdictSame: the lead is this CRM person. A later run matches the
	// pair (reason reviewed) unless it no longer scores at the review
	// threshold.
	VerdictSame = "same_person"
	// VerdictDifferent: they are two people. The pair is never proposed
	// again.
	VerdictDifferent = "different_people"
)

// Review is one stored verdict on a pair (schema version 3). A pair has one
// verdict: the latest given.
type Review struct {
	LeadID, CRMID string
	Verdict       string // VerdictSame or VerdictDifferent
	Reviewer      string
	ReviewedAt    time.Time // zero when the file gave no time
	ImportedAt    time.Time // when the store first held this verdict
	RunID         string    // the run that imported it
	Source        string    // file:line it came from
}

// ImportReviews stores verdicts for run runID, idempotently, in one
// transaction: a pair not stored yet is added; a stored pair takes the new
// verdict when it says something else (verdict, reviewer or time) and is not
// older (a verdict without a time counts as newer than any); the same
// verdict imported again changes nothing, so a reviews file may be given to
// every run. Verdicts are taken in order, so of two on one pair in rs the
// later one wins unless it is older. It returns how many pairs were added or
// changed.
func (s *Store) ImportReviews(ctx context.Context, runID string, rs []Review) (changed int, err error) {
	for _, r := range rs {
		if r.LeadID == "" || r.CRMID == "" {
			return 0, fmt.Errorf("state: ImportReviews: empty lead or CRM id in %+v", r)
		}
		if r.Verdict != VerdictSame && r.Verdict != VerdictDifferent {
			return 0, fmt.Errorf("state: ImportReviews: verdict %q of %s/%s is neither %s nor %s", r.Verdict, r.LeadID, r.CRMID,
				VerdictSame, VerdictDifferent)
		}
	}
	now := s.now().UnixMicro()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		changed = 0
		put, err := tx.PrepareContext(ctx, `INSERT INTO reviews (lead_id, crm_id, verdict, reviewer, reviewed_at, imported_at, run_id, source)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
			ON CONFLICT (lead_id, crm_id) DO UPDATE SET verdict = ?3, reviewer = ?4, reviewed_at = ?5, imported_at = ?6, run_id = ?7, source = ?8
			WHERE (verdict != ?3 OR reviewer != ?4 OR reviewed_at IS NOT ?5)
			  AND NOT (?5 IS NOT NULL AND reviewed_at IS NOT NULL AND ?5 < reviewed_at)`)
		if err != nil {
			return err
		}
		defer put.Close()
		for _, r := range rs {
			res, err := put.ExecContext(ctx, r.LeadID, r.CRMID, r.Verdict, r.Reviewer, micros(r.ReviewedAt), now, runID, r.Source)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", r.LeadID, r.CRMID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			changed += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("state: ImportReviews: %w", err)
	}
	return changed, nil
}

// Reviews returns every stored verdict, by lead and CRM id.
func (s *Store) Reviews(ctx context.Context) ([]Review, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT lead_id, crm_id, verdict, reviewer, reviewed_at, imported_at, run_id, source
		FROM reviews ORDER BY lead_id, crm_id`)
	if err != nil {
		return nil, fmt.Errorf("state: Reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var reviewed, imported sql.NullInt64
		if err := rows.Scan(&r.LeadID, &r.CRMID, &r.Verdict, &r.Reviewer, &reviewed, &imported, &r.RunID, &r.Source); err != nil {
			return nil, fmt.Errorf("state: Reviews: %w", err)
		}
		r.ReviewedAt, r.ImportedAt = fromMicros(reviewed), fromMicros(imported)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: Reviews: %w", err)
	}
	return out, nil
}
