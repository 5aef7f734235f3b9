package report

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/internal/parquettest"
	"github.com/navsync/navsync/matcher"
)

func readBack(t *testing.T, path string) *parquettest.Table {
	t.Helper()
	return parquettest.Read(t, path)
}

func fields(level string, w float64, names []string) []matcher.FieldScore {
	var out []matcher.FieldScore
	for _, n := range names {
		out = append(out, matcher.FieldScore{Field: n, Level: level, Weight: w})
	}
	return out
}

func TestWriteMatches(t *testing.T) {
	rows := []matcher.LeadResult{
		{LeadID: "L1", Decision: matcher.DecisionMatch, CRMObject: "Contact", CRMID: "003A", Probability: 0.99, MatchWeight: 12.5,
			RunnerUpID: "003B", RunnerUpProbability: 0.1, Fields: fields("exact", 3.5, matcher.LeadFields),
			BlockingKeys: []string{"email", "last_name+company"}, JobChange: true, AccountID: "001A", AccountProbability: 0.97},
		{LeadID: "L2", Decision: matcher.DecisionPossible, CRMObject: "Lead", CRMID: "00QA", Converted: true, ConvertedContactID: "003C",
			Probability: 0.6, MatchWeight: 2, Fields: []matcher.FieldScore{{Field: "first_name", Level: "nickname", Weight: 1.25}}, // only one field
			BlockingKeys: []string{"phone"}, Reason: "runner-up too close"},
		{LeadID: "L3", Decision: matcher.DecisionNone, Reason: "no candidate"},
	}
	path := filepath.Join(t.TempDir(), MatchesFile)
	if err := WriteMatches(context.Background(), path, "run-1", rows); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	if tb.Rows != 3 {
		t.Fatalf("rows = %d", tb.Rows)
	}
	want := []string{"run_id", "lead_id", "decision", "crm_object", "crm_id", "probability", "match_weight", "runner_up_id", "runner_up_probability"}
	for _, f := range matcher.LeadFields {
		want = append(want, f+"_level", f+"_weight")
	}
	want = append(want, "blocking_keys", "job_change", "converted", "converted_contact_id", "account_id", "account_probability", "reason")
	var names []string
	for _, f := range tb.Schema.Fields() {
		names = append(names, f.Name)
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("columns:\n got %q\nwant %q", names, want)
	}
	types := map[string]string{
		"run_id": "utf8", "probability": "float64", "email_level": "utf8", "email_weight": "float64",
		"blocking_keys": "list<element: utf8, nullable>", "job_change": "bool", "converted": "bool",
	}
	for name, typ := range types {
		f, _ := tb.Schema.FieldsByName(name)
		if len(f) != 1 || f[0].Type.String() != typ {
			t.Errorf("column %s: type %v, want %s", name, f, typ)
		}
	}
	if f, _ := tb.Schema.FieldsByName("lead_id"); f[0].Nullable {
		t.Error("lead_id is nullable")
	}
	if f, _ := tb.Schema.FieldsByName("crm_id"); !f[0].Nullable {
		t.Error("crm_id is not nullable")
	}
	check := func(col string, want ...any) {
		t.Helper()
		if got := tb.Cols[col]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", col, got, want)
		}
	}
	check("run_id", "run-1", "run-1", "run-1")
	check("lead_id", "L1", "L2", "L3")
	check("decision", "match", "possible", "none")
	check("crm_object", "Contact", "Lead", nil)
	check("crm_id", "003A", "00QA", nil)
	check("probability", 0.99, 0.6, nil)
	check("match_weight", 12.5, 2.0, nil)
	check("runner_up_id", "003B", nil, nil)
	check("runner_up_probability", 0.1, nil, nil)
	check("email_level", "exact", nil, nil)
	check("email_weight", 3.5, nil, nil)
	check("first_name_level", "exact", "nickname", nil)
	check("first_name_weight", 3.5, 1.25, nil)
	check("past_title_level", "exact", nil, nil)
	check("blocking_keys", []string{"email", "last_name+company"}, []string{"phone"}, nil)
	check("job_change", true, false, false)
	check("converted", false, true, false)
	check("converted_contact_id", nil, "003C", nil)
	check("account_id", "001A", nil, nil)
	check("account_probability", 0.97, nil, nil)
	check("reason", nil, "runner-up too close", "no candidate")
	if !reflect.DeepEqual(tb.Codecs, map[compress.Compression]bool{compress.Codecs.Zstd: true}) {
		t.Errorf("codecs %v, want only ZSTD", tb.Codecs)
	}
	if tb.KV["navsync.run_id"] != "run-1" || tb.KV["navsync.report"] != "matches" {
		t.Errorf("metadata %v", tb.KV)
	}
}

func TestWriteAccounts(t *testing.T) {
	rows := []matcher.CompanyResult{
		{AccountID: "A1", Decision: matcher.DecisionMatch, CRMAccountID: "001A", Probability: 0.95, MatchWeight: 9,
			Fields: fields("exact", 2, matcher.CompanyFields), BlockingKeys: []string{"domain"}},
		{AccountID: "A2", Decision: matcher.DecisionNone},
	}
	path := filepath.Join(t.TempDir(), AccountsFile)
	if err := WriteAccounts(context.Background(), path, "run-2", rows); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	if len(tb.Schema.Fields()) != 8+2*len(matcher.CompanyFields)+2 {
		t.Errorf("%d columns", len(tb.Schema.Fields()))
	}
	for col, want := range map[string][]any{
		"account_id":       {"A1", "A2"},
		"decision":         {"match", "none"},
		"crm_account_id":   {"001A", nil},
		"probability":      {0.95, nil},
		"domain_level":     {"exact", nil},
		"employees_weight": {2.0, nil},
		"blocking_keys":    {[]string{"domain"}, nil},
		"reason":           {nil, nil},
	} {
		if got := tb.Cols[col]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", col, got, want)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	rows := []input.Reject{
		{File: "leads.csv", Line: 7, LeadID: "L5", Reason: input.ReasonColumnCount, Detail: "3 fields, header has 4", Raw: "L5,a,b"},
		{File: "leads.csv", Line: 9, Reason: input.ReasonEmptyID, Raw: ",x,y,z"},
	}
	path := filepath.Join(t.TempDir(), RejectsFile)
	if err := WriteRejects(context.Background(), path, "run-3", rows); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	for col, want := range map[string][]any{
		"run_id":  {"run-3", "run-3"},
		"file":    {"leads.csv", "leads.csv"},
		"line":    {int64(7), int64(9)},
		"lead_id": {"L5", nil},
		"reason":  {"wrong_column_count", "empty_lead_id"},
		"detail":  {"3 fields, header has 4", nil},
		"raw":     {"L5,a,b", ",x,y,z"},
	} {
		if got := tb.Cols[col]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", col, got, want)
		}
	}
}

type event struct {
	ID   string
	At   time.Time
	N    int64
	Opt  int64
	HasN bool
}

func eventColumns() []Column[event] {
	return []Column[event]{
		String("id", func(e *event) string { return e.ID }),
		Timestamp("at", func(e *event) time.Time { return e.At }),
		OptInt64("n", func(e *event) (int64, bool) { return e.N, e.HasN }),
	}
}

func TestRowGroupsAndTimestamps(t *testing.T) {
	var rows []event
	base := time.Date(2026, 11, 23, 6, 45, 0, 123456789, time.FixedZone("CET", 3600))
	for i := range 10 {
		e := event{ID: fmt.Sprint(i), N: int64(i), HasN: i%2 == 0}
		if i != 3 {
			e.At = base.Add(time.Duration(i) * time.Second)
		}
		rows = append(rows, e)
	}
	path := filepath.Join(t.TempDir(), "events.parquet")
	if err := WriteFile(context.Background(), path, eventColumns(), rows, Options{RowGroupRows: 4}); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	if !reflect.DeepEqual(tb.RowGroups, []int64{4, 4, 2}) {
		t.Errorf("row groups %v", tb.RowGroups)
	}
	f, _ := tb.Schema.FieldsByName("at")
	if ts, ok := f[0].Type.(*arrow.TimestampType); !ok || ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
		t.Errorf("at type %v, want timestamp[us, UTC]", f[0].Type)
	}
	at := tb.Cols["at"]
	if at[3] != nil {
		t.Errorf("zero time not null: %v", at[3])
	}
	if got, want := at[0].(time.Time), base.Truncate(time.Microsecond); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("at[0] = %v, want %v in UTC", got, want)
	}
	if n := tb.Cols["n"]; n[0] != int64(0) || n[1] != nil || n[8] != int64(8) {
		t.Errorf("n = %v", n)
	}
}

func TestEmptyReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), MatchesFile)
	if err := WriteMatches(context.Background(), path, "run-0", nil); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	if tb.Rows != 0 || len(tb.Schema.Fields()) == 0 {
		t.Errorf("rows %d, %d columns", tb.Rows, len(tb.Schema.Fields()))
	}
}

// entries lists a folder's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	rows := make([]matcher.LeadResult, 10000)
	for i := range rows {
		rows[i] = matcher.LeadResult{LeadID: fmt.Sprint(i), Decision: matcher.DecisionNone}
	}
	t.Run("canceled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := WriteMatches(ctx, filepath.Join(dir, MatchesFile), "r", rows)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if e := entries(t, dir); len(e) != 0 {
			t.Errorf("left behind: %q", e)
		}
	})
	t.Run("rename fails", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, MatchesFile)
		if err := os.Mkdir(target, 0o755); err != nil { // a folder in the way
			t.Fatal(err)
		}
		if err := WriteMatches(context.Background(), target, "r", rows); err == nil {
			t.Fatal("no error")
		}
		if e := entries(t, dir); !reflect.DeepEqual(e, []string{MatchesFile}) {
			t.Errorf("left behind: %q", e)
		}
	})
	t.Run("abort keeps the old file", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, MatchesFile)
		if err := WriteMatches(context.Background(), target, "old", rows[:1]); err != nil {
			t.Fatal(err)
		}
		w, err := Create(target, MatchColumns("new"), Options{RowGroupRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if err := w.Append(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		if e := entries(t, dir); len(e) != 2 || !strings.HasPrefix(e[0], "."+MatchesFile+".tmp-") {
			t.Errorf("while writing: %q, want a hidden temp file beside the old one", e)
		}
		w.Abort()
		if err := w.Close(); err == nil {
			t.Error("Close after Abort succeeded")
		}
		if e := entries(t, dir); !reflect.DeepEqual(e, []string{MatchesFile}) {
			t.Errorf("left behind: %q", e)
		}
		if tb := readBack(t, target); tb.Rows != 1 || tb.Cols["run_id"][0] != "old" {
			t.Errorf("old file changed: %d rows", tb.Rows)
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		err := WriteMatches(context.Background(), filepath.Join(t.TempDir(), "nope", MatchesFile), "r", rows)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestRoundTripManyRowGroups writes rows with lists of varied length, nulls
// and empty strings across many row groups and reads every value back.
func TestRoundTripManyRowGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rows := make([]matcher.LeadResult, 3000)
	for i := range rows {
		row := &rows[i]
		row.LeadID = fmt.Sprintf("L%d", i)
		row.Decision = []matcher.Decision{matcher.DecisionMatch, matcher.DecisionPossible, matcher.DecisionNone}[r.IntN(3)]
		if r.IntN(4) > 0 {
			row.CRMID = fmt.Sprintf("003%d", r.IntN(1e6))
			row.CRMObject = "Contact"
			row.Probability = r.Float64()
			row.Fields = fields([]string{"exact", "different", "missing"}[r.IntN(3)], r.Float64(), matcher.LeadFields)
		}
		for range r.IntN(4) {
			row.BlockingKeys = append(row.BlockingKeys, []string{"email", "phone", "company+surname", ""}[r.IntN(4)])
		}
		row.JobChange = r.IntN(2) == 0
	}
	path := filepath.Join(t.TempDir(), MatchesFile)
	if err := WriteFile(context.Background(), path, MatchColumns("rt"), rows, Options{RowGroupRows: 128}); err != nil {
		t.Fatal(err)
	}
	tb := readBack(t, path)
	if tb.Rows != len(rows) || len(tb.RowGroups) != (len(rows)+127)/128 {
		t.Fatalf("%d rows in %d row groups", tb.Rows, len(tb.RowGroups))
	}
	for i, row := range rows {
		var wantKeys any
		if len(row.BlockingKeys) > 0 {
			wantKeys = row.BlockingKeys
		}
		var wantID, wantP, wantLevel any
		if row.CRMID != "" {
			wantID, wantP, wantLevel = row.CRMID, row.Probability, row.Fields[0].Level
		}
		got := []any{tb.Cols["lead_id"][i], tb.Cols["decision"][i], tb.Cols["crm_id"][i], tb.Cols["probability"][i],
			tb.Cols["email_level"][i], tb.Cols["blocking_keys"][i], tb.Cols["job_change"][i]}
		want := []any{row.LeadID, string(row.Decision), wantID, wantP, wantLevel, wantKeys, row.JobChange}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", i, got, want)
		}
	}
}

// TestPrepareThenCommitOrAbort: prepared reports stay under temporary
// names until committed; aborting them leaves the folder as it was.
func TestPrepareThenCommitOrAbort(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rows := []matcher.LeadResult{{LeadID: "L1", Decision: matcher.DecisionNone}}
	prepare := func() (Pending, Pending) {
		m, err := PrepareMatches(ctx, filepath.Join(dir, MatchesFile), "r", rows)
		if err != nil {
			t.Fatal(err)
		}
		r, err := PrepareRejects(ctx, filepath.Join(dir, RejectsFile), "r", nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, r
	}
	m, r := prepare()
	for _, e := range entries(t, dir) {
		if !strings.HasPrefix(e, ".") {
			t.Errorf("%s visible before commit", e)
		}
	}
	m.Abort()
	r.Abort()
	if e := entries(t, dir); len(e) != 0 {
		t.Errorf("left behind after abort: %q", e)
	}
	m, r = prepare()
	if err := CommitAll(m, r); err != nil {
		t.Fatal(err)
	}
	if e := entries(t, dir); !reflect.DeepEqual(e, []string{MatchesFile, RejectsFile}) {
		t.Errorf("after commit: %q", e)
	}
	m.Abort() // after commit: a no-op
	if tb := readBack(t, filepath.Join(dir, MatchesFile)); tb.Rows != 1 {
		t.Errorf("%d rows", tb.Rows)
	}
}
