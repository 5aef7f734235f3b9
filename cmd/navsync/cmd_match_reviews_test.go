package main

import (
	"context"
	"encoding/csv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/internal/htmltest"
	"github.com/navsync/navsync/matcher"
)

// byLead is matches.parquet's rows by lead id.
func byLead(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	_, rows := parquetRows(t, filepath.Join(out, "matches.parquet"))
	m := map[string]map[string]any{}
	for _, r := range rows {
		m[r["lead_id"].(string)] = r
	}
	return m
}

// navsync match --reviews F: on a generated world, a different_people pair
// the matcher matched is no longer proposed, a same_person pair it left
// possible is matched with reason reviewed, the lines that cannot apply are
// reported with file and line and the rest applies; the page shows what
// review settled. A file that is not a reviews file stops the run with
// exit 5 before any report is written.
func TestMatchReviews(t *testing.T) {
	dir, _ := writeWorld(t, 3, 1000)
	crm, leads := filepath.Join(dir, "crm"), filepath.Join(dir, "salesnav", "leads.csv")
	out := filepath.Join(dir, "reports")
	match := func(extra ...string) (int, string, string) {
		return navsyncIn(context.Background(), append([]string{"match", "--crm", crm, "--leads", leads, "--out", out}, extra...)...)
	}
	if code, stdout, stderr := match("--run-id", "plain"); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	before := byLead(t, out)
	opts := matcher.DefaultOptions()
	var rejected, accepted [2]string
	for _, id := range slices.Sorted(maps.Keys(before)) {
		r := before[id]
		switch {
		case r["decision"] == "match" && rejected[0] == "":
			rejected = [2]string{id, r["crm_id"].(string)}
		case r["decision"] == "possible" && r["probability"].(float64) >= opts.ReviewThreshold && accepted[0] == "":
			accepted = [2]string{id, r["crm_id"].(string)}
		}
	}
	if rejected[0] == "" || accepted[0] == "" {
		t.Fatalf("no match (%v) or no possible pair (%v) to review", rejected, accepted)
	}

	reviews := filepath.Join(dir, "reviews.csv")
	var buf strings.Builder
	cw := csv.NewWriter(&buf)
	cw.WriteAll([][]string{{"lead_id", "crm_id", "verdict", "reviewer", "reviewed_at"},
		{rejected[0], rejected[1], "different_people", "ann", "2026-12-03T09:00:00Z"},
		{accepted[0], accepted[1], "same_person", "ann", "2026-12-03T09:00:00Z"},
		{accepted[0], accepted[1], "maybe", "ann", ""},
		{"nobody", accepted[1], "same_person", "ann", ""}})
	os.WriteFile(reviews, []byte(buf.String()), 0o644)
	code, stdout, stderr := match("--run-id", "reviewed", "--reviews", reviews, "--reviews", reviews)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"reviews   4 verdicts read from 1 file(s), 2 pairs with a verdict; settled 2 pairs: 1 same person (reason reviewed), 1 different people",
		"not applied: " + displayPath(reviews) + ` line 4: verdict "maybe": want same_person or different_people`,
		"not applied: " + displayPath(reviews) + ` line 5: no lead "nobody" in this run's Sales Navigator exports`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	after := byLead(t, out)
	if r := after[rejected[0]]; r["crm_id"] == rejected[1] || r["runner_up_id"] == rejected[1] {
		t.Errorf("rejected %v proposed again: %v %v, runner-up %v", rejected, r["decision"], r["crm_id"], r["runner_up_id"])
	}
	if r := after[accepted[0]]; r["decision"] != "match" || r["crm_id"] != accepted[1] || r["reason"] != batch.ReasonReviewed {
		t.Errorf("accepted %v: %v %v (%v)", accepted, r["decision"], r["crm_id"], r["reason"])
	}
	if r := after[rejected[0]]; r["run_id"] != "reviewed" {
		t.Errorf("matches.parquet of run %v", r["run_id"])
	}
	for _, r := range htmltest.QueueRows(t, filepath.Join(out, batch.PageFile)) {
		if r == rejected || r == accepted {
			t.Errorf("the page proposes %v again", r)
		}
	}
	if s := htmltest.Section(t, filepath.Join(out, batch.PageFile), "settled"); !strings.Contains(s, "Settled by review in this run: 2 pairs: 1 the same person") {
		t.Errorf("page: %q", s)
	}
	if s := htmltest.Section(t, filepath.Join(out, batch.PageFile), "reviews-files"); !strings.Contains(s, "4 verdicts read, 2 pairs with a verdict") || strings.Contains(s, "state store") {
		t.Errorf("page: %q", s)
	}
	if s := htmltest.Section(t, filepath.Join(out, batch.PageFile), "verdict-problems-table"); !strings.Contains(s, `no lead "nobody"`) {
		t.Errorf("page: verdict problems %q", s)
	}

	// Not a reviews file, or none at all: exit 5 naming the file, and the
	// reports at --out are still the last run's.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("lead,crm\nx,y\n"), 0o644)
	for _, tc := range []struct{ file, msg string }{
		{bad, `--reviews: reviews file ` + bad + `: not a reviews file: missing column "lead_id"`},
		{bad + ".nope", "--reviews " + bad + ".nope: file not found"},
	} {
		code, _, stderr = match("--run-id", "bad", "--reviews", reviews, "--reviews", tc.file)
		if code != exitBadInput || !strings.Contains(errorLine(stderr), tc.msg) {
			t.Errorf("--reviews %s: exit %d, %q; want %d, %q", filepath.Base(tc.file), code, errorLine(stderr), exitBadInput, tc.msg)
		}
		if ids := reportRunIDs(t, out); ids["matches.parquet"] != "reviewed" || ids["accounts.parquet"] != "reviewed" {
			t.Errorf("--reviews %s: reports of %v at --out", filepath.Base(tc.file), ids)
		}
		fresh := filepath.Join(dir, "fresh")
		code, _, _ = navsyncIn(context.Background(), "match", "--crm", crm, "--leads", leads, "--out", fresh, "--reviews", tc.file)
		if _, err := os.Stat(fresh); code != exitBadInput || err == nil {
			t.Errorf("--reviews %s into a new --out: exit %d, the folder: %v", filepath.Base(tc.file), code, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".fresh") {
			t.Errorf("left %s beside --out", e.Name())
		}
	}
}
