package batch

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// hostileName would run a script wherever a page put it into the HTML
// unescaped: the test checks the global it sets stays unset.
const hostileName = `<img src=x onerror="window.__pwned=1">`

// findBrowser is the Chromium to drive: NAVSYNC_BROWSER, or Debian's
// chromium (which .ci/run installs when missing), or another Chrome on PATH.
func findBrowser() string {
	if b := os.Getenv("NAVSYNC_BROWSER"); b != "" {
		return b
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// announce prints one line where make test shows it: on the go command's
// stderr when the test binary runs under go test without -v (whose own
// output go test keeps for failures), else on this process's stderr.
func announce(msg string) {
	if !testing.Verbose() {
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", os.Getppid())); err == nil && strings.TrimSpace(string(comm)) == "go" {
			if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", os.Getppid()), os.O_WRONLY|os.O_APPEND, 0); err == nil {
				_, werr := fmt.Fprintln(f, msg)
				f.Close()
				if werr == nil {
					return
				}
			}
		}
	}
	fmt.Fprintln(os.Stderr, msg)
}

// addHostileLead gives a CRM Contact a hostile first name and adds a Sales
// Navigator lead of the same name at the same company with another job and
// no email or phone: a same-name colleague the matcher reports as possible,
// so the hostile name is in the review queue on both sides. The lead's
// owner, list and city are hostile too.
func addHostileLead(t testing.TB, org *jobOrg) (leadID string) {
	t.Helper()
	var c map[string]string
	for _, r := range org.srv.Records("Contact") {
		if r["AccountId"] != "" && r["LastName"] != "" && r["Title"] != "" {
			c = r
			break
		}
	}
	if c == nil {
		t.Fatal("no Contact with an Account and a title")
	}
	acct, _ := org.srv.Get("Account", c["AccountId"])
	if err := org.srv.Set("Contact", c["Id"], map[string]string{"FirstName": hostileName}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(org.dir, "salesnav", "leads.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	header, err := csv.NewReader(f).Read()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	leadID = `urn:li:hostile:"</script><script>window.__pwned=2</script>`
	vals := map[string]string{"lead_id": leadID, "first_name": hostileName, "last_name": c["LastName"],
		"current_company": acct["Name"], "current_title": "Chief Hostile Officer", "city": `<script>window.__pwned=3</script>`,
		"lead_list": `' onmouseover='window.__pwned=4`, "owner_email": `"><svg onload="window.__pwned=5">@x.com`}
	rec := make([]string, len(header))
	for i, h := range header {
		rec[i] = vals[h]
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	w.Write(rec)
	w.Flush()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return leadID
}

// TestReviewPageInBrowser is the review loop in a real browser: the page
// of a dry run opens from disk, its charts and tables render, two pairs are
// marked and reviews.csv downloaded, no script ran from the hostile values;
// the next run with that file writes back the accepted pair and never
// proposes the rejected one.
func TestReviewPageInBrowser(t *testing.T) {
	exe := findBrowser()
	if exe == "" {
		msg := "batch: review page browser test skipped: no chromium on PATH (.ci/run installs Debian's chromium; or set NAVSYNC_BROWSER)"
		announce(msg)
		t.Skip(msg)
	}
	org := newJobOrg(t, 2000, 21, sfsim.Options{})
	hostileLead := addHostileLead(t, org)
	cfg := org.config(t)
	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	rows := pageQueue(t, dry.ReportDir)
	hostileRow := -1
	for i, r := range rows {
		if r[0] == hostileLead {
			hostileRow = i
		}
	}
	if hostileRow < 0 {
		t.Fatalf("the hostile lead is not in the review queue: %+v", leadResult(t, dry, hostileLead))
	}
	si, di := reviewPicks(t, org, rows)
	accepted, rejected := rows[si], rows[di]

	downloads := t.TempDir()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1000))...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	defer cancelT()
	page := "file://" + filepath.ToSlash(filepath.Join(dry.ReportDir, PageFile))
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}),
		chromedp.Navigate(page),
		chromedp.WaitReady("#rows"),
	)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(expr string, v any) {
		t.Helper()
		var err error
		switch p := v.(type) {
		case *int:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		case *bool:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		case *string:
			*p, err = chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		}
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
	}

	// The page's own script ran (the Content-Security-Policy allows it by
	// its hash), and no other.
	var scriptRan bool
	eval(`typeof window.navsyncReview === "object" && window.navsyncReview.rows === document.querySelectorAll("#rows .q").length`, &scriptRan)
	if !scriptRan {
		t.Fatal("the page's script did not run")
	}
	var pwned string
	eval(`String(window.__pwned)`, &pwned)
	if pwned != "undefined" {
		t.Errorf("a script from a hostile value ran: window.__pwned = %s", pwned)
	}
	var imgs, scripts int
	eval(`document.querySelectorAll("img").length`, &imgs)
	eval(`document.querySelectorAll("script").length`, &scripts)
	if imgs != 0 || scripts != 2 {
		t.Errorf("%d img and %d script elements; want 0 and the page's 2", imgs, scripts)
	}
	// The hostile values show as text, on both sides of the pair.
	var shows bool
	eval(fmt.Sprintf(`(function(){var r=document.getElementById("r%d"); return r.querySelectorAll(".nm")[0].textContent.indexOf(%q)===0 && r.querySelectorAll(".nm")[1].textContent.indexOf(%q)===0 && document.body.textContent.indexOf(%q)>=0})()`,
		hostileRow, hostileName, hostileName, "window.__pwned=3"), &shows)
	if !shows {
		t.Error("the hostile name is not shown as text in its row")
	}

	// Charts and tables render with a size.
	var charts, histBars, thresholds, blockRows, decisionRows int
	eval(`Array.prototype.filter.call(document.querySelectorAll("svg.chart"), function(s){var b=s.getBoundingClientRect(); return b.width>100 && b.height>20}).length`, &charts)
	eval(`Array.prototype.filter.call(document.querySelectorAll("#weights svg rect"), function(r){return r.getBBox().width>0 && r.getBBox().height>0}).length`, &histBars)
	eval(`document.querySelectorAll("#weights svg line.th").length`, &thresholds)
	eval(`document.querySelectorAll("#blocking-table tbody tr").length`, &blockRows)
	eval(`document.querySelectorAll("#decision-table tbody tr").length`, &decisionRows)
	if charts < 4 || histBars < 5 || thresholds != 2 || blockRows != len(dry.Match.Stats.LeadBlocks) || decisionRows != 2 {
		t.Errorf("charts %d (want ≥4: decisions, weights, blocking, actions), histogram bars %d, threshold lines %d, blocking rows %d (want %d), decision rows %d",
			charts, histBars, thresholds, blockRows, len(dry.Match.Stats.LeadBlocks), decisionRows)
	}
	// An opened row shows its evidence: the fields side by side and the
	// waterfall from the prior.
	var fieldRows, steps int
	err = chromedp.Do(ctx, chromedp.Click(fmt.Sprintf("#r%d summary", si)))
	if err != nil {
		t.Fatal(err)
	}
	eval(fmt.Sprintf(`document.querySelectorAll("#r%d table.f tbody tr").length`, si), &fieldRows)
	eval(fmt.Sprintf(`Array.prototype.filter.call(document.querySelectorAll("#r%d svg rect"), function(r){return r.getBoundingClientRect().width>0}).length`, si), &steps)
	if fieldRows < 8 || steps < 3 {
		t.Errorf("opened row: %d field rows, %d waterfall steps", fieldRows, steps)
	}

	// Search narrows the queue to the lead.
	var shown string
	err = chromedp.Do(ctx, chromedp.SendKeys("#f-search", accepted[0]))
	if err != nil {
		t.Fatal(err)
	}
	eval(`document.getElementById("shown").textContent`, &shown)
	var visible bool
	eval(fmt.Sprintf(`!document.getElementById("r%d").hidden && document.getElementById("r%d").hidden`, si, di), &visible)
	if shown == fmt.Sprintf("%d shown", len(rows)) || !visible {
		t.Errorf("searching %s: %q, the row shown and another hidden: %v", accepted[0], shown, visible)
	}
	eval(`(function(){var s=document.getElementById("f-search"); s.value=""; s.dispatchEvent(new Event("input")); return document.getElementById("shown").textContent})()`, &shown)
	if shown != fmt.Sprintf("%d shown", len(rows)) {
		t.Errorf("search cleared: %q, want all %d rows", shown, len(rows))
	}

	// Mark two pairs and download reviews.csv.
	err = chromedp.Do(ctx,
		chromedp.SendKeys("#reviewer", "ann@acme.com"),
		chromedp.Click(fmt.Sprintf(`#r%d input[value="same_person"]`, si)),
		chromedp.Click(fmt.Sprintf(`#r%d input[value="different_people"]`, di)),
		chromedp.Click("#download"),
	)
	if err != nil {
		t.Fatal(err)
	}
	var marked string
	eval(`document.getElementById("marked").textContent`, &marked)
	if marked != "2 pairs marked" {
		t.Errorf("marked: %q", marked)
	}
	file := filepath.Join(downloads, "reviews.csv")
	var b []byte
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, err = os.ReadFile(file); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reviews.csv was not downloaded into %s", downloads)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(review.Columns, ",") {
		t.Fatalf("reviews.csv: %v\n%s", err, b)
	}
	for _, want := range [][]string{{accepted[0], accepted[1], review.VerdictSame}, {rejected[0], rejected[1], review.VerdictDifferent}} {
		found := false
		for _, r := range recs[1:] {
			if r[0] == want[0] && r[1] == want[1] && r[2] == want[2] && r[3] == "ann@acme.com" {
				_, err := time.Parse(time.RFC3339Nano, r[4])
				found = err == nil
			}
		}
		if !found {
			t.Errorf("reviews.csv lacks %v:\n%s", want, b)
		}
	}
	eval(`String(window.__pwned)`, &pwned)
	if pwned != "undefined" {
		t.Errorf("a script from a hostile value ran: window.__pwned = %s", pwned)
	}

	// The next run with the downloaded file.
	res, err := org.run(t, cfg, func(o *RunOptions) { o.Reviews = []string{file} })
	if err != nil {
		t.Fatal(err)
	}
	checkReviewed(t, org, res, accepted, rejected)
	if r := res.Summary.Reviews; r == nil || r.Imported != 2 || len(r.Problems) != 0 {
		t.Errorf("reviews of the run: %+v", r)
	}
}
