package review

import (
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/internal/numfmt"
	"github.com/navsync/navsync/matcher"
)

//go:embed page.tmpl
var pageTemplate string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// The page's script and style are part of the template's text (never data),
// so html/template writes them as they are; the script's hash is what the
// Content-Security-Policy allows. (html/template drops comments from a
// script, which would change its hash: page.js has none.)
var (
	tmpl      *template.Template
	scriptCSP string
)

func init() {
	if strings.Contains(pageJS, "{{") || strings.Contains(pageCSS, "{{") || strings.Contains(pageJS, "</") {
		panic("review: page.js or page.css holds {{ or </")
	}
	src := strings.NewReplacer("/*PAGE_CSS*/", pageCSS, "/*PAGE_JS*/", pageJS).Replace(pageTemplate)
	tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
		"num":  func(v any) string { return num(toInt64(v)) },
		"pct":  func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
		"prob": func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) },
		"bits": func(v float64) string { return signed(v) },
		"add":  func(a, b int) int { return a + b },
		"sub":  func(a, b int) int { return a - b },
	}).Parse(src))
	sum := sha256.Sum256([]byte(pageJS))
	scriptCSP = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Write writes the page of in to w.
func Write(w io.Writer, in *Input) error {
	v := build(in)
	return tmpl.Execute(w, v)
}

// maxValue bounds a value shown on the page (in runes): a 4 MiB field of a
// hostile export must not make a page of gigabytes.
const maxValue = 120

// rowBudget bounds the review rows' escaped values, in bytes: with the
// markup around them the page stays under about 20 MB whatever the values.
const rowBudget = 9 << 20

// maxReason bounds a decision's reason: the matcher's words, with an id
// or two.
const maxReason = 400

// clip cuts s to maxValue runes.
func clip(s string) string { return clipN(s, maxValue) }

func clipN(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// escapedLen estimates the bytes s takes once escaped in HTML.
func escapedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '"', '\'', '+', '\x00', '\\':
			n += 5 // &#34; in HTML, \u003c in JSON
		}
	}
	return n
}

func num(v int64) string { return numfmt.Thousands(v) }

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return 0
}

func signed(v float64) string {
	if v >= 0 {
		return "+" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

type fact struct{ K, V string }

type kv struct {
	K string
	N int
}

type view struct {
	Title     string
	CSP       string
	IsRun     bool
	Run       Run
	Facts     []fact
	Decisions *chart
	DecRows   []decRow
	Hist      *chart
	HistN     int
	HistNone  int
	Blocks    []matcher.BlockStats
	BlockC    *chart
	Pairs     int64
	Files     []input.FileStat
	Actions   *actionsView
	Quota     []quotaRow
	Rejects   []rejectGroup
	RejectN   int
	Reviews   *Reviews
	Queue     queueView
	Data      pageData
	Auto      float64
	Review    float64
	Prior     float64
	Generated string
}

type decRow struct {
	Kind                  string
	Match, Possible, None int
}

type actionsView struct {
	Rows     []actionCount
	Chart    *chart
	Failures []failure
	Skips    []kv
	Total    int
}

type actionCount struct {
	Kind, Status string
	N            int
}

type failure struct {
	Code, Fix, Message string
	N                  int
	Leads              []string
}

type quotaRow struct {
	Quota
	Username string
}

type rejectGroup struct {
	Reason   string
	N        int
	Examples []input.Reject
}

type queueView struct {
	Rows      []row
	Possible  int // possible decisions in the run
	Shown     int
	LeftOut   int // possible pairs not on the page
	Matches   int // low-margin matches shown
	Cap       int
	Budget    bool // rows left out to keep the page small
	Reasons   []kv
	Owners    []kv
	Truncated bool
}

type row struct {
	I          int
	LeadID     string
	CRMID      string
	Object     string
	Decision   string
	DClass     string
	P          float64
	Margin     string
	RunnerUp   string
	RunnerUpP  float64
	Reason     string
	ReasonCode string
	Owner      string
	Account    string // lower-cased account names and ids, for the filter
	LeadName   string
	LeadCo     string
	CRMName    string
	CRMCo      string
	Fields     []fieldRow
	Context    []fieldRow
	Keys       string
	Waterfall  *chart
}

type fieldRow struct {
	Name, Lead, CRM, Level, LClass string
	Weight                         float64
	HasWeight                      bool
}

// pageData is the JSON the page's script reads: the pairs of the queue,
// by row, for reviews.csv. The run id and the time the page was written
// (to the nanosecond) name this page's marks in the browser's localStorage,
// so no two pages share them. The script keeps there, on every mark, only
// each marked pair's lead and CRM ids, its verdict and time, and whether a
// download held it (no name, not the reviewer's); it restores them when the
// page opens, a mark of a pair not on the page kept for the download. When
// the browser refuses storage the page says once that marks are lost on
// close, and keeps them in memory.
type pageData struct {
	RunID     string      `json:"run_id"`
	Generated string      `json:"generated"`
	Rows      [][2]string `json:"rows"`
}

func build(in *Input) *view {
	now := time.Now().UTC()
	v := &view{CSP: scriptCSP, Run: in.Run, Auto: in.AutoThreshold, Review: in.ReviewThreshold, Prior: in.LeadPrior,
		Files: in.Files, Reviews: in.Reviews, Generated: now.Format("2006-01-02 15:04:05 UTC")}
	v.IsRun = in.Run.Command != "match"
	v.Title = "navsync " + cmp.Or(in.Run.Command, "run") + " " + in.Run.RunID
	v.Facts = facts(in)

	// Decisions by kind.
	var lead, acct decRow
	lead.Kind, acct.Kind = "leads", "accounts"
	for i := range in.Results {
		countDecision(&lead, in.Results[i].Decision)
	}
	for i := range in.Companies {
		countDecision(&acct, in.Companies[i].Decision)
	}
	v.DecRows = []decRow{lead}
	if len(in.Companies) > 0 {
		v.DecRows = append(v.DecRows, acct)
	}
	var bars []barRow
	for _, d := range v.DecRows {
		bars = append(bars, barRow{Label: d.Kind, Parts: []barPart{{"match", "cm", int64(d.Match)}, {"possible", "cp", int64(d.Possible)},
			{"none", "cn", int64(d.None)}}})
	}
	v.Decisions = stackedBars("decisions by kind", bars)
	v.Hist, v.HistN = histogram(in.Results, in.AutoThreshold, in.ReviewThreshold)
	v.HistNone = len(in.Results) - v.HistN

	// Blocking keys.
	v.Blocks = in.Stats.LeadBlocks
	v.Pairs = in.Stats.CandidatePairs
	var kb []barRow
	for _, b := range in.Stats.LeadBlocks {
		kb = append(kb, barRow{Label: b.Key, Parts: []barPart{{"pairs", "cb", b.Pairs}}})
	}
	if len(kb) > 0 {
		v.BlockC = stackedBars("candidate pairs per blocking key", kb)
	}

	if in.Actions != nil {
		v.Actions = actions(in.Actions)
	}
	users := map[string]string{}
	for _, u := range in.Users {
		users[u.ID] = u.Username
	}
	for _, q := range in.Quota {
		v.Quota = append(v.Quota, quotaRow{Quota: q, Username: clip(users[q.UserID])})
	}
	v.Rejects, v.RejectN = rejects(in.Rejects)
	if r := in.Reviews; r != nil {
		// Verdict lines name what their files held: clipped like any value.
		c := *r
		c.Problems = make([]VerdictProblem, 0, min(len(r.Problems), 1000))
		for _, p := range r.Problems[:min(len(r.Problems), 1000)] {
			c.Problems = append(c.Problems, VerdictProblem{File: clip(p.File), Line: p.Line, LeadID: clip(p.LeadID), CRMID: clip(p.CRMID), Problem: clip(p.Problem)})
		}
		c.NotApplied = make([]NotApplied, 0, min(len(r.NotApplied), 1000))
		for _, n := range r.NotApplied[:min(len(r.NotApplied), 1000)] {
			c.NotApplied = append(c.NotApplied, NotApplied{LeadID: clip(n.LeadID), CRMID: clip(n.CRMID), Probability: n.Probability, Why: n.Why})
		}
		v.Reviews = &c
	}
	v.Queue, v.Data = queue(in)
	v.Data.RunID = in.Run.RunID
	v.Data.Generated = now.Format(time.RFC3339Nano)
	return v
}

func countDecision(d *decRow, dec matcher.Decision) {
	switch dec {
	case matcher.DecisionMatch:
		d.Match++
	case matcher.DecisionPossible:
		d.Possible++
	default:
		d.None++
	}
}

func facts(in *Input) []fact {
	r := in.Run
	var fs []fact
	add := func(k, v string) {
		if v != "" {
			fs = append(fs, fact{k, v})
		}
	}
	add("run id", r.RunID)
	add("command", "navsync "+cmp.Or(r.Command, "run"))
	if r.Command != "match" {
		mode := "real run"
		if r.DryRun {
			mode = "dry run: nothing was written to Salesforce"
		}
		add("mode", mode)
	}
	add("status", r.Status)
	if !r.Started.IsZero() {
		add("started", r.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if !r.Ended.IsZero() && !r.Started.IsZero() {
		add("duration", r.Ended.Sub(r.Started).Round(100*time.Millisecond).String())
	}
	add("org", r.OrgID)
	add("instance", r.InstanceURL)
	add("API version", r.APIVersion)
	if c := r.APICalls; c != nil {
		what := "spent on writes"
		if c.Estimated {
			what = "the writes would spend"
		}
		s := fmt.Sprintf("%s sent as the integration user; %s %s", num(c.Spent), num(c.WriteCalls), what)
		if c.OwnerCalls > 0 {
			s += fmt.Sprintf(" (%s with the owners' own tokens)", num(c.OwnerCalls))
		}
		if c.OrgMax > 0 {
			s += fmt.Sprintf("; the org's daily usage %s of %s", num(int64(c.OrgUsed)), num(int64(c.OrgMax)))
		}
		add("API calls", s)
	}
	add("thresholds", fmt.Sprintf("auto %g, review %g (prior of a pair %s bits)", in.AutoThreshold, in.ReviewThreshold, signed(in.LeadPrior)))
	if len(r.Stages) > 0 {
		var ss []string
		for _, s := range r.Stages {
			ss = append(ss, fmt.Sprintf("%s %.1fs", s.Name, s.Seconds))
		}
		add("stages", strings.Join(ss, ", "))
	}
	add("safety brake", r.Brake)
	add("error", clip(r.Error))
	return fs
}

// actions counts actions by kind and status, failures by error code with
// the fix, skips by reason.
func actions(seq func(func(Action) bool)) *actionsView {
	av := &actionsView{}
	type ks struct{ kind, status string }
	byKS := map[ks]int{}
	fails := map[string]*failure{}
	skips := map[string]int{}
	for a := range seq {
		av.Total++
		byKS[ks{a.Kind, a.Status}]++
		if a.Status == "skipped" && a.Reason != "" {
			skips[a.Reason]++
		}
		if a.ErrorCode != "" && (a.Status == "failed" || a.Status == "unknown") {
			f := fails[a.ErrorCode]
			if f == nil {
				f = &failure{Code: clip(a.ErrorCode), Fix: ErrorFix(a.ErrorCode), Message: clip(a.ErrorMessage)}
				fails[a.ErrorCode] = f
			}
			f.N++
			if len(f.Leads) < 5 {
				f.Leads = append(f.Leads, clip(a.LeadID))
			}
		}
	}
	for k, n := range byKS {
		av.Rows = append(av.Rows, actionCount{k.kind, k.status, n})
	}
	slices.SortFunc(av.Rows, func(a, b actionCount) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), cmp.Compare(b.N, a.N), strings.Compare(a.Status, b.Status))
	})
	for _, f := range fails {
		av.Failures = append(av.Failures, *f)
	}
	slices.SortFunc(av.Failures, func(a, b failure) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Code, b.Code)) })
	av.Skips = sortedCounts(skips)
	kinds := map[string][]barPart{}
	for _, r := range av.Rows {
		kinds[r.Kind] = append(kinds[r.Kind], barPart{Name: r.Status, Class: statusClass(r.Status), N: int64(r.N)})
	}
	var bars []barRow
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		bars = append(bars, barRow{Label: k, Parts: kinds[k]})
	}
	if len(bars) > 0 {
		av.Chart = stackedBars("actions by kind and status", bars)
	}
	return av
}

func statusClass(s string) string {
	switch s {
	case "done", "would_update", "would_create":
		return "cm"
	case "failed", "unknown":
		return "cf"
	case "not_sent":
		return "cp"
	}
	return "cn"
}

func sortedCounts(m map[string]int) []kv {
	out := make([]kv, 0, len(m))
	for k, n := range m {
		out = append(out, kv{k, n})
	}
	slices.SortFunc(out, func(a, b kv) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.K, b.K)) })
	return out
}

// rejects groups rejects by reason, with the first few of each.
func rejects(rs []input.Reject) ([]rejectGroup, int) {
	by := map[string]*rejectGroup{}
	for i := range rs {
		r := &rs[i]
		g := by[r.Reason]
		if g == nil {
			g = &rejectGroup{Reason: r.Reason}
			by[r.Reason] = g
		}
		g.N++
		if len(g.Examples) < 20 {
			g.Examples = append(g.Examples, input.Reject{File: clip(r.File), Line: r.Line, LeadID: clip(r.LeadID), Reason: r.Reason,
				Detail: clip(r.Detail), Raw: clip(r.Raw)})
		}
	}
	out := make([]rejectGroup, 0, len(by))
	for _, g := range by {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b rejectGroup) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Reason, b.Reason)) })
	return out, len(rs)
}

// reasonCode is the filterable part of a reason: the text before its
// first colon or semicolon.
func reasonCode(r string) string {
	if i := strings.IndexAny(r, ":;"); i >= 0 {
		r = r[:i]
	}
	r = strings.TrimSpace(r)
	if utf8.RuneCountInString(r) > 40 {
		r = clip(r)[:40]
	}
	return cmp.Or(r, "(none)")
}

// MatchMargin is the margin in bits under which a match is reviewed too:
// fewer bits above the auto threshold, or ahead of its runner-up.
const MatchMargin = 4.0

// queue picks the review rows: every possible pair, and the matches with
// the smallest margins (under MatchMargin, a tenth of the cap at most),
// sorted by probability, within the cap and the page's byte budget.
func queue(in *Input) (queueView, pageData) {
	capRows := cmp.Or(in.MaxRows, DefaultMaxRows)
	q := queueView{Cap: capRows}
	wa := bitsOf(in.AutoThreshold)
	var poss, matches []int
	margins := map[int]float64{}
	for i := range in.Results {
		r := &in.Results[i]
		if in.Settled[r.LeadID] || r.CRMID == "" {
			continue
		}
		switch r.Decision {
		case matcher.DecisionPossible:
			poss = append(poss, i)
		case matcher.DecisionMatch:
			matches = append(matches, i)
		}
	}
	q.Possible = len(poss)
	byP := func(a, b int) int {
		ra, rb := &in.Results[a], &in.Results[b]
		return cmp.Or(cmp.Compare(rb.Probability, ra.Probability), strings.Compare(ra.LeadID, rb.LeadID))
	}
	slices.SortFunc(poss, byP)
	nMatch := min(len(matches), capRows/10)
	if nMatch > 0 {
		margin := func(i int) float64 {
			r := &in.Results[i]
			m := r.MatchWeight - wa
			if r.RunnerUpID != "" {
				m = min(m, r.MatchWeight-bitsOf(r.RunnerUpProbability))
			}
			return m
		}
		// Only matches under MatchMargin can be shown: keep those before
		// sorting (most of a large run's matches are far above it).
		ms := make(map[int]float64)
		near := matches[:0]
		for _, i := range matches {
			if m := margin(i); m < MatchMargin {
				ms[i] = m
				near = append(near, i)
			}
		}
		matches = near
		slices.SortFunc(matches, func(a, b int) int {
			return cmp.Or(cmp.Compare(ms[a], ms[b]), strings.Compare(in.Results[a].LeadID, in.Results[b].LeadID))
		})
		matches = matches[:min(nMatch, len(matches))]
		for _, i := range matches {
			margins[i] = ms[i]
		}
	} else {
		matches = nil
	}
	nPoss := min(len(poss), capRows-len(matches))
	pick := append(slices.Clip(poss[:nPoss]), matches...)
	slices.SortFunc(pick, byP)

	// The CRM side of the pairs.
	need := map[string]int{}
	for _, i := range pick {
		need[in.Results[i].CRMID] = -1
	}
	for j := range in.People {
		if _, ok := need[in.People[j].ID]; ok {
			need[in.People[j].ID] = j
		}
	}
	acctName := map[string]string{}
	for _, i := range pick {
		if j := need[in.Results[i].CRMID]; j >= 0 && in.People[j].AccountID != "" {
			acctName[in.People[j].AccountID] = ""
		}
		if a := in.Results[i].AccountID; a != "" {
			acctName[a] = ""
		}
	}
	for j := range in.Accounts {
		if _, ok := acctName[in.Accounts[j].ID]; ok {
			acctName[in.Accounts[j].ID] = in.Accounts[j].Name
		}
	}

	reasons, owners := map[string]int{}, map[string]int{}
	var data pageData
	used := 0
	for _, i := range pick {
		r := &in.Results[i]
		var l *matcher.Lead
		if i < len(in.Leads) {
			l = &in.Leads[i]
		} else {
			l = &matcher.Lead{LeadID: r.LeadID}
		}
		var p *matcher.Person
		if j := need[r.CRMID]; j >= 0 {
			p = &in.People[j]
		} else {
			p = &matcher.Person{ID: r.CRMID, Object: r.CRMObject}
		}
		rw := makeRow(len(q.Rows), in, r, l, p, acctName)
		if m, ok := margins[i]; ok {
			rw.Margin = signed(m) + " bits"
		}
		// The pair's ids go whole into the page's data (reviews.csv needs
		// them as they are), escaped as JSON.
		size := 1800 + rowSize(&rw) + escapedLen(r.LeadID) + escapedLen(r.CRMID)
		if used+size > rowBudget {
			q.Budget = true
			continue
		}
		used += size
		reasons[rw.ReasonCode]++
		if rw.Owner != "" {
			owners[rw.Owner]++
		}
		q.Rows = append(q.Rows, rw)
		data.Rows = append(data.Rows, [2]string{r.LeadID, r.CRMID})
		if r.Decision == matcher.DecisionMatch {
			q.Matches++
		}
	}
	q.Shown = len(q.Rows)
	q.LeftOut = q.Possible - (q.Shown - q.Matches)
	q.Reasons = sortedCounts(reasons)
	q.Owners = sortedCounts(owners)
	slices.SortFunc(q.Owners, func(a, b kv) int { return strings.Compare(a.K, b.K) })
	return q, data
}

func rowSize(r *row) int {
	n := 0
	for _, s := range []string{r.LeadID, r.CRMID, r.Reason, r.Owner, r.Account, r.LeadName, r.LeadCo, r.CRMName, r.CRMCo, r.RunnerUp} {
		n += escapedLen(s)
	}
	for _, f := range append(r.Fields, r.Context...) {
		n += escapedLen(f.Lead) + escapedLen(f.CRM) + 60
	}
	if r.Waterfall != nil {
		n += 90 * (len(r.Waterfall.Rects) + len(r.Waterfall.Texts))
	}
	return n
}

// join joins the non-empty parts with ", ", each clipped first (a part
// may be megabytes long).
func join(parts ...string) string { return joinSep(", ", parts...) }

func joinSep(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(clip(p)); p != "" {
			out = append(out, p)
		}
	}
	return clip(strings.Join(out, sep))
}

func levelClass(level string) string {
	switch level {
	case "exact":
		return "le"
	case "missing", "":
		return "lm"
	case "different":
		return "ld"
	}
	return "lf"
}

func makeRow(idx int, in *Input, r *matcher.LeadResult, l *matcher.Lead, p *matcher.Person, acctName map[string]string) row {
	rw := row{I: idx, LeadID: clip(r.LeadID), CRMID: clip(r.CRMID), Object: p.Object, Decision: string(r.Decision),
		DClass: decisionClass(r.Decision), P: r.Probability, RunnerUp: clip(r.RunnerUpID), RunnerUpP: r.RunnerUpProbability,
		Reason: clipN(r.Reason, maxReason), ReasonCode: reasonCode(clip(r.Reason)), Owner: strings.ToLower(strings.TrimSpace(clip(l.OwnerEmail))),
		LeadName: joinSep(" ", l.FirstName, l.LastName), LeadCo: join(l.CurrentCompany, l.CurrentTitle),
		CRMName: joinSep(" ", p.FirstName, p.LastName), CRMCo: join(p.Company, p.Title),
		Keys: joinSep(", ", r.BlockingKeys...)}
	if r.Decision == matcher.DecisionMatch && r.Reason == "" {
		rw.ReasonCode = "match"
	}
	rw.Account = strings.ToLower(joinSep("|", p.Company, p.AccountID, acctName[p.AccountID], r.AccountID, acctName[r.AccountID]))
	lead := map[string]string{
		"email": l.Email, "phone": l.Phone, "first_name": l.FirstName, "last_name": l.LastName,
		"current_company": join(l.CurrentCompany, l.CurrentCompanyDomain), "current_title": l.CurrentTitle,
		"past_company": joinSep(" | ", l.PastCompanies...), "past_title": joinSep(" | ", l.PastTitles...),
	}
	crm := map[string]string{
		"email": p.Email, "phone": join(p.Phone, p.MobilePhone), "first_name": p.FirstName, "last_name": p.LastName,
		"current_company": join(p.Company, p.Website), "current_title": p.Title, "past_company": p.Company, "past_title": p.Title,
	}
	for _, f := range r.Fields {
		rw.Fields = append(rw.Fields, fieldRow{Name: f.Field, Lead: clip(lead[f.Field]), CRM: clip(crm[f.Field]), Level: f.Level,
			LClass: levelClass(f.Level), Weight: f.Weight, HasWeight: true})
	}
	rw.Context = []fieldRow{
		{Name: "location", Lead: clip(join(l.City, l.State, l.Country)), CRM: clip(join(p.City, p.State, p.Country))},
		{Name: "record", Lead: clip(join(l.LeadID, l.ProfileURL)), CRM: clip(join(p.Object, p.ID, converted(p)))},
		{Name: "account", Lead: clip(join(r.AccountID, acctName[r.AccountID])), CRM: clip(join(p.AccountID, acctName[p.AccountID]))},
		{Name: "owner / list", Lead: clip(join(l.OwnerEmail, l.LeadList))},
	}
	if len(r.Fields) > 0 {
		rw.Waterfall = waterfall(in.LeadPrior, r.Fields, r.MatchWeight, r.Probability)
	}
	return rw
}

func converted(p *matcher.Person) string {
	if p.IsConverted {
		return "converted to " + clip(p.ConvertedContactID)
	}
	return ""
}

// ErrorFix is a one-line fix for a Salesforce error code of a failed
// action.
func ErrorFix(code string) string {
	switch code {
	case "INSUFFICIENT_ACCESS_OR_READONLY", "INSUFFICIENT_ACCESS", "INSUFFICIENT_PRIVILEGES":
		return "give the user's profile edit access to the object and fields (the integration user's for writebacks, the owner's for contacts)"
	case "CANNOT_UPDATE_CONVERTED_LEAD":
		return "converted Leads are read-only; navsync writes to the converted Contact"
	case "UNABLE_TO_LOCK_ROW":
		return "records stayed locked by other jobs through every retry; the next run sends them again"
	case "INVALID_FIELD_FOR_INSERT_UPDATE", "INVALID_FIELD", "NO_SUCH_COLUMN":
		return "deploy the writeback field or grant field-level edit access"
	case "STRING_TOO_LONG":
		return "a value is longer than the field; widen the field"
	case "FIELD_CUSTOM_VALIDATION_EXCEPTION":
		return "a validation rule refused the change; see error_message in actions.parquet"
	case "ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND":
		return "the record was deleted after the snapshot"
	case "REQUEST_LIMIT_EXCEEDED":
		return "the org's daily API limit is spent; the next run resumes"
	case "DUPLICATES_DETECTED":
		return "the org's duplicate rules found the Contact: see possible_duplicate in actions.parquet"
	case "API_DISABLED_FOR_ORG":
		return "grant \"API Enabled\" to the user's profile (the owner's, for contacts)"
	}
	return "see error_message in actions.parquet"
}
