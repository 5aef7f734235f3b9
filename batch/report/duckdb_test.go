package report

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/internal/duckdbtest"
	"github.com/navsync/navsync/matcher"
)

// TestDuckDBReadsReports reads the reports back with DuckDB: column types,
// values and nulls, list columns, ZSTD, and a timestamp in UTC.
func TestDuckDBReadsReports(t *testing.T) {
	query := duckdbtest.Query(t)
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
	q := duckdbtest.Lit
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
