package batch

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
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

// checkMarks checks the marks a review page shows and keeps in the
// browser's storage: the rows of want marked with their verdict (and no
// other), the counts, and the stored entries, which hold the pairs' ids,
// verdicts, times and whether downloaded (downloaded of them), nothing more.
func checkMarks(t *testing.T, ctx context.Context, evalIn func(context.Context, string, any), when string, rows [][2]string, want map[int]string, unsaved string, downloaded int) {
	t.Helper()
	var shown string
	evalIn(ctx, `JSON.stringify(Array.prototype.map.call(document.querySelectorAll("#rows .q"), function (r) { var c = r.querySelector("input:checked"); return (c ? c.value : "none") + (r.classList.contains("marked") ? "+" : ""); }))`, &shown)
	var states []string
	if err := json.Unmarshal([]byte(shown), &states); err != nil || len(states) != len(rows) {
		t.Fatalf("%s: row states %v %s", when, err, shown)
	}
	for i, s := range states {
		w := "+"
		if want[i] == "" {
			w = ""
		}
		if s != want[i]+w {
			t.Errorf("%s: row %d shows %q, want %q", when, i, s, want[i]+w)
		}
	}
	var marked, left string
	evalIn(ctx, `document.getElementById("marked").textContent`, &marked)
	evalIn(ctx, `document.getElementById("unsaved").textContent`, &left)
	if n := len(want); marked != fmt.Sprintf("%d pairs marked", n) && !(n == 1 && marked == "1 pair marked") || left != unsaved {
		t.Errorf("%s: %q, %q; want %d marked, %q", when, marked, left, n, unsaved)
	}
	var stored string
	evalIn(ctx, `navsyncReview.stored() ? String(localStorage.getItem(navsyncReview.key)) : "unavailable"`, &stored)
	if stored == "unavailable" {
		return
	}
	if len(want) == 0 {
		if stored != "null" {
			t.Errorf("%s: the storage holds %s", when, stored)
		}
		return
	}
	var kept struct {
		V     int     `json:"v"`
		Marks [][]any `json:"marks"`
	}
	if err := json.Unmarshal([]byte(stored), &kept); err != nil || kept.V != 1 || len(kept.Marks) != len(want) {
		t.Fatalf("%s: stored %v %s", when, err, stored)
	}
	got := map[[2]string]string{}
	n := 0
	for _, m := range kept.Marks {
		if len(m) != 5 {
			t.Fatalf("%s: stored mark %v", when, m)
		}
		lead, _ := m[0].(string)
		crm, _ := m[1].(string)
		verdict, _ := m[2].(string)
		at, _ := m[3].(string)
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Errorf("%s: stored mark %v: %v", when, m, err)
		}
		if m[4] == 1.0 {
			n++
		} else if m[4] != 0.0 {
			t.Errorf("%s: stored mark %v", when, m)
		}
		got[[2]string{lead, crm}] = verdict
	}
	for i, v := range want {
		if got[rows[i]] != v {
			t.Errorf("%s: stored %q for %v, want %q", when, got[rows[i]], rows[i], v)
		}
	}
	if n != downloaded {
		t.Errorf("%s: %d stored marks downloaded, want %d", when, n, downloaded)
	}
	if strings.Contains(stored, "ann@acme.com") || strings.Contains(stored, "Hostile") || strings.Contains(stored, "onerror") {
		t.Errorf("%s: the storage holds more than ids and verdicts: %s", when, stored)
	}
}

// TestReviewPageInBrowser is the review loop in a real browser: the page
// of a dry run opens from disk, its charts and tables render, pairs are
// marked, kept in the browser's storage (ids and verdicts only) and
// restored on reload and in a new tab, reviews.csv downloaded with them,
// the marks cleared after a question; no script ran from the hostile
// values; with storage refused or full the page says once that marks will
// be lost, and marking works as before. The next run with the downloaded
// file writes back the accepted pair and never proposes the rejected one.
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
	evalIn := func(ctx context.Context, expr string, v any) {
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
	eval := func(expr string, v any) {
		t.Helper()
		evalIn(ctx, expr, v)
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

	// Mark three pairs (one of them the hostile lead's): each mark is kept
	// in the browser's storage at once, ids and verdicts only.
	extra := hostileRow
	for i := 0; extra == si || extra == di; i++ {
		extra = i
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys("#reviewer", "ann@acme.com"),
		chromedp.Click(fmt.Sprintf(`#r%d input[value="same_person"]`, si)),
		chromedp.Click(fmt.Sprintf(`#r%d input[value="different_people"]`, di)),
		chromedp.Click(fmt.Sprintf(`#r%d input[value="same_person"]`, extra)),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{si: review.VerdictSame, di: review.VerdictDifferent, extra: review.VerdictSame}
	checkMarks(t, ctx, evalIn, "marked", rows, want, "3 marks not downloaded yet", 0)
	var quiet bool
	eval(`document.getElementById("restored").hidden && document.getElementById("storage-note").hidden`, &quiet)
	if !quiet {
		t.Error("the page says marks were restored, or will be lost, before any reload")
	}

	// Reloading the page, or opening it again in a new tab, restores them.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady("#rows")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "reloaded", rows, want, "3 marks not downloaded yet", 0)
	var restored string
	eval(`document.getElementById("restored").hidden ? "" : document.getElementById("restored").textContent`, &restored)
	if restored != "Restored 3 marks this browser kept for this page." {
		t.Errorf("reloaded: restored notice %q", restored)
	}
	tab, closeTab := chromedp.NewContext(ctx)
	if err := chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitReady("#rows")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, tab, evalIn, "new tab", rows, want, "3 marks not downloaded yet", 0)
	closeTab()

	// The hostile lead's pair back to not reviewed: kept so too.
	if err := chromedp.Do(ctx, chromedp.Click(fmt.Sprintf(`#r%d input[value=""]`, extra))); err != nil {
		t.Fatal(err)
	}
	delete(want, extra)
	checkMarks(t, ctx, evalIn, "one unmarked", rows, want, "2 marks not downloaded yet", 0)

	// Download reviews.csv: the restored marks are in it (the reviewer's
	// name is not kept: typed again).
	err = chromedp.Do(ctx,
		chromedp.SetValue("#reviewer", "ann@acme.com"),
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
	checkMarks(t, ctx, evalIn, "downloaded", rows, want, "all downloaded", 2)
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady("#rows")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "downloaded and reloaded", rows, want, "all downloaded", 2)
	eval(`String(window.__pwned)`, &pwned)
	if pwned != "undefined" {
		t.Errorf("a script from a hostile value ran: window.__pwned = %s", pwned)
	}

	// Clear marks asks first; kept on "keep them", gone (here and in the
	// storage) on "clear".
	err = chromedp.Do(ctx,
		chromedp.Click(fmt.Sprintf(`#r%d input[value="same_person"]`, extra)),
		chromedp.Click("#clear"),
	)
	if err != nil {
		t.Fatal(err)
	}
	want[extra] = review.VerdictSame
	var ask string
	eval(`document.getElementById("clear-ask").hidden ? "" : document.getElementById("clear-what").textContent`, &ask)
	if ask != "Clear all 3 marks of this page (1 not downloaded)?" {
		t.Errorf("clear asks %q", ask)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#clear-no")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "clear declined", rows, want, "1 mark not downloaded yet", 2)
	eval(`document.getElementById("clear-ask").hidden`, &quiet)
	if !quiet {
		t.Error("the question stays after keep them")
	}
	if err := chromedp.Do(ctx, chromedp.Click("#clear"), chromedp.Click("#clear-yes")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "cleared", rows, nil, "", 0)
	var cleared bool
	eval(`localStorage.getItem(navsyncReview.key) === null && document.getElementById("download").disabled && document.getElementById("clear").disabled && document.getElementById("clear-ask").hidden`, &cleared)
	if !cleared {
		t.Error("cleared: the storage still holds marks, or a control is enabled")
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady("#rows")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "cleared and reloaded", rows, nil, "", 0)

	// A kept mark of a pair no longer on the page is restored into the
	// download, and the page says so; a kept entry that is not a mark is
	// left out.
	kept, _ := json.Marshal(map[string]any{"v": 1, "marks": [][]any{
		{accepted[0], accepted[1], review.VerdictSame, "2026-12-03T09:30:00Z", 0},
		{"urn:li:gone", "0033t000000009ZAAA", review.VerdictDifferent, "2026-12-03T09:31:00Z", 1},
		{"urn:li:odd", "0033t000000008ZAAA", "maybe", "2026-12-03T09:32:00Z", 0},
	}})
	eval(fmt.Sprintf(`localStorage.setItem(navsyncReview.key, %q), ""`, kept), &restored)
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady("#rows")); err != nil {
		t.Fatal(err)
	}
	var left, csvText string
	eval(`document.getElementById("restored").textContent`, &restored)
	eval(`document.getElementById("marked").textContent + ", " + document.getElementById("unsaved").textContent`, &left)
	eval(`document.getElementById("reviewer").value = "", navsyncReview.csv()`, &csvText)
	if restored != "Restored 2 marks this browser kept for this page. 1 is for a pair no longer on the page: kept, and in the download." ||
		left != "2 pairs marked, 1 mark not downloaded yet" {
		t.Errorf("a mark of a pair not on the page: %q, %q", restored, left)
	}
	if recs, err := csv.NewReader(strings.NewReader(csvText)).ReadAll(); err != nil || len(recs) != 3 ||
		!slices.Equal(recs[1], []string{accepted[0], accepted[1], review.VerdictSame, "", "2026-12-03T09:30:00Z"}) ||
		!slices.Equal(recs[2], []string{"urn:li:gone", "0033t000000009ZAAA", review.VerdictDifferent, "", "2026-12-03T09:31:00Z"}) {
		t.Errorf("reviews.csv with a mark of a pair not on the page: %v\n%s", err, csvText)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#clear"), chromedp.Click("#clear-yes")); err != nil {
		t.Fatal(err)
	}
	checkMarks(t, ctx, evalIn, "cleared again", rows, nil, "", 0)

	// A browser that refuses storage (a private window, files kept from
	// it): the page says once that marks will be lost, and marking and
	// the download work as before. Likewise when a save fails (quota).
	for _, c := range []struct{ name, script, before string }{
		{"storage refused", `Object.defineProperty(window, "localStorage", {configurable: true, get: function () { throw new DOMException("access denied", "SecurityError"); }});` +
			// As a browser restoring the form's state on reload would
			// (Firefox does): a verdict checked before the page's script
			// runs, which has no mark for it.
			fmt.Sprintf(`new MutationObserver(function (ms, o) { var r = document.querySelector('#r%d input[value="same_person"]'); if (r && performance.getEntriesByType("navigation")[0].type === "reload") { r.checked = true; o.disconnect(); } }).observe(document, {childList: true, subtree: true});`, extra), "shown"},
		{"storage full", `(function () { var set = Storage.prototype.setItem; Storage.prototype.setItem = function (k, v) { if (k.indexOf(" probe") < 0) { throw new DOMException("full", "QuotaExceededError"); } return set.call(this, k, v); }; })();`, "hidden"},
	} {
		tab, closeTab := chromedp.NewContext(ctx)
		_, err := chromedp.Call(tab, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: c.script})
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitReady("#rows")); err != nil {
			t.Fatal(err)
		}
		var note string
		evalIn(tab, `document.getElementById("storage-note").hidden ? "hidden" : "shown"`, &note)
		if note != c.before {
			t.Errorf("%s: the notice is %s when the page opens, want %s", c.name, note, c.before)
		}
		err = chromedp.Do(tab,
			chromedp.Click(fmt.Sprintf(`#r%d input[value="same_person"]`, si)),
			chromedp.Click(fmt.Sprintf(`#r%d input[value="different_people"]`, di)),
		)
		if err != nil {
			t.Fatal(err)
		}
		checkMarks(t, tab, evalIn, c.name, rows, map[int]string{si: review.VerdictSame, di: review.VerdictDifferent}, "2 marks not downloaded yet", 0)
		var notes int
		var csvText string
		evalIn(tab, `Array.prototype.filter.call(document.querySelectorAll(".note"), function (n) { return !n.hidden; }).length`, &notes)
		evalIn(tab, `navsyncReview.stored() ? "" : document.getElementById("storage-note").textContent`, &note)
		evalIn(tab, `navsyncReview.csv()`, &csvText)
		if notes != 1 || !strings.Contains(note, "they are lost when you close or reload the page") {
			t.Errorf("%s: %d notices, the storage notice %q", c.name, notes, note)
		}
		if recs, err := csv.NewReader(strings.NewReader(csvText)).ReadAll(); err != nil || len(recs) != 3 || recs[1][0] != rows[min(si, di)][0] {
			t.Errorf("%s: reviews.csv %v\n%s", c.name, err, csvText)
		}
		// Lost on reload, as the page said: no row shows a mark the page
		// does not have (the browser restores a form's state on reload).
		if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitReady("#rows")); err != nil {
			t.Fatal(err)
		}
		checkMarks(t, tab, evalIn, c.name+", reloaded", rows, nil, "", 0)
		closeTab()
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
