package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

// duckDB installs DuckDB for Node (testdata/duckdb/package.json, pinned by
// its lock file, with npm install) into the git-ignored .cache/ at the repository root, once,
// and returns a function that runs SQL statements and returns their rows.
// It skips the test when npm is missing or NAVSYNC_DUCKDB=off.
func duckDB(t *testing.T) func(sql ...string) [][]map[string]any {
	t.Helper()
	if os.Getenv("NAVSYNC_DUCKDB") == "off" {
		t.Skip("NAVSYNC_DUCKDB=off")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: install Node.js and npm to cross-check the reports with DuckDB")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	src := filepath.Join("testdata", "duckdb")
	files := []string{"package.json", "package-lock.json", "query.mjs"}
	h := sha256.New()
	contents := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		contents[f] = b
		h.Write(b)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(root, ".cache", "duckdb")
	dir := filepath.Join(base, hex.EncodeToString(h.Sum(nil)[:8]))
	if _, err := os.Stat(filepath.Join(dir, ".installed")); err != nil {
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(base, "tmp-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for f, b := range contents {
			if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("installing @duckdb/node-api with npm into %s (first run only)", dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("npm install failed (no network to the npm registry?): %v\n%s", err, out)
		}
		os.WriteFile(filepath.Join(tmp, ".installed"), nil, 0o644)
		if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
			if _, statErr := os.Stat(filepath.Join(dir, ".installed")); statErr != nil { // not a concurrent install
				t.Fatal(err)
			}
		}
	}
	return func(sql ...string) [][]map[string]any {
		t.Helper()
		cmd := exec.Command(node, append([]string{filepath.Join(dir, "query.mjs")}, sql...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("duckdb: %v\n%s", err, stderr.String())
		}
		var res [][]map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(line), &rows); err != nil {
				t.Fatalf("duckdb output %q: %v", line, err)
			}
			res = append(res, rows)
		}
		return res
	}
}

// TestDuckDBReadsReports reads the reports back with DuckDB: column types,
// values and nulls, list columns, ZSTD, and a timestamp in UTC.
func TestDuckDBReadsReports(t *testing.T) {
	query := duckDB(t)
	dir := t.TempDir()
	matches := filepath.Join(dir, MatchesFile)
	rows := []matcher.LeadResult{
		{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Contact", CRMID: "003A", Probability: 0.99, MatchWeight: 12.5,
			Fields: fields("exact", 3.5, matcher.LeadFields), BlockingKeys: []string{"email", "company+surname"}, JobChange: true,
			AccountID: "001A", AccountProbability: 0.9},
		{LeadID: "L2", Decision: matcher.DecisionNone, Reason: "no candidate"},
	}
	if err := WriteMatches(context.Background(), matches, "run-d", rows); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(dir, RejectsFile)
	if err := WriteRejects(context.Background(), rejects, "run-d", []input.Reject{{File: "a.csv", Line: 3, Reason: "invalid_utf8", Raw: "x,\uFFFD"}}); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(dir, "events.parquet")
	at := time.Date(2026, 11, 23, 6, 45, 1, 234567000, time.UTC)
	if err := WriteFile(context.Background(), events, eventColumns(), []event{{ID: "e1", At: at}, {ID: "e2"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	q := func(f string) string { return "'" + filepath.ToSlash(f) + "'" }
	res := query(
		"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+q(matches)+") WHERE column_name IN ('lead_id','probability','blocking_keys','job_change','email_level','email_weight')  ORDER BY 1",
		"SELECT lead_id, decision, crm_id, probability, blocking_keys, email_level, account_probability, reason FROM "+q(matches)+" ORDER BY lead_id",
		"SELECT DISTINCT compression FROM parquet_metadata("+q(matches)+")",
		"SELECT file, line, lead_id, reason, raw FROM "+q(rejects),
		`SELECT id, typeof("at") AS t, strftime(timezone('UTC', "at"), '%Y-%m-%d %H:%M:%S.%f') AS utc FROM `+q(events)+" ORDER BY id",
	)
	want := [][]map[string]any{
		{
			{"column_name": "blocking_keys", "column_type": "VARCHAR[]"},
			{"column_name": "email_level", "column_type": "VARCHAR"},
			{"column_name": "email_weight", "column_type": "DOUBLE"},
			{"column_name": "job_change", "column_type": "BOOLEAN"},
			{"column_name": "lead_id", "column_type": "VARCHAR"},
			{"column_name": "probability", "column_type": "DOUBLE"},
		},
		{
			{"lead_id": "L1", "decision": "match", "crm_id": "003A", "probability": 0.99, "blocking_keys": []any{"email", "company+surname"},
				"email_level": "exact", "account_probability": 0.9, "reason": nil},
			{"lead_id": "L2", "decision": "none", "crm_id": nil, "probability": nil, "blocking_keys": nil,
				"email_level": nil, "account_probability": nil, "reason": "no candidate"},
		},
		{{"compression": "ZSTD"}},
		{{"file": "a.csv", "line": "3", "lead_id": nil, "reason": "invalid_utf8", "raw": "x,\uFFFD"}},
		{
			{"id": "e1", "t": "TIMESTAMP WITH TIME ZONE", "utc": "2026-11-23 06:45:01.234567"},
			{"id": "e2", "t": "TIMESTAMP WITH TIME ZONE", "utc": nil},
		},
	}
	for i := range want {
		if i >= len(res) || !reflect.DeepEqual(res[i], want[i]) {
			got := "missing"
			if i < len(res) {
				got = fmt.Sprint(res[i])
			}
			t.Errorf("query %d:\n got %s\nwant %v", i, got, want[i])
		}
	}
}
