package batch

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/batch/review"
	"github.com/navsync/navsync/internal/duckdbtest"
	"github.com/navsync/navsync/internal/parquettest"
	"github.com/navsync/navsync/matcher"
)

func readParquet(t *testing.T, path string) *parquettest.Table {
	t.Helper()
	return parquettest.Read(t, path)
}

// column is a column's name, Arrow type and nullability.
type column struct {
	name, typ string
	nullable  bool
}

func columns(p *parquettest.Table) []column {
	var out []column
	for _, f := range p.Schema.Fields() {
		out = append(out, column{f.Name, f.Type.String(), f.Nullable})
	}
	return out
}

// runFolderFixture is a small hand-made run: what writeRunFolder gets.
type runFolderFixture struct {
	started time.Time
	sum     *RunSummary
	res     *matcher.Result
	rejects []input.Reject
	actions []ActionRow
	quota   []QuotaRow
}

func newRunFolderFixture(runID string, started time.Time, dry bool) *runFolderFixture {
	at := started.Add(90 * time.Second)
	fields := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	usage := func(o Outcome, used int) Outcome {
		o.AttemptedAt, o.UsageUsed, o.UsageMax = at, used, 100000
		return o
	}
	acts := []ActionRow{
		{Action: Action{Seq: 0, LeadID: "L1", Kind: KindWriteback, Object: "Contact", TargetID: "003A", MatchedID: "003A", ParentID: "001A",
			Fields: fields(fLead, "L1", fURL, "https://www.linkedin.com/in/l1")},
			Outcome: usage(Outcome{Status: StatusDone}, 5011)},
		{Action: Action{Seq: 1, LeadID: "L2", Kind: KindWriteback, Object: "Lead", TargetID: "00QB", MatchedID: "00QB",
			Fields: fields(fLead, "L2")},
			Outcome: usage(Outcome{Status: StatusFailed, ErrorCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION",
				ErrorMessage: "LinkedIn URL must start with https://"}, 5011)},
		{Action: Action{Seq: 2, LeadID: "L3", Kind: KindWriteback, Object: "Contact", TargetID: "003C", MatchedID: "003C",
			Skip: true, Reason: ReasonConflict, Detail: "the record holds a different non-empty value in " + fLead},
			Outcome: Outcome{Status: StatusSkipped}},
		{Action: Action{Seq: 3, LeadID: "L4", Kind: KindWriteback, Object: "Contact", TargetID: "003D", MatchedID: "00QD",
			Fields: fields(fLead, "L4")},
			Outcome: usage(Outcome{Status: StatusUnknown, ErrorCode: "UNAVAILABLE",
				ErrorMessage: "no result for this record; the next run reads the record before sending again", JobID: "750J1"}, 5018)},
		{Action: Action{Seq: 4, LeadID: "L5", Kind: KindWriteback, Object: "Contact", TargetID: "003E", MatchedID: "003E",
			Fields: fields(fLead, "L5")},
			Outcome: Outcome{Status: StatusNotSent}},
	}
	if dry {
		for i := range acts {
			if !acts[i].Skip {
				acts[i].Outcome = Outcome{Status: StatusWouldUpdate}
			}
		}
	}
	for i := range acts {
		acts[i].DryRun = dry
	}
	res := &matcher.Result{
		Leads: []matcher.LeadResult{
			{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Contact", CRMID: "003A", Probability: 0.998, MatchWeight: 14.5,
				Fields: []matcher.FieldScore{{Field: "email", Level: "exact", Weight: 9.5}}, BlockingKeys: []string{"email"},
				AccountID: "001A", AccountProbability: 0.97},
			{LeadID: "L2", Decision: matcher.DecisionMatch, CRMObject: "Lead", CRMID: "00QB", Probability: 0.97, MatchWeight: 8},
			{LeadID: "L6", Decision: matcher.DecisionPossible, CRMObject: "Contact", CRMID: "003F", Probability: 0.6,
				RunnerUpID: "003G", RunnerUpProbability: 0.3, Reason: "runner-up too close"},
			{LeadID: "L7", Decision: matcher.DecisionNone, Reason: "no candidate"},
		},
		Companies: []matcher.CompanyResult{
			{AccountID: "A1", Decision: matcher.DecisionMatch, CRMAccountID: "001A", Probability: 0.95, BlockingKeys: []string{"domain"}},
		},
	}
	sum := &RunSummary{RunID: runID, Command: "run", DryRun: dry, Status: "failed", Error: "run: apply: update Contact: salesforce unavailable",
		Started: started.UTC(), Ended: started.Add(3 * time.Minute).UTC(), OrgID: "00D000000000001AAA", InstanceURL: "https://example.my.salesforce.com",
		APIVersion: "v62.0", ConfigDigest: "sha256:0123", Versions: Versions{Navsync: "(devel)", Go: "go1.26"},
		Stages:     []StageTiming{{Stage: "extract", Seconds: 1.25, Count: 1200}, {Stage: "match", Seconds: 0.5, Count: 4}},
		Inputs:     []input.FileStat{{Path: "/data/leads.csv", Kind: "leads", Rows: 4, Rejected: 1}},
		Rejects:    map[string]int{"invalid_utf8": 1},
		Leads:      map[string]int{"match": 2, "possible": 1, "none": 1},
		Accounts:   map[string]int{"match": 1},
		Actions:    map[string]map[string]int{KindWriteback: {StatusDone: 1, StatusFailed: 1, StatusSkipped: 1, StatusUnknown: 1, StatusNotSent: 1}},
		Skipped:    map[string]int{ReasonConflict: 1},
		Errors:     map[string]int{"FIELD_CUSTOM_VALIDATION_EXCEPTION": 1, "UNAVAILABLE": 1},
		APICalls:   APICalls{Spent: 31, WriteCalls: 8, OrgUsed: 5018, OrgMax: 100000},
		Brake:      &BrakeCheck{Planned: 4, MaxWrites: 1000000, MaxGrowth: 5, GrowthFloor: 1000},
		Reconciled: &Reconciled{Runs: []string{"20261123T064500Z-0000"}, Done: 2, NotApplied: 1, Superseded: 3},
		IngestJobs: []string{"750J1"},
	}
	rejects := []input.Reject{{File: "/data/leads.csv", Line: 5, LeadID: "L9", Reason: "invalid_utf8", Detail: "byte 7", Raw: "L9,\uFFFD"}}
	quota := []QuotaRow{
		{UserID: "005A", Month: "2026-11", Day: "2026-11-23", Created: 12, Reserved: 1, Remains: 987, APICalls: 40, APIRemains: 960},
		{UserID: "005B", Month: "2026-11", Day: "2026-11-23", Remains: 1000, APIRemains: 1000},
	}
	return &runFolderFixture{started: started, sum: sum, res: res, rejects: rejects, actions: acts, quota: quota}
}

func (f *runFolderFixture) write(ctx context.Context, reports string) (string, error) {
	return writeRunFolder(ctx, reports, f.started, f.sum, f.res, f.rejects, f.actions, f.quota, nil)
}

// entries lists a folder's names ("" for a missing folder).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteRunFolder(t *testing.T) {
	base := t.TempDir()
	reports := filepath.Join(base, "reports")
	// 23:30 in California is the next day in UTC: the run date is UTC's.
	started := time.Date(2026, 11, 23, 23, 30, 0, 0, time.FixedZone("PST", -8*3600))
	const runID = "20261124T073000Z-ab12"
	fx := newRunFolderFixture(runID, started, false)
	dir, err := fx.write(context.Background(), reports)
	if err != nil {
		t.Fatal(err)
	}

	// The folder: Hive style, whole, nothing beside it.
	if want := filepath.Join(reports, "run_date=2026-11-24", "run_id="+runID); dir != want {
		t.Fatalf("run folder %s, want %s", dir, want)
	}
	if got := entries(t, dir); !slices.Equal(got, []string{report.AccountsFile, ActionsFile, report.MatchesFile, QuotaFile, report.RejectsFile, PageFile, RunFile}) {
		t.Errorf("run folder holds %q", got)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("run folder mode: %v %v", st.Mode(), err)
	}
	if got := entries(t, base); !slices.Equal(got, []string{"reports"}) {
		t.Errorf("beside the reports folder: %q (a temporary folder left?)", got)
	}

	// actions.parquet, column by column.
	tb := readParquet(t, filepath.Join(dir, ActionsFile))
	const str, list, ts = "utf8", "list<element: utf8, nullable>", "timestamp[us, tz=UTC]"
	wantCols := []column{
		{"run_id", str, false}, {"lead_id", str, false}, {"action", str, false}, {"status", str, false},
		{"reason", str, true}, {"detail", str, true}, {"target_object", str, false}, {"target_id", str, true},
		{"matched_id", str, true}, {"on_behalf_of", str, true}, {"fields", list, true}, {"error_code", str, true},
		{"error_message", str, true}, {"ingest_job_id", str, true}, {"attempted_at", ts, true},
		{"api_usage_used", "int64", true}, {"api_usage_max", "int64", true}, {"dry_run", "bool", false},
	}
	if got := columns(tb); !reflect.DeepEqual(got, wantCols) {
		t.Errorf("actions.parquet columns:\n got %v\nwant %v", got, wantCols)
	}
	at := started.Add(90 * time.Second).UTC()
	wantVals := map[string][]any{
		"run_id":        {runID, runID, runID, runID, runID},
		"lead_id":       {"L1", "L2", "L3", "L4", "L5"},
		"action":        {"writeback", "writeback", "writeback", "writeback", "writeback"},
		"status":        {"done", "failed", "skipped", "unknown", "not_sent"},
		"reason":        {nil, nil, "conflict", nil, nil},
		"detail":        {nil, nil, "the record holds a different non-empty value in " + fLead, nil, nil},
		"target_object": {"Contact", "Lead", "Contact", "Contact", "Contact"},
		"target_id":     {"003A", "00QB", "003C", "003D", "003E"},
		"matched_id":    {"003A", "00QB", "003C", "00QD", "003E"},
		"on_behalf_of":  {nil, nil, nil, nil, nil},
		"fields":        {[]string{fURL, fLead}, []string{fLead}, nil, []string{fLead}, []string{fLead}},
		"error_code":    {nil, "FIELD_CUSTOM_VALIDATION_EXCEPTION", nil, "UNAVAILABLE", nil},
		"error_message": {nil, "LinkedIn URL must start with https://", nil,
			"no result for this record; the next run reads the record before sending again", nil},
		"ingest_job_id":  {nil, nil, nil, "750J1", nil},
		"attempted_at":   {at, at, nil, at, nil},
		"api_usage_used": {int64(5011), int64(5011), nil, int64(5018), nil},
		"api_usage_max":  {int64(100000), int64(100000), nil, int64(100000), nil},
		"dry_run":        {false, false, false, false, false},
	}
	for _, c := range wantCols {
		if got := tb.Cols[c.name]; !reflect.DeepEqual(got, wantVals[c.name]) {
			t.Errorf("actions.parquet %s:\n got %#v\nwant %#v", c.name, got, wantVals[c.name])
		}
	}
	if v := tb.Cols["attempted_at"][0]; v != nil && v.(time.Time).Location() != time.UTC {
		t.Errorf("attempted_at reads back in %v, want UTC", v.(time.Time).Location())
	}

	// The other reports: their columns as batch/report defines them, this
	// run's rows, and every file ZSTD with the run's metadata.
	for _, r := range []struct {
		file, report string
		cols         []column
		key          string
		keys         []any
	}{
		{report.MatchesFile, "matches", columnsOf(report.MatchColumns("x")), "lead_id", []any{"L1", "L2", "L6", "L7"}},
		{report.AccountsFile, "accounts", columnsOf(report.AccountColumns("x")), "account_id", []any{"A1"}},
		{report.RejectsFile, "rejects", columnsOf(report.RejectColumns("x")), "lead_id", []any{"L9"}},
		{ActionsFile, "actions", wantCols, "lead_id", []any{"L1", "L2", "L3", "L4", "L5"}},
		{QuotaFile, "quota", columnsOf(QuotaColumns("x")), "user_id", []any{"005A", "005B"}},
	} {
		tb := readParquet(t, filepath.Join(dir, r.file))
		if got := columns(tb); !reflect.DeepEqual(got, r.cols) {
			t.Errorf("%s columns:\n got %v\nwant %v", r.file, got, r.cols)
		}
		if got := tb.Cols[r.key]; !reflect.DeepEqual(got, r.keys) {
			t.Errorf("%s %s = %v, want %v", r.file, r.key, got, r.keys)
		}
		for _, v := range tb.Cols["run_id"] {
			if v != runID {
				t.Errorf("%s run_id %v", r.file, v)
			}
		}
		if !reflect.DeepEqual(tb.Codecs, map[compress.Compression]bool{compress.Codecs.Zstd: true}) {
			t.Errorf("%s codecs %v, want ZSTD", r.file, tb.Codecs)
		}
		if tb.KV["navsync.run_id"] != runID || tb.KV["navsync.report"] != r.report {
			t.Errorf("%s metadata %v", r.file, tb.KV)
		}
	}
	m := readParquet(t, filepath.Join(dir, report.MatchesFile))
	for col, want := range map[string][]any{
		"decision":              {"match", "match", "possible", "none"},
		"crm_id":                {"003A", "00QB", "003F", nil},
		"probability":           {0.998, 0.97, 0.6, nil},
		"runner_up_probability": {nil, nil, 0.3, nil},
		"email_level":           {"exact", nil, nil, nil},
		"blocking_keys":         {[]string{"email"}, nil, nil, nil},
		"reason":                {nil, nil, "runner-up too close", "no candidate"},
	} {
		if got := m.Cols[col]; !reflect.DeepEqual(got, want) {
			t.Errorf("matches.parquet %s = %#v, want %#v", col, got, want)
		}
	}
	rj := readParquet(t, filepath.Join(dir, report.RejectsFile))
	for col, want := range map[string][]any{
		"file": {"/data/leads.csv"}, "line": {int64(5)}, "reason": {"invalid_utf8"}, "detail": {"byte 7"}, "raw": {"L9,\uFFFD"},
	} {
		if got := rj.Cols[col]; !reflect.DeepEqual(got, want) {
			t.Errorf("rejects.parquet %s = %#v, want %#v", col, got, want)
		}
	}

	// run.json parses back to the summary.
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	var got RunSummary
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("run.json: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(&got, fx.sum) {
		t.Errorf("run.json reads back as\n%+v\nwant\n%+v", got, *fx.sum)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"run_id", "status", "started", "config_digest", "stages", "leads_by_decision", "actions_by_kind_and_status",
		"errors_by_code", "api_calls", "brake", "reconciled", "ingest_jobs"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("run.json has no %q", k)
		}
	}
	if s := raw["started"]; s != "2026-11-24T07:30:00Z" {
		t.Errorf("run.json started = %v, want UTC", s)
	}
	// Every key is snake_case, as DESIGN.md's reports are.
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				// Maps keyed by data (kinds, statuses, reasons, error
				// codes) are not checked, their values are.
				if strings.ToLower(k) != k && !strings.HasSuffix(path, "_by_code") && !strings.HasSuffix(path, "_by_reason") {
					t.Errorf("run.json key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", raw)
}

var updateRunJSON = flag.Bool("update-run-json", false, "rewrite batch/testdata/run.json.golden")

// TestRunJSONGolden writes a run folder whose summary has every part of
// run.json (the optional ones too), reads its run.json back and compares
// it with testdata/run.json.golden, the file's keys as readers see them
// (go test ./batch/ -run RunJSONGolden -update-run-json after a deliberate
// change).
func TestRunJSONGolden(t *testing.T) {
	started := time.Date(2026, 11, 23, 6, 45, 0, 0, time.UTC)
	fx := newRunFolderFixture("20261123T064500Z-ab12", started, false)
	fx.sum.Inputs = []input.FileStat{
		{Path: "/data/leads.csv", Kind: "leads", Rows: 4, Rejected: 1},
		{Path: "/work/crm/Contact.csv", Kind: "Contact", Rows: 3, DroppedValues: 1},
	}
	fx.sum.Brake = &BrakeCheck{Planned: 4, MaxWrites: 3, PreviousRun: "20261122T064500Z-0000", PreviousWrites: 2, MaxGrowth: 5,
		GrowthFloor: 1000, GrowthLimit: 1000, Tripped: "max_writes", Forced: true}
	fx.sum.Reviews = &review.Reviews{Files: []string{"reviews.csv"}, Read: 3, Imported: 2, Stored: 2,
		Problems:    []review.VerdictProblem{{File: "reviews.csv", Line: 4, LeadID: "L8", CRMID: "003H", Problem: "no lead \"L8\" in this run's Sales Navigator exports"}},
		SettledSame: 1, SettledDifferent: 1,
		NotApplied: []review.NotApplied{{LeadID: "L6", CRMID: "003F", Probability: 0.1, Why: "scores 0.100 now, below the review threshold 0.2"}},
		Precision:  review.Precision{Threshold: 0.95, Pairs: 1, Same: 1, Value: 1, Bands: []review.Band{{Label: "at or above the auto threshold 0.95", Same: 1}}},
	}
	dir, err := fx.write(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "run.json.golden")
	if *updateRunJSON {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("run.json differs from %s (go test ./batch/ -run RunJSONGolden -update-run-json)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	// The inputs by their json names.
	var raw struct {
		Inputs []map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(got, &raw); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"dropped_values", "kind", "path", "rejected", "rows"}
	for i, f := range raw.Inputs {
		keys := slices.Sorted(maps.Keys(f))
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("run.json inputs[%d] keys %q, want %q", i, keys, wantKeys)
		}
	}
	if len(raw.Inputs) != 2 || raw.Inputs[1]["path"] != "/work/crm/Contact.csv" || raw.Inputs[1]["dropped_values"] != 1.0 {
		t.Errorf("run.json inputs %v", raw.Inputs)
	}
}

// TestRunSummaryTags: every field run.json holds, at any depth, names its
// key with a json tag (a field without one is written under its Go name,
// "Path" beside "run_id"), or is left out with "-".
func TestRunSummaryTags(t *testing.T) {
	marshaler := reflect.TypeFor[json.Marshaler]()
	seen := map[reflect.Type]bool{}
	var check func(path string, typ reflect.Type)
	check = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.Implements(marshaler) || reflect.PointerTo(typ).Implements(marshaler) {
			return
		}
		seen[typ] = true
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			tag, ok := f.Tag.Lookup("json")
			name, _, _ := strings.Cut(tag, ",")
			switch {
			case !ok || name == "" && !f.Anonymous:
				t.Errorf("run.json: %s.%s (%s) has no json tag", path, f.Name, typ)
				continue
			case name == "-":
				continue
			case name != strings.ToLower(name):
				t.Errorf("run.json: %s.%s is written as %q, not snake_case", path, f.Name, name)
			}
			check(path+"."+name, f.Type)
		}
	}
	check("run.json", reflect.TypeFor[RunSummary]())
	if !seen[reflect.TypeFor[input.FileStat]()] {
		t.Error("input.FileStat not reached from RunSummary")
	}
}

// columnsOf is the schema of a report's column list.
func columnsOf[T any](cols []report.Column[T]) []column {
	var out []column
	for _, c := range cols {
		out = append(out, column{c.Field.Name, c.Field.Type.String(), c.Field.Nullable})
	}
	return out
}

// TestWriteRunFolderFailures: a run folder appears whole or not at all, and
// a failed write leaves nothing behind.
func TestWriteRunFolderFailures(t *testing.T) {
	started := time.Date(2026, 11, 23, 6, 45, 0, 0, time.UTC)
	t.Run("cancelled context", func(t *testing.T) {
		base := t.TempDir()
		reports := filepath.Join(base, "reports")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		dir, err := newRunFolderFixture("r1", started, false).write(ctx, reports)
		if !errors.Is(err, context.Canceled) || dir != "" {
			t.Fatalf("writeRunFolder = %q, %v; want context.Canceled", dir, err)
		}
		if got := entries(t, base); len(got) > 1 || len(got) == 1 && got[0] != "reports" {
			t.Errorf("beside the reports folder: %q", got)
		}
		if got := entries(t, reports); len(got) != 0 {
			t.Errorf("the reports folder holds %q after a failed write", got)
		}
	})
	t.Run("unusable reports folder", func(t *testing.T) {
		base := t.TempDir()
		reports := filepath.Join(base, "reports")
		if err := os.WriteFile(reports, []byte("not a folder"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := newRunFolderFixture("r1", started, false).write(context.Background(), reports); err == nil {
			t.Fatal("writeRunFolder into a file: no error")
		}
		if got := entries(t, base); !slices.Equal(got, []string{"reports"}) {
			t.Errorf("beside the reports folder: %q", got)
		}
	})
	t.Run("date partition taken by a file", func(t *testing.T) {
		base := t.TempDir()
		reports := filepath.Join(base, "reports")
		if err := os.MkdirAll(reports, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(reports, "run_date=2026-11-23"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := newRunFolderFixture("r1", started, false).write(context.Background(), reports); err == nil {
			t.Fatal("no error")
		}
		if got := entries(t, base); !slices.Equal(got, []string{"reports"}) {
			t.Errorf("beside the reports folder: %q", got)
		}
	})
	t.Run("a run folder already there is left as it is", func(t *testing.T) {
		base := t.TempDir()
		reports := filepath.Join(base, "reports")
		fx := newRunFolderFixture("r1", started, false)
		dir, err := fx.write(context.Background(), reports)
		if err != nil {
			t.Fatal(err)
		}
		before, err := os.ReadFile(filepath.Join(dir, RunFile))
		if err != nil {
			t.Fatal(err)
		}
		again := newRunFolderFixture("r1", started, true)
		if _, err := again.write(context.Background(), reports); err == nil {
			t.Fatal("a second folder for the same run: no error")
		}
		after, err := os.ReadFile(filepath.Join(dir, RunFile))
		if err != nil || string(after) != string(before) {
			t.Errorf("the first run's run.json changed: %v", err)
		}
		if got := entries(t, dir); len(got) != 7 {
			t.Errorf("the first run's folder holds %q", got)
		}
		if got := entries(t, base); !slices.Equal(got, []string{"reports"}) {
			t.Errorf("beside the reports folder: %q", got)
		}
	})
}

// TestWriteRunFolderRelative: a reports folder given relative to the
// working folder gets its temporary folder beside it too (not in the
// system's temporary folder, which may be another file system).
func TestWriteRunFolderRelative(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	t.Setenv("TMPDIR", filepath.Join(base, "no-such-tmp"))
	dir, err := newRunFolderFixture("r1", time.Date(2026, 11, 23, 6, 45, 0, 0, time.UTC), false).write(context.Background(), "reports")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("reports", "run_date=2026-11-23", "run_id=r1"); dir != want {
		t.Errorf("run folder %s, want %s", dir, want)
	}
	if got := entries(t, base); !slices.Equal(got, []string{"reports"}) {
		t.Errorf("beside the reports folder: %q", got)
	}
}

// TestRemoveStaleTemps removes what killed runs left beside the reports
// folder, and nothing else.
func TestRemoveStaleTemps(t *testing.T) {
	for _, relative := range []bool{false, true} {
		t.Run(fmt.Sprint("relative=", relative), func(t *testing.T) {
			base := t.TempDir()
			reports := filepath.Join(base, "reports")
			mk := func(path string, dir bool) {
				t.Helper()
				if dir {
					if err := os.MkdirAll(path, 0o755); err != nil {
						t.Fatal(err)
					}
					path = filepath.Join(path, ActionsFile)
				}
				if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			mk(filepath.Join(reports, "run_date=2026-11-23", "run_id=r1"), true)
			mk(filepath.Join(base, ".reports.tmp-r2-123456"), true)
			mk(filepath.Join(base, ".reports.tmp-r3-654321", "run_date=x"), true)
			mk(filepath.Join(base, ".reports.tmp-file"), false)   // not a folder
			mk(filepath.Join(base, ".other.tmp-r4-1"), true)      // another folder's
			mk(filepath.Join(base, "reports.tmp-r5-1"), true)     // not hidden: not ours
			mk(filepath.Join(reports, ".reports.tmp-r6-1"), true) // inside, not beside
			arg := reports
			if relative {
				t.Chdir(base)
				arg = "reports"
			}
			removeStaleTemps(arg)
			if got := entries(t, base); !slices.Equal(got, []string{".other.tmp-r4-1", ".reports.tmp-file", "reports", "reports.tmp-r5-1"}) {
				t.Errorf("beside the reports folder: %q", got)
			}
			if got := entries(t, reports); !slices.Equal(got, []string{".reports.tmp-r6-1", "run_date=2026-11-23"}) {
				t.Errorf("in the reports folder: %q", got)
			}
			if _, err := os.Stat(filepath.Join(reports, "run_date=2026-11-23", "run_id=r1", ActionsFile)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDuckDBReadsRunFolders opens a reports folder of two runs with DuckDB
// as the README shows: one glob over the Hive partitions, with run_date
// and run_id from the folder names.
func TestDuckDBReadsRunFolders(t *testing.T) {
	query := duckdbtest.Query(t)
	reports := filepath.Join(t.TempDir(), "reports")
	const run1, run2 = "20261123T064500Z-ab12", "20261124T064500Z-cd34"
	if _, err := newRunFolderFixture(run1, time.Date(2026, 11, 23, 6, 45, 0, 0, time.UTC), false).write(context.Background(), reports); err != nil {
		t.Fatal(err)
	}
	if _, err := newRunFolderFixture(run2, time.Date(2026, 11, 24, 6, 45, 0, 0, time.UTC), true).write(context.Background(), reports); err != nil {
		t.Fatal(err)
	}
	glob := func(f string) string {
		return "read_parquet(" + duckdbtest.Lit(filepath.Join(reports, "*", "*", f)) + ", hive_partitioning=true)"
	}
	actions := glob(ActionsFile)
	res := query(
		"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+actions+") WHERE column_name IN "+
			"('run_date', 'run_id', 'status', 'fields', 'attempted_at', 'api_usage_used', 'dry_run') ORDER BY 1",
		"SELECT strftime(run_date, '%Y-%m-%d') AS run_date, run_id, dry_run, count(*) AS n FROM "+actions+" GROUP BY ALL ORDER BY ALL",
		"SELECT run_id, status, count(*) AS n FROM "+actions+" GROUP BY ALL ORDER BY ALL",
		"SELECT run_id, lead_id, error_code, fields FROM "+actions+" WHERE status = 'failed'",
		"SELECT count(*) AS n FROM "+actions+" WHERE run_date = DATE '2026-11-24'",
		"SELECT run_id, decision, count(*) AS n FROM "+glob(report.MatchesFile)+" GROUP BY ALL ORDER BY ALL",
		"SELECT count(*) AS n FROM "+glob(report.RejectsFile)+" WHERE run_id = '"+run1+"'",
		// The folder names agree with the files' run_id column.
		"SELECT count(*) AS n FROM read_parquet("+duckdbtest.Lit(filepath.Join(reports, "*", "*", ActionsFile))+
			", hive_partitioning=true, filename=true) WHERE filename LIKE '%/run_date=' || strftime(run_date, '%Y-%m-%d') || '/run_id=' || run_id || '/"+ActionsFile+"'",
	)
	want := [][]map[string]any{
		{
			{"column_name": "api_usage_used", "column_type": "BIGINT"},
			{"column_name": "attempted_at", "column_type": "TIMESTAMP WITH TIME ZONE"},
			{"column_name": "dry_run", "column_type": "BOOLEAN"},
			{"column_name": "fields", "column_type": "VARCHAR[]"},
			{"column_name": "run_date", "column_type": "DATE"},
			{"column_name": "run_id", "column_type": "VARCHAR"},
			{"column_name": "status", "column_type": "VARCHAR"},
		},
		{
			{"run_date": "2026-11-23", "run_id": run1, "dry_run": false, "n": "5"},
			{"run_date": "2026-11-24", "run_id": run2, "dry_run": true, "n": "5"},
		},
		{
			{"run_id": run1, "status": "done", "n": "1"},
			{"run_id": run1, "status": "failed", "n": "1"},
			{"run_id": run1, "status": "not_sent", "n": "1"},
			{"run_id": run1, "status": "skipped", "n": "1"},
			{"run_id": run1, "status": "unknown", "n": "1"},
			{"run_id": run2, "status": "skipped", "n": "1"},
			{"run_id": run2, "status": "would_update", "n": "4"},
		},
		{{"run_id": run1, "lead_id": "L2", "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []any{fLead}}},
		{{"n": "5"}},
		{
			{"run_id": run1, "decision": "match", "n": "2"},
			{"run_id": run1, "decision": "none", "n": "1"},
			{"run_id": run1, "decision": "possible", "n": "1"},
			{"run_id": run2, "decision": "match", "n": "2"},
			{"run_id": run2, "decision": "none", "n": "1"},
			{"run_id": run2, "decision": "possible", "n": "1"},
		},
		{{"n": "1"}},
		{{"n": "10"}},
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
