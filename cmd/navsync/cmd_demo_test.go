package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/sfbulk"
)

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"demo", "--out", out, "--size", "2000", "--seed", "7"}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	s := stdout.String()
	for _, f := range []string{"crm/Contact.csv", "salesnav/leads.csv", "truth/leads.csv", "reports/matches.parquet", "reports/accounts.parquet", "reports/rejects.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	_, rows := parquetRows(t, filepath.Join(out, "reports", "matches.parquet"))
	if len(rows) != 1000 { // fixtures: SN leads default to People/2
		t.Errorf("%d rows in matches.parquet, want 1000", len(rows))
	}
	for _, want := range []string{"navsync match — run", "quality against the world's truth (1,000 leads", "per scenario", "not_in_org",
		"duckdb -c \"SELECT decision, count(*) FROM '" + filepath.ToSlash(filepath.Join(out, "reports", "matches.parquet")) + "' GROUP BY 1\"",
		"signed in as the admin integration user through the OAuth refresh-token flow",
		"extract   " + filepath.Join(out, "crm") + " — Bulk API 2.0 query jobs", "Bulk jobs", "faults: none"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	// The figures must come from a working join of results and truth: a
	// broken one gives 0% or n/a.
	for _, metric := range []string{"match precision", "match recall", "match+possible recall", "account accuracy"} {
		m := regexp.MustCompile(regexp.QuoteMeta(metric) + `\s+([0-9.]+)%`).FindStringSubmatch(s)
		if m == nil {
			t.Errorf("no %s in the output", metric)
			continue
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 80 {
			t.Errorf("%s = %s%%, below 80%% on a generated world", metric, m[1])
		}
	}

	// The org snapshot came out of the simulator through extract: every
	// object's rows are the world's (open opportunities only; User has the
	// simulator's integration user too), in the extract's columns, which
	// differ from the columns fixtures writes.
	w, err := fixtures.Generate(fixtures.Options{Seed: 7, People: 2000})
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, o := range w.Opportunities {
		if !o.IsClosed {
			open++
		}
	}
	want := map[string]int{"Contact": len(w.Contacts), "Lead": len(w.Leads), "Account": len(w.Accounts), "Opportunity": open, "User": len(w.Users) + 1}
	for _, o := range snapshot.Objects(nil) {
		header, n := csvShape(t, filepath.Join(out, "crm", o.File()))
		if n != want[o.Name] {
			t.Errorf("crm/%s has %d rows, the world %d", o.File(), n, want[o.Name])
		}
		if !slices.Equal(header, o.Fields) {
			t.Errorf("crm/%s header %q, want the extract's fields %q", o.File(), header, o.Fields)
		}
		line := regexp.MustCompile(`(?m)^\s+` + o.Name + `\s+([0-9,]+)\s+1\s`).FindStringSubmatch(s)
		if line == nil || line[1] != num(int64(want[o.Name])) {
			t.Errorf("no extract line for %s with %d rows in 1 Bulk job: %q", o.Name, want[o.Name], line)
		}
	}
	if m := regexp.MustCompile(`(?m)^API calls ([0-9,]+) sent`).FindStringSubmatch(s); m == nil || m[1] == "0" {
		t.Errorf("no API call count in the output: %q", m)
	}
	// Nothing temporary left behind.
	for _, d := range []string{out, filepath.Join(out, "crm")} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s left in %s", e.Name(), d)
			}
		}
	}
	if strings.Contains(stderr.String(), "access_token") || strings.Contains(stderr.String(), "refresh_token") {
		t.Error("the logs mention tokens")
	}
}

// TestDemoFaults runs the demo against an org that injects faults: the
// client rides through them and extracts the same snapshot.
func TestDemoFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("two demo runs")
	}
	dir := t.TempDir()
	run := func(name string, extra ...string) string {
		var stdout, stderr bytes.Buffer
		args := append([]string{"demo", "--out", filepath.Join(dir, name), "--size", "1000", "--seed", "3"}, extra...)
		if err := Run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("demo %v: %v\n%s", extra, err, stderr.String())
		}
		return stdout.String()
	}
	run("clean")
	s := run("faulty", "--faults", "unavailable=0.1,drop=0.05,bulk-fail=0.3,session-expiry=200ms,seed=5")
	for _, want := range []string{"(faults: unavailable=0.1", "faults    injected by the org and ridden through: ", "quality against the world's truth"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	for _, o := range snapshot.Objects(nil) {
		a, errA := os.ReadFile(filepath.Join(dir, "clean", "crm", o.File()))
		b, errB := os.ReadFile(filepath.Join(dir, "faulty", "crm", o.File()))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("crm/%s differs when the org injects faults", o.File())
		}
	}
	if err := Run(context.Background(), []string{"demo", "--faults", "nonsense"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("a bad --faults spec was accepted")
	} else if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("bad --faults: exit %d, want %d", code, exitUsage)
	}
}

func TestDemoExtractExitCodes(t *testing.T) {
	missing := errors.Join(&batch.MissingFieldError{Object: "Lead", Field: "Sales_Navigator_Lead_Id__c", Reason: "not in describe"})
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"writeback field not deployed", fmt.Errorf("extract: %w", missing), exitBadInput},
		{"refresh token revoked", fmt.Errorf("sign in: %w", sfbulk.ErrAuthRevoked), exitAuthRevoked},
		{"daily limit", fmt.Errorf("extract Contact: %w", sfbulk.ErrLimitExhausted), exitLimits},
		{"bulk job failed", fmt.Errorf("extract Contact: %w", sfbulk.ErrBulkJobFailed), exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(context.Background(), extractError("demo", tt.err), &stderr); got != tt.want {
				t.Errorf("exit %d, want %d (%s)", got, tt.want, stderr.String())
			}
		})
	}
}

// csvShape returns a CSV file's header and number of records.
func csvShape(t *testing.T, path string) ([]string, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return recs[0], len(recs) - 1
}

func TestDemoUsage(t *testing.T) {
	err := Run(context.Background(), []string{"demo", "--size", "5"}, &bytes.Buffer{}, &bytes.Buffer{})
	if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
}
