package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
)

// TestDemo runs the demo as a new user would: the whole job against the
// embedded simulator org, three times (dry, real, again), from the config
// it writes.
func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"demo", "--out", out, "--size", "2000", "--seed", "7"}, &stdout, &stderr); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	s := stdout.String()
	for _, want := range []string{
		"1. navsync run --dry-run", "(dry run: nothing was written to Salesforce)", "would_update",
		"2. navsync run: the real run", "3. navsync run again", "already_linked",
		"quality against the world's truth (1,000 leads", "per scenario",
		"writebacks against the truth and the org", "config    " + filepath.Join(out, "navsync.yaml"),
		"read_parquet('" + filepath.ToSlash(filepath.Join(out, "reports")) + "/*/*/actions.parquet', hive_partitioning=true)",
		"The review page (charts, the possible pairs to settle by hand, reviews.csv for the next run's --reviews): " +
			filepath.ToSlash(filepath.Join(out, "reports")) + "/run_date=",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	// Quality figures come from a working join of results and truth.
	for _, metric := range []string{"match precision", "match recall", "on the right record"} {
		m := regexp.MustCompile(regexp.QuoteMeta(metric) + `\s+([0-9.]+)%`).FindStringSubmatch(s)
		if m == nil {
			t.Errorf("no %s in the output", metric)
			continue
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 95 {
			t.Errorf("%s = %s%%, below 95%% on a generated world", metric, m[1])
		}
	}
	if m := regexp.MustCompile(`Lead owners changed\s+([0-9,]+)`).FindStringSubmatch(s); m == nil || m[1] != "0" {
		t.Errorf("Lead owners changed: %q", m)
	}
	// The third run wrote nothing.
	third := s[strings.Index(s, "3. navsync run again"):]
	if strings.Contains(third[:strings.Index(third, "quality against")], " done ") {
		t.Errorf("the third run wrote something:\n%s", third)
	}
	// Three run folders, each whole; the history says dry, succeeded twice.
	runs, _ := filepath.Glob(filepath.Join(out, "reports", "run_date=*", "run_id=*"))
	if len(runs) != 3 {
		t.Fatalf("%d run folders, want 3: %v", len(runs), runs)
	}
	for _, r := range runs {
		for _, f := range []string{"matches.parquet", "accounts.parquet", "rejects.parquet", "actions.parquet", "run.json", "report.html"} {
			if _, err := os.Stat(filepath.Join(r, f)); err != nil {
				t.Error(err)
			}
		}
	}
	st, err := state.Open(context.Background(), filepath.Join(out, "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hist, err := st.Runs(context.Background(), 0)
	if err != nil || len(hist) != 3 || !hist[2].DryRun || hist[1].Writes == 0 || hist[0].Writes != 0 {
		t.Fatalf("run history %+v, %v", hist, err)
	}
	// Every run deleted its Bulk query jobs (one per snapshot object):
	// the org keeps none of them.
	if n := strings.Count(stderr.String(), `"msg":"bulk query job deleted"`); n != 3*5 || strings.Contains(stderr.String(), "could not delete") {
		t.Errorf("%d bulk query jobs deleted by the three runs, want 15", n)
	}
	// The logs never carry the stored refresh token or the secret.
	secrets, _ := filepath.Glob(filepath.Join(out, "tokens", "*"))
	secrets = append(secrets, filepath.Join(out, "client_secret"))
	for _, f := range secrets {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range regexp.MustCompile(`[A-Za-z0-9!._-]{20,}`).FindAllString(string(b), -1) {
			if strings.Contains(stderr.String()+stdout.String(), v) {
				t.Errorf("a secret from %s is in the output", filepath.Base(f))
			}
		}
	}
}

// TestDemoFaults runs the demo against an org that injects faults: the job
// rides through them and writes back what a clean org gets.
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
	written := regexp.MustCompile(`written back\s+([0-9,]+)`)
	clean := written.FindStringSubmatch(run("clean"))
	// Bulk jobs fail one time in ten: a run gives up on an object after
	// five failed jobs in a row (0.3 made that happen about once in thirty
	// demos: 15 objects extracted, 0.3^5 each). Sessions last 1 s: each of
	// the three runs outlives a few of them.
	// (At 200 ms a loaded machine can take longer than a session between
	// a refresh and the next request, and nothing could ever succeed.)
	s := run("faulty", "--faults", "unavailable=0.1,drop=0.05,lock=0.05,bulk-fail=0.1,session-expiry=1s,seed=5")
	if !strings.Contains(s, "(faults: unavailable=0.1") {
		t.Errorf("demo output lacks the faults:\n%s", s)
	}
	if got := written.FindStringSubmatch(s); clean == nil || got == nil || got[1] != clean[1] {
		t.Errorf("written back under faults %v, clean %v", got, clean)
	}
	if err := Run(context.Background(), []string{"demo", "--faults", "nonsense"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("a bad --faults spec was accepted")
	} else if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("bad --faults: exit %d, want %d", code, exitUsage)
	}
}

func TestExitCodes(t *testing.T) {
	missing := errors.Join(&batch.MissingFieldError{Object: "Lead", Field: "Sales_Navigator_Lead_Id__c", Reason: "not in describe"})
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"writeback field not deployed", fmt.Errorf("extract: %w", missing), exitBadInput},
		{"bad config", fmt.Errorf("load: %w", &batch.ValidationError{Path: "x.yaml", Problems: []batch.Problem{{Key: "a", Msg: "b"}}}), exitBadInput},
		{"refresh token revoked", fmt.Errorf("sign in: %w", sfbulk.ErrAuthRevoked), exitAuthRevoked},
		{"daily limit", fmt.Errorf("extract Contact: %w", sfbulk.ErrLimitExhausted), exitLimits},
		{"bulk job failed", fmt.Errorf("extract Contact: %w", sfbulk.ErrBulkJobFailed), exitFailure},
		{"brake", fmt.Errorf("run: %w", &batch.BrakeError{Check: batch.BrakeCheck{Planned: 9, MaxWrites: 1, Tripped: "max_writes"}}), exitBrake},
		{"locked", fmt.Errorf("run: %w", &state.LockedError{}), exitLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(context.Background(), tt.err, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d (%s)", got, tt.want, stderr.String())
			}
		})
	}
}

func TestDemoUsage(t *testing.T) {
	err := Run(context.Background(), []string{"demo", "--size", "5"}, &bytes.Buffer{}, &bytes.Buffer{})
	if code := exitCode(context.Background(), err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
}
