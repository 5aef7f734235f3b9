package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/internal/htmltest"
)

// navsync run --reviews F and the config's reviews: the summary says what
// review settled and where the page is; a bad file exits 5 with its name.
func TestRunReviewsCommand(t *testing.T) {
	org := newCmdOrg(t, 1500, 41)
	cfg := org.writeConfig(t, "")
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path, "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`(?m)^review page (\S+/report\.html) \(open it in a browser; it holds personal data\)$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no review page line in the summary:\n%s", stdout)
	}
	folders := cfg.runFolders()
	if len(folders) != 1 || !strings.HasSuffix(filepath.ToSlash(folders[0])+"/report.html", m[1]) {
		t.Fatalf("page %s, folders %v", m[1], folders)
	}
	rows := htmltest.QueueRows(t, filepath.Join(folders[0], batch.PageFile))
	if len(rows) < 2 {
		t.Fatalf("%d pairs in the queue", len(rows))
	}
	reviews := filepath.Join(cfg.dir, "reviews.csv")
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	w.WriteAll([][]string{{"lead_id", "crm_id", "verdict", "reviewer", "reviewed_at"},
		{rows[0][0], rows[0][1], "different_people", "ann", "2026-12-03T09:00:00Z"},
		{"nobody", rows[1][1], "same_person", "ann", "2026-12-03T09:00:00Z"}})
	os.WriteFile(reviews, []byte(buf.String()), 0o644)

	// --reviews on the command line.
	code, stdout, stderr = navsyncIn(context.Background(), "run", "--config", cfg.path, "--dry-run", "--reviews", reviews)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"reviews     2 verdicts read from 1 file(s), 1 new or changed, 1 in the state store; settled 1 pairs: 0 same person (reason reviewed), 1 different people",
		"not applied: " + filepath.ToSlash(displayPath(reviews)) + " line 3: no lead \"nobody\" in this run's Sales Navigator exports",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	m = regexp.MustCompile(`(?m)^reports     (\S+)$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no reports line:\n%s", stdout)
	}
	var sum batch.RunSummary
	b, _ := os.ReadFile(filepath.Join(m[1], batch.RunFile))
	if err := json.Unmarshal(b, &sum); err != nil || sum.Reviews == nil || sum.Reviews.SettledDifferent != 1 {
		t.Errorf("run.json reviews: %+v %v", sum.Reviews, err)
	}

	// The config's reviews key, the same file: nothing new, still honoured.
	cfg2 := cfg
	b, _ = os.ReadFile(cfg.path)
	os.WriteFile(cfg2.path, append(b, "reviews: reviews.csv\n"...), 0o644)
	code, stdout, stderr = navsyncIn(context.Background(), "run", "--config", cfg2.path, "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "2 verdicts read from 1 file(s), 0 new or changed, 1 in the state store; settled 1 pairs") {
		t.Errorf("config reviews: exit %d\n%s%s", code, stdout, stderr)
	}

	// A file that is not a reviews file: exit 5 before anything.
	os.WriteFile(reviews, []byte("lead,crm\n"), 0o644)
	code, _, stderr = navsyncIn(context.Background(), "run", "--config", cfg.path, "--dry-run", "--reviews", reviews)
	if code != exitBadInput || !strings.Contains(stderr, "missing column \"lead_id\"") {
		t.Errorf("bad reviews file: exit %d, %s", code, errorLine(stderr))
	}
}
