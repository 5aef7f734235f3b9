package state

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestImportReviewsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	at := t0.Add(-time.Hour)
	file := []Review{
		{LeadID: "L1", CRMID: "003A", Verdict: VerdictSame, Reviewer: "ann", ReviewedAt: at, Source: "reviews.csv:2"},
		{LeadID: "L2", CRMID: "003B", Verdict: VerdictDifferent, Reviewer: "ann", ReviewedAt: at, Source: "reviews.csv:3"},
		{LeadID: "L3", CRMID: "00QC", Verdict: VerdictDifferent, Source: "hand.csv:2"}, // no reviewer, no time
	}
	n, err := s.ImportReviews(ctx, "run1", file)
	if err != nil || n != 3 {
		t.Fatalf("first import: %d changed, %v; want 3", n, err)
	}
	first, err := s.Reviews(ctx)
	if err != nil || len(first) != 3 {
		t.Fatalf("Reviews: %+v, %v", first, err)
	}
	if r := first[0]; r.LeadID != "L1" || r.Verdict != VerdictSame || !r.ReviewedAt.Equal(at) || !r.ImportedAt.Equal(t0) ||
		r.RunID != "run1" || r.Source != "reviews.csv:2" {
		t.Errorf("stored %+v", r)
	}
	if !first[2].ReviewedAt.IsZero() {
		t.Errorf("a verdict without a time reads back with %v", first[2].ReviewedAt)
	}

	// The same file again, in a later run: nothing changes, not even the
	// import time or run.
	clock.add(24 * time.Hour)
	for range 2 {
		if n, err := s.ImportReviews(ctx, "run2", file); err != nil || n != 0 {
			t.Fatalf("re-import: %d changed, %v; want 0", n, err)
		}
	}
	if again, _ := s.Reviews(ctx); !reflect.DeepEqual(again, first) {
		t.Errorf("re-import changed the store:\n%+v\n%+v", again, first)
	}

	// A newer verdict on a pair replaces the old one; an older one does
	// not; within one call the later line wins.
	newer := at.Add(time.Minute)
	n, err = s.ImportReviews(ctx, "run3", []Review{
		{LeadID: "L1", CRMID: "003A", Verdict: VerdictDifferent, Reviewer: "bob", ReviewedAt: newer, Source: "b.csv:2"},
		{LeadID: "L2", CRMID: "003B", Verdict: VerdictSame, Reviewer: "bob", ReviewedAt: at.Add(-time.Minute), Source: "b.csv:3"},
		{LeadID: "L4", CRMID: "003D", Verdict: VerdictSame, Reviewer: "bob", ReviewedAt: newer, Source: "b.csv:4"},
		{LeadID: "L4", CRMID: "003D", Verdict: VerdictDifferent, Reviewer: "bob", ReviewedAt: newer.Add(time.Second), Source: "b.csv:5"},
		{LeadID: "L3", CRMID: "00QC", Verdict: VerdictSame, Source: "hand.csv:2"}, // no time: newer than none
	})
	if err != nil || n != 4 {
		t.Fatalf("third import: %d changed, %v; want 4 (L1, L4 twice, L3)", n, err)
	}
	got, _ := s.Reviews(ctx)
	verdicts := map[string]string{}
	for _, r := range got {
		verdicts[r.LeadID+"/"+r.CRMID] = r.Verdict + " " + r.Reviewer + " " + r.RunID
	}
	want := map[string]string{
		"L1/003A": VerdictDifferent + " bob run3",
		"L2/003B": VerdictDifferent + " ann run1", // the older verdict did not win
		"L3/00QC": VerdictSame + "  run3",
		"L4/003D": VerdictDifferent + " bob run3",
	}
	if !reflect.DeepEqual(verdicts, want) {
		t.Errorf("verdicts\n got %v\nwant %v", verdicts, want)
	}

	// Bad verdicts are refused whole.
	if _, err := s.ImportReviews(ctx, "run4", []Review{{LeadID: "L9", CRMID: "003Z", Verdict: VerdictSame},
		{LeadID: "L9", CRMID: "003Y", Verdict: "maybe"}}); err == nil {
		t.Fatal("a verdict of maybe was stored")
	}
	if got2, _ := s.Reviews(ctx); len(got2) != len(got) {
		t.Errorf("a refused import stored %d verdicts", len(got2)-len(got))
	}
}

// A store of schema version 2 (the quota ledger) is upgraded in place: its
// ledger kept, the reviews table added.
func TestUpgradeFromVersion2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA journal_mode=WAL", migrations[0], migrations[1], "PRAGMA user_version = 2",
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		`INSERT INTO api_calls (day, user_id, calls) VALUES ('2026-12-03', 'u1', 5)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, path)
	var version int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion || version < 3 {
		t.Fatalf("user_version after the upgrade = %d, %v; want %d", version, err, schemaVersion)
	}
	if n, err := s.APICalls(ctx, "u1", "2026-12-03"); err != nil || n != 5 {
		t.Errorf("the ledger after the upgrade: %d, %v", n, err)
	}
	if n, err := s.ImportReviews(ctx, "r", []Review{{LeadID: "L1", CRMID: "003A", Verdict: VerdictSame}}); err != nil || n != 1 {
		t.Fatalf("ImportReviews after the upgrade: %d, %v", n, err)
	}
}
