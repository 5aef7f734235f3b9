package review

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/internal/htmltest"
	"github.com/navsync/navsync/matcher"
	"golang.org/x/net/html"
)

func TestPageContent(t *testing.T) {
	in := worldPage(t, 1500)
	raw, doc := render(t, in)

	if got := htmltest.Text(htmltest.Find(doc, "title")[0]); got != "navsync run 20261203T023000Z-ab12" {
		t.Errorf("title %q", got)
	}
	if !strings.Contains(htmltest.Text(doc), "This page holds personal data") {
		t.Error("no personal data notice")
	}
	// Self-contained: no element loads anything, nothing points outside
	// but the page's own anchors.
	for _, tag := range []string{"link", "img", "iframe", "object", "embed", "base", "form"} {
		if n := htmltest.Find(doc, tag); len(n) > 0 {
			t.Errorf("%d <%s> elements", len(n), tag)
		}
	}
	for _, a := range htmltest.Find(doc, "a") {
		if h := htmltest.Attr(a, "href"); !strings.HasPrefix(h, "#") {
			t.Errorf("a link to %q", h)
		}
	}
	scripts := htmltest.Find(doc, "script")
	if len(scripts) != 2 || htmltest.Attr(scripts[0], "type") != "application/json" || htmltest.Attr(scripts[1], "src") != "" {
		t.Fatalf("scripts: %d", len(scripts))
	}
	// The Content-Security-Policy allows exactly the page's script.
	var csp string
	for _, m := range htmltest.Find(doc, "meta") {
		if htmltest.Attr(m, "http-equiv") == "Content-Security-Policy" {
			csp = htmltest.Attr(m, "content")
		}
	}
	sum := sha256.Sum256([]byte(scripts[1].FirstChild.Data))
	if want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q lacks %q", csp, want)
	}

	// Run facts.
	facts := map[string]string{}
	for _, tr := range htmltest.Find(htmltest.Find(doc, "table", "class", "facts")[0], "tr") {
		facts[htmltest.Text(htmltest.Find(tr, "th")[0])] = htmltest.Text(htmltest.Find(tr, "td")[0])
	}
	for k, want := range map[string]string{"run id": "20261203T023000Z-ab12", "mode": "dry run: nothing was written to Salesforce",
		"duration": "1m35s", "org": "00D000000000001AAA", "status": "succeeded",
		"API calls": "31 sent as the integration user; 8 the writes would spend; the org's daily usage 5,018 of 100,000"} {
		if facts[k] != want {
			t.Errorf("fact %s = %q, want %q", k, facts[k], want)
		}
	}

	// Decisions by kind, as counted from the results.
	var m, p, n int
	for _, r := range in.Results {
		switch r.Decision {
		case matcher.DecisionMatch:
			m++
		case matcher.DecisionPossible:
			p++
		default:
			n++
		}
	}
	rows := tableRows(byID(t, doc, "decision-table"))
	if want := []string{"leads", num(int64(m)), num(int64(p)), num(int64(n))}; !slices.Equal(rows[0], want) {
		t.Errorf("decision row %v, want %v", rows[0], want)
	}
	// The histogram: bars for each decision present, the two thresholds.
	hist := htmltest.Find(byID(t, doc, "weights"), "svg")[0]
	classes := map[string]int{}
	for _, r := range htmltest.Find(hist, "rect") {
		classes[htmltest.Attr(r, "class")]++
	}
	if classes["cm"] == 0 || classes["cp"] == 0 || classes["cn"] == 0 {
		t.Errorf("histogram bars by class %v", classes)
	}
	var labels []string
	for _, tx := range htmltest.Find(hist, "text") {
		if htmltest.Attr(tx, "class") == "thl" {
			labels = append(labels, htmltest.Text(tx))
		}
	}
	if !slices.Equal(labels, []string{"review 0.2", "auto 0.95"}) || len(htmltest.Find(hist, "line", "class", "th")) != 2 {
		t.Errorf("threshold labels %v", labels)
	}
	// Blocking keys: a row per key with its pairs.
	rows = tableRows(byID(t, doc, "blocking-table"))
	if len(rows) != len(in.Stats.LeadBlocks) {
		t.Fatalf("%d blocking rows, want %d", len(rows), len(in.Stats.LeadBlocks))
	}
	for i, b := range in.Stats.LeadBlocks {
		if rows[i][0] != b.Key || rows[i][1] != num(b.Pairs) {
			t.Errorf("blocking row %v, want %s %d", rows[i], b.Key, b.Pairs)
		}
	}
	// Actions by kind and status; failures by code with the fix.
	rows = tableRows(byID(t, doc, "actions-table"))
	if !slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, []string{"writeback", "failed", "2"}) }) {
		t.Errorf("actions rows %v", rows)
	}
	rows = tableRows(byID(t, doc, "failures-table"))
	if len(rows) != 2 || rows[1][0] != "UNABLE_TO_LOCK_ROW" || !strings.Contains(rows[1][2], "the next run sends them again") ||
		rows[0][3] != hostile || rows[0][4] != hostile {
		t.Errorf("failures %v", rows)
	}
	rows = tableRows(byID(t, doc, "quota-table"))
	if len(rows) != 1 || !slices.Equal(rows[0], []string{"005A", "owner@acme.com", "2026-12", "3", "0", "997", "2026-12-03", "7", "993"}) {
		t.Errorf("quota %v", rows)
	}
	// Rejects by reason with file and line.
	rej := byID(t, doc, "rejects")
	if h := htmltest.Text(htmltest.Find(rej, "h3")[0]); h != "empty_lead_id: 1" && h != "wrong_column_count: 1" {
		t.Errorf("rejects heading %q", h)
	}
	var rejRows [][]string
	for _, tb := range htmltest.Find(rej, "table") {
		rejRows = append(rejRows, tableRows(tb)...)
	}
	if !slices.ContainsFunc(rejRows, func(r []string) bool { return r[0] == "/data/leads.csv" && r[1] == "7" && r[4] == hostile+",x" }) {
		t.Errorf("rejects %v", rejRows)
	}
	// Reviews.
	if s := htmltest.Text(byID(t, doc, "settled")); !strings.Contains(s, "Settled by review in this run: 3 pairs: 2 the same person") {
		t.Errorf("settled: %q", s)
	}
	if s := htmltest.Text(byID(t, doc, "precision")); !strings.Contains(s, "75.0%: 3 of the 4 reviewed pairs") {
		t.Errorf("precision: %q", s)
	}
	if rows := tableRows(byID(t, doc, "verdict-problems-table")); len(rows) != 1 || rows[0][1] != "4" || rows[0][2] != hostile {
		t.Errorf("verdict problems %v", rows)
	}

	// The queue: every possible pair (and low-margin matches), by
	// probability, each with both sides, its fields and waterfall.
	qs := htmltest.Find(byID(t, doc, "rows"), "div", "class", "q")
	if len(qs) == 0 || len(qs) < p {
		t.Fatalf("%d queue rows for %d possible", len(qs), p)
	}
	var data pageData
	if err := json.Unmarshal([]byte(scripts[0].FirstChild.Data), &data); err != nil {
		t.Fatalf("navsync-data: %v", err)
	}
	if len(data.Rows) != len(qs) || data.RunID != in.Run.RunID {
		t.Fatalf("navsync-data: %d rows, run %q; page %d rows", len(data.Rows), data.RunID, len(qs))
	}
	// The page's marks are kept in the browser under its run id and the
	// time it was written, to the nanosecond: another page of the same
	// run id has another key.
	gen, err := time.Parse(time.RFC3339Nano, data.Generated)
	if err != nil || time.Since(gen) > time.Hour || time.Since(gen) < 0 {
		t.Errorf("navsync-data: generated %q (%v)", data.Generated, err)
	}
	_, doc2 := render(t, in)
	var data2 pageData
	if err := json.Unmarshal([]byte(htmltest.Find(doc2, "script")[0].FirstChild.Data), &data2); err != nil || data2.Generated == data.Generated {
		t.Errorf("two pages of run %s: generated %q and %q (%v)", in.Run.RunID, data.Generated, data2.Generated, err)
	}
	// The controls the script keeps marks with: the count not downloaded,
	// clearing (which asks first), the notices.
	for _, id := range []string{"marked", "unsaved", "download", "clear", "clear-ask", "clear-yes", "clear-no", "storage-note", "restored"} {
		byID(t, doc, id)
	}
	for _, id := range []string{"clear-ask", "storage-note", "restored"} {
		if n := byID(t, doc, id); !slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == "hidden" }) {
			t.Errorf("#%s is shown before the script runs", id)
		}
	}
	byLead := map[string]*matcher.LeadResult{}
	for i := range in.Results {
		byLead[in.Results[i].LeadID] = &in.Results[i]
	}
	prev := 2.0
	hostileSeen := false
	for i, q := range qs {
		if htmltest.Attr(q, "id") != "r"+strconv.Itoa(i) || htmltest.Attr(q, "data-i") != strconv.Itoa(i) {
			t.Fatalf("row %d: id %q", i, htmltest.Attr(q, "id"))
		}
		lr := byLead[data.Rows[i][0]]
		if lr == nil || lr.CRMID != data.Rows[i][1] {
			t.Fatalf("row %d: pair %v is not a decision of the run", i, data.Rows[i])
		}
		if lr.Probability > prev {
			t.Errorf("row %d: probability %v after %v (not sorted)", i, lr.Probability, prev)
		}
		prev = lr.Probability
		if got := htmltest.Text(htmltest.Find(q, "span", "class", "p")[0]); got != strconv.FormatFloat(lr.Probability, 'f', 3, 64) {
			t.Errorf("row %d: probability %q, want %v", i, got, lr.Probability)
		}
		radios := htmltest.Find(q, "input")
		if len(radios) != 3 || htmltest.Attr(radios[1], "value") != "same_person" || htmltest.Attr(radios[2], "value") != "different_people" {
			t.Errorf("row %d: verdict inputs %d", i, len(radios))
		}
		fields := htmltest.Find(htmltest.Find(q, "table")[0], "tbody")[0]
		trs := htmltest.Find(fields, "tr")
		if len(trs) != len(matcher.LeadFields)+4 {
			t.Fatalf("row %d: %d evidence rows", i, len(trs))
		}
		for f, fs := range lr.Fields {
			cells := htmltest.Find(trs[f], "td")
			if htmltest.Text(cells[0]) != fs.Field || htmltest.Text(cells[3]) != fs.Level || htmltest.Text(cells[4]) != signed(fs.Weight) {
				t.Errorf("row %d field %d: %q %q %q, want %+v", i, f, htmltest.Text(cells[0]), htmltest.Text(cells[3]), htmltest.Text(cells[4]), fs)
			}
		}
		// The waterfall: the prior, the fields that weigh, the total.
		wf := htmltest.Find(q, "svg")[0]
		var steps []string
		for _, tx := range htmltest.Find(wf, "text") {
			steps = append(steps, htmltest.Text(tx))
		}
		nonzero := 0
		for _, fs := range lr.Fields {
			if fs.Weight != 0 {
				nonzero++
			}
		}
		if steps[0] != "prior" || steps[len(steps)-1] != "= "+strconv.FormatFloat(lr.Probability, 'f', 3, 64) || len(steps) < nonzero+2 {
			t.Errorf("row %d: waterfall %v", i, steps)
		}
		if data.Rows[i][0] == hostileID {
			hostileSeen = true
			// The hostile values are text, in the name, company and owner.
			names := htmltest.Find(q, "b", "class", "nm")
			if htmltest.Text(names[0]) != hostile+" "+in.Leads[len(in.Leads)-1].LastName {
				t.Errorf("hostile name shows as %q", htmltest.Text(names[0]))
			}
			if htmltest.Attr(q, "data-o") != strings.ToLower(`"><svg onload=alert(1)>@x.com`) {
				t.Errorf("hostile owner attribute %q", htmltest.Attr(q, "data-o"))
			}
		}
	}
	if !hostileSeen {
		t.Error("the hostile lead is not in the queue")
	}
	// Nothing the inputs held became markup: no event handler attribute,
	// no element but the template's.
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
			if n.Data == "svg" && htmltest.Attr(n, "class") != "chart" || n.Data == "b" && htmltest.Attr(n, "class") != "nm" {
				t.Errorf("an element <%s> the template does not write", n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if strings.Contains(string(raw), "<img") || strings.Contains(string(raw), "</script><script>") {
		t.Error("a hostile value is in the page unescaped")
	}
}

func TestPageQueueCap(t *testing.T) {
	in := worldPage(t, 1500)
	possible := 0
	for _, r := range in.Results {
		if r.Decision == matcher.DecisionPossible {
			possible++
		}
	}
	in.MaxRows = 10
	_, doc := render(t, in)
	if n := len(htmltest.Find(byID(t, doc, "rows"), "div", "class", "q")); n != 10 {
		t.Errorf("%d rows, want the cap 10", n)
	}
	if s := htmltest.Text(byID(t, doc, "left-out")); s != fmt.Sprintf("%s possible pairs are not on this page", num(int64(possible-9))) {
		t.Errorf("left out: %q (of %d possible; 9 on the page beside a match)", s, possible)
	}
	// Settled leads are not in the queue.
	in.MaxRows = 0
	in.Settled = map[string]bool{}
	for _, r := range in.Results {
		if r.Decision == matcher.DecisionPossible {
			in.Settled[r.LeadID] = true
		}
	}
	_, doc = render(t, in)
	for _, q := range htmltest.Find(byID(t, doc, "rows"), "div", "class", "q") {
		if findClass(q, "span", "d")[0].FirstChild.Data != "match" {
			t.Fatal("a settled lead is in the queue")
		}
	}
}

// Values of any length and content keep the page bounded: each value is
// cut to a few lines, and rows whose ids (kept whole for reviews.csv) would
// pass the page's budget are left to matches.parquet.
func TestPageHugeValues(t *testing.T) {
	big := strings.Repeat(`<"&'>`, 200000)  // 1 MB, escaping to 4.6 MB
	idTail := strings.Repeat(`<"&'>`, 4000) // 20 kB ids
	var in Input
	in.AutoThreshold, in.ReviewThreshold = 0.95, 0.2
	for i := range 600 {
		id := strconv.Itoa(i)
		lid := "L" + id + idTail
		if i == 0 {
			lid = "L0" + big + big + big + big // a 4 MB id: its row alone passes the budget
		}
		in.Leads = append(in.Leads, matcher.Lead{LeadID: lid, FirstName: big, LastName: big, Email: big, CurrentCompany: big, City: big,
			OwnerEmail: big, PastCompanies: []string{big, big}})
		in.People = append(in.People, matcher.Person{ID: "003" + id, Object: "Contact", FirstName: big, LastName: big, Company: big, Title: big})
		in.Results = append(in.Results, matcher.LeadResult{LeadID: lid, Decision: matcher.DecisionPossible, CRMID: "003" + id,
			Probability: 0.9 - float64(i)/1000, Reason: big, Fields: []matcher.FieldScore{{Field: "email", Level: "exact", Weight: 3}}})
		in.Rejects = append(in.Rejects, input.Reject{File: big, Line: i, Reason: "wrong_column_count", Raw: big, Detail: big})
	}
	raw, doc := render(t, &in)
	if len(raw) > 20<<20 {
		t.Errorf("page of %d MB", len(raw)>>20)
	}
	rows := htmltest.Find(byID(t, doc, "rows"), "div", "class", "q")
	if n := len(rows); n < 50 || n == 600 {
		t.Errorf("%d rows: want many, cut by the page's budget", n)
	}
	if htmltest.Attr(rows[0], "id") != "r0" || !strings.HasPrefix(htmltest.Text(findClass(rows[0], "span", "id")[0]), "lead L1<") {
		t.Errorf("the first row is not lead L1 (L0's 4 MB id is left out)")
	}
	if !strings.Contains(htmltest.Text(byID(t, doc, "queue")), "stays under about 20 MB") {
		t.Error("the page does not say rows were left out for its size")
	}
	t.Logf("page %.1f MB, %d rows", float64(len(raw))/(1<<20), len(rows))
}

func TestPageMatchCommand(t *testing.T) {
	in := worldPage(t, 500)
	in.Run = Run{Command: "match", RunID: "m1"}
	in.Actions, in.Quota, in.Reviews = nil, nil, nil
	_, doc := render(t, in)
	for _, id := range []string{"actions", "quota", "reviews"} {
		var found bool
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			found = found || n.Type == html.ElementNode && htmltest.Attr(n, "id") == id
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if found {
			t.Errorf("a match page has #%s", id)
		}
	}
	if len(htmltest.Find(byID(t, doc, "rows"), "div", "class", "q")) == 0 {
		t.Error("a match page has no queue")
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := WriteFile(path, worldPage(t, 300)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 || fi.Size() == 0 {
		t.Fatalf("%v %v", fi, err)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "no", "such", FileName), &Input{}); err == nil {
		t.Error("no error writing into a missing folder")
	}
}

// Matches join the queue only under MatchMargin bits above the auto
// threshold (or ahead of the runner-up), the smallest margins first, at
// most a tenth of the cap.
func TestQueueLowMarginMatches(t *testing.T) {
	in := &Input{AutoThreshold: 0.95, MaxRows: 30}
	wa := bitsOf(in.AutoThreshold)
	add := func(id string, d matcher.Decision, w float64) {
		in.Results = append(in.Results, matcher.LeadResult{LeadID: id, CRMID: "C" + id, Decision: d, MatchWeight: w,
			Probability: 1 / (1 + math.Exp2(-w))})
	}
	for i := range 1000 {
		add(fmt.Sprintf("far%04d", i), matcher.DecisionMatch, wa+MatchMargin+1+float64(i%7))
	}
	for i, m := range []float64{3.5, 0.5, 2, 1, 3.9, 0.1} {
		add(fmt.Sprintf("near%d", i), matcher.DecisionMatch, wa+m)
	}
	add("p1", matcher.DecisionPossible, wa-1)
	q, _ := queue(in)
	var got []string
	for _, r := range q.Rows {
		got = append(got, r.LeadID)
	}
	// cap 30: 3 matches at most, the three smallest margins (0.1, 0.5, 1),
	// then ordered with the possible pair by probability.
	want := []string{"near3", "near1", "near5", "p1"}
	if !slices.Equal(got, want) || q.Matches != 3 {
		t.Errorf("queue %v (%d matches), want %v", got, q.Matches, want)
	}
}
