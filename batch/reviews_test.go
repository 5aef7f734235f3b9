package batch

import (
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/internal/htmltest"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk/sfsim"
	"golang.org/x/net/html"
)

// pageDoc parses a run's report.html.
func pageDoc(t testing.TB, dir string) *html.Node {
	t.Helper()
	return htmltest.ParseFile(t, filepath.Join(dir, PageFile))
}

// pageQueue is the review queue's pairs, as the page's script reads them.
func pageQueue(t testing.TB, dir string) [][2]string {
	t.Helper()
	return htmltest.QueueRows(t, filepath.Join(dir, PageFile))
}

// reviewPicks picks two pairs of the queue: one the world's truth says is
// the same person (to accept) and one it says is not (to reject).
func reviewPicks(t testing.TB, org *jobOrg, rows [][2]string) (same, diff int) {
	t.Helper()
	truth := map[string][]string{}
	for _, lt := range org.world.LeadTruth {
		truth[lt.LeadID] = lt.CRMIDs
	}
	same, diff = -1, -1
	for i, r := range rows {
		right := slices.Contains(truth[r[0]], r[1])
		switch {
		case right && same < 0:
			same = i
		case !right && diff < 0:
			diff = i
		}
	}
	if same < 0 || diff < 0 {
		t.Fatalf("the queue of %d pairs has no right pair (%d) or no wrong pair (%d) to review", len(rows), same, diff)
	}
	return same, diff
}

// leadResult is lead id's decision in res.
func leadResult(t testing.TB, res *RunResult, id string) matcher.LeadResult {
	t.Helper()
	for _, lr := range res.Match.Leads {
		if lr.LeadID == id {
			return lr
		}
	}
	t.Fatalf("no lead %s in the run", id)
	return matcher.LeadResult{}
}

// checkReviewed checks a run that honoured an accepted pair (written back
// as a match with reason reviewed) and a rejected one (not proposed, not
// written).
func checkReviewed(t testing.TB, org *jobOrg, res *RunResult, accepted, rejected [2]string) {
	t.Helper()
	if lr := leadResult(t, res, accepted[0]); lr.Decision != matcher.DecisionMatch || lr.CRMID != accepted[1] || lr.Reason != ReasonReviewed {
		t.Errorf("accepted %v: decided %s %s (%q)", accepted, lr.Decision, lr.CRMID, lr.Reason)
	}
	written := false
	for i, a := range res.Actions {
		if a.Kind != KindWriteback || a.LeadID != accepted[0] {
			continue
		}
		if a.MatchedID != accepted[1] || a.Skip || res.Outcomes[i].Status != StatusDone {
			t.Errorf("accepted %v: action %+v, outcome %+v", accepted, a, res.Outcomes[i])
			continue
		}
		rec, _ := org.srv.Get(a.Object, a.TargetID)
		written = rec["Sales_Navigator_Lead_Id__c"] == accepted[0]
	}
	if !written {
		t.Errorf("accepted %v: not written back", accepted)
	}
	lr := leadResult(t, res, rejected[0])
	if lr.CRMID == rejected[1] || lr.RunnerUpID == rejected[1] {
		t.Errorf("rejected %v proposed again: %s %s, runner-up %s", rejected, lr.Decision, lr.CRMID, lr.RunnerUpID)
	}
	for _, a := range res.Actions {
		if a.LeadID == rejected[0] && (a.MatchedID == rejected[1] || a.TargetID == rejected[1]) {
			t.Errorf("rejected %v: action %+v", rejected, a)
		}
	}
	for _, r := range pageQueue(t, res.ReportDir) {
		if r == rejected || r == accepted {
			t.Errorf("the next page proposes %v again", r)
		}
	}
	if rec, ok := org.srv.Get(objectOf(rejected[1]), rejected[1]); ok && rec["Sales_Navigator_Lead_Id__c"] == rejected[0] {
		t.Errorf("rejected %v written back", rejected)
	}
}

func objectOf(id string) string {
	if strings.HasPrefix(id, "00Q") {
		return "Lead"
	}
	return "Contact"
}

func writeReviews(t testing.TB, path string, lines ...[]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(review.Columns)
	w.WriteAll(lines)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// The review loop without a browser: a dry run's page proposes pairs, a
// reviews file settles two of them, and the next runs honour it.
func TestReviewLoop(t *testing.T) {
	org := newJobOrg(t, 2000, 21, sfsim.Options{})
	cfg := org.config(t)
	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	rows := pageQueue(t, dry.ReportDir)
	si, di := reviewPicks(t, org, rows)
	accepted, rejected := rows[si], rows[di]
	// A pair of a lead with an unrelated record: the same person by
	// mistake, scoring nowhere near the review threshold.
	var far [2]string
	for _, lr := range dry.Match.Leads {
		if lr.CRMID == "" && lr.LeadID != accepted[0] && lr.LeadID != rejected[0] {
			far = [2]string{lr.LeadID, org.srv.Records("Contact")[0]["Id"]}
			break
		}
	}
	file := filepath.Join(t.TempDir(), "reviews.csv")
	writeReviews(t, file,
		[]string{accepted[0], accepted[1], "same_person", "ann@acme.com", "2026-12-03T09:30:00.123Z"},
		[]string{rejected[0], rejected[1], "different people", "ann@acme.com", "2026-12-03T09:31:00Z"},
		[]string{"no-such-lead", accepted[1], "same_person", "ann@acme.com", ""},
		[]string{accepted[0], "003000000000000AAA", "different_people", "ann@acme.com", ""},
		[]string{rejected[0], rejected[1], "maybe", "", ""},
		[]string{far[0], far[1][:15], "same", "", ""}, // a 15-character id is the same record
	)

	res, err := org.run(t, cfg, func(o *RunOptions) { o.Reviews = []string{file} })
	if err != nil {
		t.Fatal(err)
	}
	checkReviewed(t, org, res, accepted, rejected)
	r := res.Summary.Reviews
	if r == nil {
		t.Fatal("run.json has no reviews")
	}
	if r.Read != 6 || r.Imported != 3 || r.Stored != 3 || r.SettledSame != 1 || r.SettledDifferent != 1 {
		t.Errorf("reviews: read %d imported %d stored %d settled %d+%d; want 6, 3, 3, 1+1", r.Read, r.Imported, r.Stored, r.SettledSame, r.SettledDifferent)
	}
	var lines []int
	for _, p := range r.Problems {
		lines = append(lines, p.Line)
	}
	if !slices.Equal(lines, []int{4, 5, 6}) {
		t.Errorf("problems on lines %v, want 4 (unknown lead), 5 (unknown record), 6 (bad verdict): %+v", lines, r.Problems)
	}
	if len(r.NotApplied) != 1 || r.NotApplied[0].LeadID != far[0] || r.NotApplied[0].Probability >= cfg.Matching.ReviewThreshold {
		t.Errorf("not applied: %+v; want %s below the review threshold", r.NotApplied, far[0])
	}
	if lr := leadResult(t, res, far[0]); lr.Decision == matcher.DecisionMatch {
		t.Errorf("a same-person verdict scoring below the review threshold was applied: %+v", lr)
	}
	// The page says what review settled and what it did not apply.
	doc := pageDoc(t, res.ReportDir)
	for id, want := range map[string]string{
		"settled":                "Settled by review in this run: 2 pairs: 1 the same person",
		"not-applied-table":      far[0],
		"verdict-problems-table": "no lead \"no-such-lead\"",
	} {
		n := htmltest.ByID(doc, id)
		if n == nil || !strings.Contains(htmltest.Text(n), want) {
			t.Errorf("page #%s lacks %q", id, want)
		}
	}
	if n := htmltest.ByID(doc, "precision"); n == nil || !strings.Contains(htmltest.Text(n), "auto threshold 0.95") {
		t.Errorf("page has no precision line")
	}

	// The next run without the file: the verdicts are in the store. With
	// it again: nothing changes (idempotent).
	again, err := org.run(t, cfg, func(o *RunOptions) { o.Reviews = []string{file} })
	if err != nil {
		t.Fatal(err)
	}
	if r := again.Summary.Reviews; r.Imported != 0 || r.Stored != 3 {
		t.Errorf("re-import: %d imported, %d stored; want 0, 3", r.Imported, r.Stored)
	}
	third, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []*RunResult{again, third} {
		if lr := leadResult(t, res, rejected[0]); lr.CRMID == rejected[1] || lr.RunnerUpID == rejected[1] {
			t.Errorf("rejected pair proposed again in a later run: %+v", lr)
		}
		if lr := leadResult(t, res, accepted[0]); lr.Decision != matcher.DecisionMatch || lr.CRMID != accepted[1] {
			t.Errorf("accepted pair not a match in a later run: %+v", lr)
		}
	}
	if third.Plan.Writes != 0 {
		t.Errorf("third run planned %d writes", third.Plan.Writes)
	}
}

// A reviews file that cannot be used stops the run before anything is
// opened or sent.
func TestReviewsBadFile(t *testing.T) {
	org := newJobOrg(t, 300, 3, sfsim.Options{})
	cfg := org.config(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("lead,crm\nL1,003\n"), 0o644)
	connected := false
	for _, f := range []string{bad, filepath.Join(dir, "missing.csv")} {
		_, err := org.run(t, cfg, func(o *RunOptions) {
			o.Reviews = []string{f}
			o.Connect = func(ctx context.Context, cfg *Config, log *slog.Logger) (Client, error) {
				connected = true
				return org.connect("")(ctx, cfg, log)
			}
		})
		if err == nil || !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want a bad input", f, err)
		}
	}
	if _, err := os.Stat(cfg.State.Path); !os.IsNotExist(err) {
		t.Errorf("the state store was created: %v", err)
	}
	if connected {
		t.Error("the run connected to the org")
	}
}

// reports.review_rows and reviews are checked with the rest of the config.
func TestConfigReviewKeys(t *testing.T) {
	dir := configDir(t)
	c, err := loadYAML(t, dir, baseYAML)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reports.ReviewRows != 5000 || c.Reviews != "" {
		t.Errorf("defaults: review_rows %d, reviews %q", c.Reports.ReviewRows, c.Reviews)
	}
	os.WriteFile(filepath.Join(dir, "reviews.csv"), []byte("lead_id,crm_id,verdict\n"), 0o644)
	c, err = loadYAML(t, dir, baseYAML+"reports:\n  review_rows: 200\nreviews: reviews.csv\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Reports.ReviewRows != 200 || c.Reviews != filepath.Join(dir, "reviews.csv") {
		t.Errorf("review_rows %d, reviews %q (want the file beside the config)", c.Reports.ReviewRows, c.Reviews)
	}
	for _, tc := range []struct {
		yaml, key, msg string
		line           int
	}{
		{"reports:\n  review_rows: 0\n", "reports.review_rows", "must be between 1 and 100000", 11},
		{"reports:\n  review_rows: 100001\n", "reports.review_rows", "must be between 1 and 100000", 11},
		{"reviews: missing.csv\n", "reviews", "does not exist", 10},
	} {
		_, err := loadYAML(t, dir, baseYAML+tc.yaml)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Key != tc.key || !strings.Contains(ve.Problems[0].Msg, tc.msg) ||
			ve.Problems[0].Line != tc.line {
			t.Errorf("%q: %v", tc.yaml, err)
		}
	}
}

// TestReviewsWithoutStore: navsync match's reviewed pairs, kept in memory:
// checked against the inputs as a run's, and of several verdicts on a pair
// the one the store would keep.
func TestReviewsWithoutStore(t *testing.T) {
	in := &input.Inputs{Input: matcher.Input{
		Leads:  []matcher.Lead{{LeadID: "L1"}, {LeadID: "L2"}, {LeadID: "L3"}, {LeadID: "L4"}},
		People: []matcher.Person{{ID: "003A"}, {ID: "003B"}, {ID: "00QC"}},
	}}
	at := func(h int) time.Time { return time.Date(2026, 12, 3, h, 0, 0, 0, time.UTC) }
	v := func(line int, lead, crm, verdict string, when time.Time) review.Verdict {
		return review.Verdict{LeadID: lead, CRMID: crm, Verdict: verdict, ReviewedAt: when, File: "r.csv", Line: line}
	}
	const same, diff = review.VerdictSame, review.VerdictDifferent
	vs := []review.Verdict{
		v(2, "L2", "003B", diff, at(9)),
		v(3, "L1", "003A", same, time.Time{}),
		v(4, "L2", "003B", same, at(8)), // older than line 2: line 2 stays
		v(5, "L3", "00QC", same, at(9)),
		v(6, "L3", "00QC", diff, time.Time{}), // no time: newer, replaces line 5
		v(7, "L9", "003A", same, at(9)),       // no such lead
		v(8, "L4", "003Z", diff, at(9)),       // no such record
	}
	probs := []review.VerdictProblem{{File: "r.csv", Line: 9, Problem: `verdict "maybe": want same_person or different_people`}}
	r := ReviewsWithoutStore([]string{"r.csv"}, vs, probs, in)
	ov := r.Overrides()
	if ov == nil {
		t.Fatal("no overrides")
	}
	if want := []matcher.Pair{{LeadID: "L1", CRMID: "003A"}}; !slices.Equal(ov.Pinned, want) {
		t.Errorf("pinned %v, want %v", ov.Pinned, want)
	}
	if want := []matcher.Pair{{LeadID: "L2", CRMID: "003B"}, {LeadID: "L3", CRMID: "00QC"}}; !slices.Equal(ov.Forbidden, want) {
		t.Errorf("forbidden %v, want %v", ov.Forbidden, want)
	}
	if got := r.Settled(); len(got) != 1 || !got["L1"] {
		t.Errorf("settled %v, want L1", got)
	}
	sum := r.Summary()
	if sum.Read != 8 || sum.Stored != 3 || sum.Imported != 0 || !slices.Equal(sum.Files, []string{"r.csv"}) {
		t.Errorf("summary read %d, stored %d, imported %d, files %v; want 8, 3, 0, [r.csv]", sum.Read, sum.Stored, sum.Imported, sum.Files)
	}
	var lines []int
	for _, p := range sum.Problems {
		lines = append(lines, p.Line)
	}
	if !slices.Equal(lines, []int{7, 8, 9}) || !strings.Contains(sum.Problems[0].Problem, `no lead "L9"`) ||
		!strings.Contains(sum.Problems[1].Problem, `no Contact or Lead "003Z"`) {
		t.Errorf("problems %+v", sum.Problems)
	}

	// Nothing that applies: no overrides.
	if r := ReviewsWithoutStore([]string{"r.csv"}, vs[5:], nil, in); r.Overrides() != nil || r.Summary().Stored != 0 {
		t.Errorf("only problems: overrides %v, stored %d", r.Overrides(), r.Summary().Stored)
	}
}
