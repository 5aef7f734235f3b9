package batch

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// testOrg is a simulator org seeded with a generated world, behind a real
// HTTP listener, and a client signed in as its admin by refresh token.
type testOrg struct {
	world *fixtures.World
	sim   *sfsim.Server
	sf    *sfbulk.Client
}

func newTestOrg(t *testing.T, people int) *testOrg {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: 3, People: people})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := sfsim.New(sfsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	for _, tb := range w.CRMTables() {
		if err := sim.Load(tb.Object, tb.Header, tb.Rows); err != nil {
			t.Fatalf("seed %s: %v", tb.Object, err)
		}
	}
	hs := httptest.NewServer(sim.Handler())
	t.Cleanup(hs.Close)
	admin := sim.AdminUser().Username
	_, refresh, err := sim.IssueToken(admin)
	if err != nil {
		t.Fatal(err)
	}
	retry := sfbulk.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond}
	app := sim.ConnectedApp()
	ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: hs.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		HTTPClient: hs.Client(), Retry: retry}, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: refresh, Username: admin}))
	if err != nil {
		t.Fatal(err)
	}
	sf, err := sfbulk.New(context.Background(), sfbulk.Config{HTTPClient: hs.Client(), Retry: retry, ExpectOrgID: sim.OrgID(),
		PollInterval: time.Millisecond, MaxPollInterval: 10 * time.Millisecond}, ts)
	if err != nil {
		t.Fatal(err)
	}
	return &testOrg{world: w, sim: sim, sf: sf}
}

// readCSV reads a Bulk 2.0 result file into its header and rows keyed by Id.
func readCSV(t *testing.T, path string) ([]string, map[string][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]] = r
	}
	return recs[0], rows
}

// worldRows projects the world's table of object onto header, keyed by Id.
func worldRows(t *testing.T, w *fixtures.World, object string, header []string) map[string][]string {
	t.Helper()
	for _, tb := range w.CRMTables() {
		if tb.Object != object {
			continue
		}
		ix := make([]int, len(header))
		for i, h := range header {
			ix[i] = slices.Index(tb.Header, h)
			if ix[i] < 0 {
				t.Fatalf("%s: the world has no column %s", object, h)
			}
		}
		isClosed := slices.Index(tb.Header, "IsClosed")
		out := map[string][]string{}
		for _, r := range tb.Rows {
			if object == "Opportunity" && r[isClosed] == "true" {
				continue // extract pulls open opportunities only
			}
			p := make([]string, len(ix))
			for i, j := range ix {
				p[i] = r[j]
			}
			out[r[0]] = p
		}
		return out
	}
	t.Fatalf("no table %s in the world", object)
	return nil
}

func sortedPeople(ps []matcher.Person) []matcher.Person {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b matcher.Person) int { return cmp.Compare(a.ID, b.ID) })
	return ps
}

func TestExtractMatchesWorld(t *testing.T) {
	org := newTestOrg(t, 800)
	dir := t.TempDir()
	res, err := Extract(context.Background(), org.sf, ExtractOptions{Dir: dir, PageSize: 150})
	if err != nil {
		t.Fatal(err)
	}
	admin := org.sim.AdminUser().ID
	for _, st := range res.Objects {
		header, got := readCSV(t, st.Path)
		want := worldRows(t, org.world, st.Object, header)
		if st.Object == "User" {
			delete(got, admin) // the simulator's own integration user
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d rows extracted, the world has %d", st.Object, len(got), len(want))
		}
		for id, w := range want {
			if g, ok := got[id]; !ok {
				t.Errorf("%s %s not extracted", st.Object, id)
			} else if !slices.Equal(g, w) {
				t.Errorf("%s %s:\n got %q\nwant %q", st.Object, id, g, w)
			}
		}
		wantRows := int64(len(want))
		if st.Object == "User" {
			wantRows++
		}
		if st.Rows != wantRows || st.Jobs != 1 || st.Pages < 1 || st.Took <= 0 {
			t.Errorf("%s stats %+v, want %d rows in 1 job", st.Object, st, wantRows)
		}
		if st.Path != filepath.Join(dir, "crm", st.Object+".csv") {
			t.Errorf("%s path %s", st.Object, st.Path)
		}
	}
	if n := len(res.Objects); n != 5 {
		t.Fatalf("%d objects extracted, want 5", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "crm")); len(ents) != 5 {
		t.Errorf("crm/ holds %d entries, want the 5 files (no temporary left)", len(ents))
	}

	// What the matcher reads from the extract equals what it reads from the
	// world's own files.
	worldDir := t.TempDir()
	if err := org.world.Write(worldDir); err != nil {
		t.Fatal(err)
	}
	got, err := input.ReadSnapshot(context.Background(), filepath.Join(dir, "crm"), input.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := input.ReadSnapshot(context.Background(), filepath.Join(worldDir, "crm"), input.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rejects) != 0 {
		t.Errorf("%d rejects reading the extract, first %+v", len(got.Rejects), got.Rejects[0])
	}
	if !reflect.DeepEqual(sortedPeople(got.People), sortedPeople(want.People)) {
		t.Error("people read from the extract differ from the world's")
	}
	byID := func(a, b matcher.Account) int { return cmp.Compare(a.ID, b.ID) }
	ga, wa := slices.Clone(got.Accounts), slices.Clone(want.Accounts)
	slices.SortFunc(ga, byID)
	slices.SortFunc(wa, byID)
	if !reflect.DeepEqual(ga, wa) {
		t.Error("accounts read from the extract differ from the world's")
	}
	if !reflect.DeepEqual(got.ProfileURLs, want.ProfileURLs) {
		t.Error("profile URL writeback values differ")
	}
	var open int
	for _, o := range want.Opportunities {
		if !o.IsClosed {
			open++
		}
	}
	if len(got.Opportunities) != open || open == 0 {
		t.Errorf("%d opportunities extracted, %d open in the world", len(got.Opportunities), open)
	}
	if len(got.Users) != len(want.Users)+1 {
		t.Errorf("%d users extracted, the world has %d (+ the integration user)", len(got.Users), len(want.Users))
	}
}

// fakeOrg describes objects from a table and counts queries.
type fakeOrg struct {
	describe map[string]*sfbulk.SObjectDescribe
	queries  atomic.Int32
	queryErr map[string]error // by object, matched against the SOQL's FROM
	empty    string           // an object whose results body is empty (no header)
}

func (f *fakeOrg) Describe(_ context.Context, object string) (*sfbulk.SObjectDescribe, error) {
	d, ok := f.describe[object]
	if !ok {
		return nil, &sfbulk.APIError{HTTPStatus: 404, ErrorCode: "NOT_FOUND"}
	}
	return d, nil
}

func (f *fakeOrg) BulkQueryCSV(_ context.Context, soql string, _ sfbulk.BulkQueryOptions, w io.Writer) (sfbulk.QueryStats, error) {
	f.queries.Add(1)
	for obj, err := range f.queryErr {
		if strings.HasSuffix(soql, " FROM "+obj) {
			io.WriteString(w, "\"Id\"\n\"x\"\n") // half an export
			return sfbulk.QueryStats{Rows: 1}, err
		}
	}
	if f.empty != "" && strings.HasSuffix(soql, " FROM "+f.empty) {
		return sfbulk.QueryStats{JobsRun: 1}, nil
	}
	n, _ := io.WriteString(w, "\"Id\"\n")
	return sfbulk.QueryStats{Bytes: int64(n), JobsRun: 1}, nil
}

func (f *fakeOrg) DeleteQueryJob(context.Context, string) error { return nil }

// completeFake describes every snapshot object with every field it needs.
func completeFake() *fakeOrg {
	f := &fakeOrg{describe: map[string]*sfbulk.SObjectDescribe{}}
	for _, o := range snapshot.Objects(nil) {
		d := &sfbulk.SObjectDescribe{Name: o.Name, Queryable: true}
		for _, fld := range o.Fields {
			if rel, _, ok := strings.Cut(fld, "."); ok {
				d.Fields = append(d.Fields, sfbulk.FieldDescribe{Name: rel + "Id", RelationshipName: rel, ReferenceTo: []string{rel}})
				continue
			}
			d.Fields = append(d.Fields, sfbulk.FieldDescribe{Name: fld})
		}
		f.describe[o.Name] = d
	}
	return f
}

func dropField(d *sfbulk.SObjectDescribe, name string) {
	d.Fields = slices.DeleteFunc(d.Fields, func(f sfbulk.FieldDescribe) bool { return f.Name == name })
}

func TestExtractRefusesMissingFields(t *testing.T) {
	org := newTestOrg(t, 200)
	tests := []struct {
		name      string
		sf        func() BulkQuerier
		writeback []string
		want      []MissingFieldError // Object and Field of each
	}{
		{"writeback fields not deployed (simulator)", func() BulkQuerier { return org.sf }, []string{"Navsync_Member_Id__c"},
			[]MissingFieldError{{Object: "Contact", Field: "Navsync_Member_Id__c"}, {Object: "Lead", Field: "Navsync_Member_Id__c"}}},
		{"default writeback field missing on Lead", func() BulkQuerier {
			f := completeFake()
			dropField(f.describe["Lead"], DefaultLeadIDField)
			return f
		}, nil, []MissingFieldError{{Object: "Lead", Field: DefaultLeadIDField}}},
		{"relationship target field hidden", func() BulkQuerier {
			f := completeFake()
			dropField(f.describe["Account"], "Name")
			return f
		}, nil, []MissingFieldError{{Object: "Contact", Field: "Account.Name"}, {Object: "Account", Field: "Name"}}},
		{"object not queryable", func() BulkQuerier {
			f := completeFake()
			f.describe["Opportunity"].Queryable = false
			return f
		}, nil, []MissingFieldError{{Object: "Opportunity"}}},
		{"object missing", func() BulkQuerier {
			f := completeFake()
			delete(f.describe, "User")
			return f
		}, nil, []MissingFieldError{{Object: "User"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sf := tt.sf()
			_, err := Extract(context.Background(), sf, ExtractOptions{Dir: dir, WritebackFields: tt.writeback})
			if !errors.Is(err, ErrMissingField) {
				t.Fatalf("err %v, want ErrMissingField", err)
			}
			var got []MissingFieldError
			for _, e := range err.(interface{ Unwrap() error }).Unwrap().(interface{ Unwrap() []error }).Unwrap() {
				var mf *MissingFieldError
				if errors.As(e, &mf) {
					got = append(got, MissingFieldError{Object: mf.Object, Field: mf.Field})
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("missing %+v, want %+v (error: %v)", got, tt.want, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w.Object) || !strings.Contains(err.Error(), w.Field) {
					t.Errorf("error %q does not name %s %s", err, w.Object, w.Field)
				}
			}
			if f, ok := sf.(*fakeOrg); ok && f.queries.Load() != 0 {
				t.Errorf("%d queries run despite the missing field", f.queries.Load())
			}
			if _, err := os.Stat(filepath.Join(dir, "crm")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("crm/ created before the schema check passed: %v", err)
			}
		})
	}
}

func TestExtractUnderFaults(t *testing.T) {
	org := newTestOrg(t, 800)
	clean := t.TempDir()
	if _, err := Extract(context.Background(), org.sf, ExtractOptions{Dir: clean, PageSize: 100}); err != nil {
		t.Fatal(err)
	}
	org.sim.SetFaults(sfsim.Faults{Unavailable: 0.08, Drop: 0.05, BulkFail: 0.3, SessionExpiry: 40 * time.Millisecond, Seed: 11})
	faulty := t.TempDir()
	res, err := Extract(context.Background(), org.sf, ExtractOptions{Dir: faulty, PageSize: 100, JobAttempts: 10})
	if err != nil {
		t.Fatalf("extract under faults: %v (faults injected %v)", err, org.sim.FaultCounts())
	}
	org.sim.SetFaults(sfsim.Faults{})
	fc := org.sim.FaultCounts()
	injected := 0
	for _, n := range fc {
		injected += n
	}
	if injected == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
	t.Logf("faults injected %v; bulk jobs %d; usage %+v", fc, res.Jobs(), org.sf.Usage())
	for _, o := range snapshot.Objects(nil) {
		a, err := os.ReadFile(filepath.Join(clean, "crm", o.File()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(faulty, "crm", o.File()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs under faults (%d vs %d bytes)", o.File(), len(a), len(b))
		}
	}
}

// cancelling cancels its context once a given object's export has written
// some bytes.
type cancelling struct {
	BulkQuerier
	object string
	cancel context.CancelFunc
}

type cancelWriter struct {
	w      io.Writer
	cancel context.CancelFunc
}

func (c cancelWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.cancel()
	return n, err
}

func (c cancelling) BulkQueryCSV(ctx context.Context, soql string, opts sfbulk.BulkQueryOptions, w io.Writer) (sfbulk.QueryStats, error) {
	if strings.Contains(soql, " FROM "+c.object) {
		w = cancelWriter{w, c.cancel}
	}
	return c.BulkQuerier.BulkQueryCSV(ctx, soql, opts, w)
}

func TestExtractEmptyResultKeepsHeader(t *testing.T) {
	f := completeFake()
	f.empty = "User"
	dir := t.TempDir()
	res, err := Extract(context.Background(), f, ExtractOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "crm", "User.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\"Id\",\"Email\",\"Username\",\"IsActive\"\n"; string(b) != want {
		t.Errorf("User.csv of an empty result = %q, want the header %q", b, want)
	}
	if n := res.Rows(); n != 0 {
		t.Errorf("%d rows", n)
	}
}

func TestExtractLeavesNoPartialFile(t *testing.T) {
	org := newTestOrg(t, 800)
	tests := []struct {
		name    string
		sf      func(cancel context.CancelFunc) BulkQuerier
		wantErr error
	}{
		{"cancelled mid-export", func(cancel context.CancelFunc) BulkQuerier {
			return cancelling{BulkQuerier: org.sf, object: "Lead", cancel: cancel}
		}, context.Canceled},
		{"one object fails", func(context.CancelFunc) BulkQuerier {
			f := completeFake()
			f.queryErr = map[string]error{"User": sfbulk.ErrBulkJobFailed}
			return f
		}, sfbulk.ErrBulkJobFailed},
	}
	for _, tt := range tests {
		for _, previous := range []bool{false, true} {
			name := tt.name
			if previous {
				name += ", previous snapshot kept"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				crm := filepath.Join(dir, "crm")
				old := map[string]string{}
				if previous {
					os.MkdirAll(crm, 0o755)
					for _, o := range snapshot.Objects(nil) {
						old[o.File()] = "\"Id\"\n\"old-" + o.Name + "\"\n"
						os.WriteFile(filepath.Join(crm, o.File()), []byte(old[o.File()]), 0o644)
					}
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				_, err := Extract(ctx, tt.sf(cancel), ExtractOptions{Dir: dir, PageSize: 50})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				ents, _ := os.ReadDir(crm)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				if len(names) != len(old) {
					t.Errorf("crm/ holds %q after a failed extract, want only the previous snapshot (%d files)", names, len(old))
				}
				for f, content := range old {
					if b, _ := os.ReadFile(filepath.Join(crm, f)); string(b) != content {
						t.Errorf("%s of the previous snapshot was replaced by a failed extract", f)
					}
				}
			})
		}
	}
}

// queryJobPath splits the path of a Bulk query job request into the job's
// id and what follows it ("" or "results").
func queryJobPath(path string) (id, rest string, ok bool) {
	_, after, ok := strings.Cut(path, "/jobs/query/")
	if !ok {
		return "", "", false
	}
	id, rest, _ = strings.Cut(after, "/")
	return id, rest, true
}

// lineOf is the index of the first log line holding every part, or -1.
func lineOf(log string, parts ...string) int {
	for i, l := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return i
		}
	}
	return -1
}

// TestExtractDeletesQueryJobs: each object's query jobs are deleted once
// its rows are in its file, never while a page of theirs may still be
// fetched: a page broken once is fetched again first; a job whose pages
// kept failing, or that ended Failed, is deleted once its error is
// logged; a refused delete is a warning and the extract succeeds;
// KeepQueryJobs keeps them; after a cancel nothing more is deleted.
func TestExtractDeletesQueryJobs(t *testing.T) {
	unavailable := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `[{"errorCode":"SERVER_UNAVAILABLE","message":"Server Unavailable"}]`)
	}
	// laterPage answers the requests of a results page after the first
	// (the page breaks mid-pagination) with a 503, times times per job
	// (0: always), and collects the jobs it broke.
	laterPage := func(times int, broken map[string]int) func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
		return func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
			if rest != "results" || r.URL.Query().Get("locator") == "" || times > 0 && broken[id] >= times {
				return false
			}
			broken[id]++
			unavailable(w)
			return true
		}
	}
	const (
		none = iota // every job deleted
		all         // every job kept
		one         // the job read when cancelled kept
	)
	tests := []struct {
		name     string
		keep     bool
		faults   sfsim.Faults
		attempts int
		// answer answers a request of query job id in the org's place
		// when it returns true; broken collects the jobs it answered.
		answer   func(broken map[string]int) func(w http.ResponseWriter, r *http.Request, id, rest string) bool
		cancelOn string // cancel the context once this object's export has written rows
		wantErr  error
		left     int
	}{
		{name: "deleted once the rows are in the files"},
		{name: "kept with KeepQueryJobs", keep: true, left: all},
		{name: "a refused delete is a warning", left: all, answer: func(map[string]int) func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
			return func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
				if r.Method != http.MethodDelete {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `[{"errorCode":"API_ERROR","message":"Error encountered when deleting the job because the job is not terminated"}]`)
				return true
			}
		}},
		{name: "a page broken once is fetched again before the job goes",
			answer: func(broken map[string]int) func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
				return laterPage(1, broken)
			}},
		{name: "a job whose pages keep failing goes once its error is logged", wantErr: sfbulk.ErrUnavailable,
			answer: func(broken map[string]int) func(w http.ResponseWriter, r *http.Request, id, rest string) bool {
				return laterPage(0, broken)
			}},
		{name: "Failed jobs run again go too", faults: sfsim.Faults{BulkFail: 0.5, Seed: 4}, attempts: 20},
		{name: "a job that ended Failed goes once its error is logged", faults: sfsim.Faults{BulkFail: 1}, attempts: 2, wantErr: sfbulk.ErrBulkJobFailed},
		{name: "cancelled: nothing more deleted", cancelOn: "Lead", wantErr: context.Canceled, left: one},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newJobOrg(t, 400, 5, sfsim.Options{})
			var mu sync.Mutex
			var events []string // "<method> <rest> <id>" of every query job request, in order
			broken := map[string]int{}
			var answer func(w http.ResponseWriter, r *http.Request, id, rest string) bool
			if tt.answer != nil {
				answer = tt.answer(broken)
			}
			o.answer = func(w http.ResponseWriter, r *http.Request) bool {
				id, rest, ok := queryJobPath(r.URL.Path)
				if !ok {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				events = append(events, r.Method+" "+rest+" "+id)
				return answer != nil && answer(w, r, id, rest)
			}
			var logBuf syncBuffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c, err := o.connect("")(ctx, nil, log)
			if err != nil {
				t.Fatal(err)
			}
			var sf BulkQuerier = c
			if tt.cancelOn != "" {
				sf = cancelling{BulkQuerier: c, object: tt.cancelOn, cancel: cancel}
			}
			o.srv.SetFaults(tt.faults)
			_, err = Extract(ctx, sf, ExtractOptions{Dir: t.TempDir(), PageSize: 50, Concurrency: 1, JobAttempts: tt.attempts,
				KeepQueryJobs: tt.keep, Logger: log})
			o.srv.SetFaults(sfsim.Faults{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if errors.Is(err, sfbulk.ErrNotFound) {
				t.Fatalf("a job was deleted before its error: %v", err)
			}

			mu.Lock()
			defer mu.Unlock()
			var jobs []string // every job created, in order
			deleted := map[string]int{}
			for i, e := range events {
				m, id := e[:strings.IndexByte(e, ' ')], e[strings.LastIndexByte(e, ' ')+1:]
				switch {
				case m == http.MethodGet && !slices.Contains(jobs, id):
					jobs = append(jobs, id)
				case m == http.MethodDelete:
					deleted[id] = i
				}
			}
			for i, e := range events {
				id := e[strings.LastIndexByte(e, ' ')+1:]
				if d, ok := deleted[id]; ok && i > d && !strings.HasPrefix(e, http.MethodDelete) {
					t.Errorf("%q after the job's delete", e)
				}
			}
			org := o.srv.QueryJobs()
			logs := logBuf.String()
			switch tt.left {
			case none:
				if len(org) != 0 {
					t.Errorf("the org still holds %v", org)
				}
				for _, id := range jobs {
					if lineOf(logs, "bulk query job deleted", "job="+id) < 0 {
						t.Errorf("job %s: no deletion logged", id)
					}
				}
			case all:
				if len(org) != len(jobs) || len(jobs) < 5 {
					t.Errorf("the org holds %v, want the %d jobs %v", org, len(jobs), jobs)
				}
				if n := strings.Count(logs, "could not delete a finished bulk query job"); tt.answer != nil && n != len(jobs) {
					t.Errorf("%d warnings for %d jobs not deleted:\n%s", n, len(jobs), logs)
				}
			case one:
				last := jobs[len(jobs)-1]
				if len(org) != 1 || org[last] != "JobComplete" {
					t.Errorf("the org holds %v, want only %s, read when cancelled", org, last)
				}
				if _, ok := deleted[last]; ok || lineOf(logs, "stopping: finished bulk query jobs left for Salesforce", last) < 0 {
					t.Errorf("the job read when cancelled: delete sent %v, log:\n%s", ok, logs)
				}
			}
			// A job that failed is deleted after its error is in the log.
			for _, id := range jobs {
				del := lineOf(logs, "bulk query job deleted", "job="+id)
				for _, failed := range []int{lineOf(logs, "object extract failed", id), lineOf(logs, "bulk job failed; running it again", "job="+id)} {
					if failed >= 0 && del >= 0 && failed > del {
						t.Errorf("job %s deleted (log line %d) before its error was logged (line %d)", id, del, failed)
					}
				}
			}
			switch {
			case tt.wantErr != nil && tt.wantErr != context.Canceled:
				if lineOf(logs, "object extract failed") < 0 {
					t.Errorf("the failure is not logged:\n%s", logs)
				}
			case tt.faults.BulkFail > 0:
				fc := o.srv.FaultCounts()["bulk-fail"]
				if fc == 0 || len(jobs) != 5+fc || strings.Count(logs, "UNKNOWN_EXCEPTION") != fc {
					t.Errorf("%d jobs failed, %d run; errors logged:\n%s", fc, len(jobs), logs)
				}
			}
			if tt.answer != nil && tt.left == none && len(broken) == 0 {
				t.Error("no page was broken: the case proves nothing")
			}
		})
	}
}

// The snapshot queries are the contract's objects and fields, with the
// open-opportunity filter (the strings are what Extract sent before the
// contract moved to package snapshot).
func TestSnapshotSOQL(t *testing.T) {
	want := []string{
		"SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, AccountId, Account.Name, Title, MailingCity, MailingState, MailingCountry, OwnerId, Sales_Navigator_Lead_Id__c, LinkedIn_Profile_URL__c FROM Contact",
		"SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, Company, Title, Website, Street, City, State, PostalCode, Country, IsConverted, ConvertedContactId, ConvertedAccountId, OwnerId, Sales_Navigator_Lead_Id__c, LinkedIn_Profile_URL__c FROM Lead",
		"SELECT Id, Name, Website, Phone, BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, NumberOfEmployees, Industry FROM Account",
		"SELECT Id, Name, AccountId, StageName, CloseDate, IsClosed FROM Opportunity WHERE IsClosed = false",
		"SELECT Id, Email, Username, IsActive FROM User",
	}
	objs := snapshot.Objects(nil)
	if len(objs) != len(want) {
		t.Fatalf("%d objects, want %d", len(objs), len(want))
	}
	for i, o := range objs {
		q, err := soql(o)
		if err != nil || q != want[i] {
			t.Errorf("%s: %q, %v\nwant %q", o.Name, q, err, want[i])
		}
	}
	// Configured writeback fields replace the defaults; one the object
	// already has (in any case) is not queried twice.
	q, err := soql(snapshot.Objects([]string{"OwnerId", "X__c"})[0])
	if want := "SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, AccountId, Account.Name, Title, MailingCity, MailingState, MailingCountry, OwnerId, X__c FROM Contact"; err != nil || q != want {
		t.Errorf("with writeback fields: %q, %v", q, err)
	}
}
