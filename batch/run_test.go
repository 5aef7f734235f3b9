package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// jobOrg is a simulator org serving a generated world, and the world's
// Sales Navigator exports on disk.
type jobOrg struct {
	srv   *sfsim.Server
	hs    *httptest.Server
	world *fixtures.World
	dir   string // exports in dir/salesnav

	mu sync.Mutex
	// answer, if set, answers the requests it reports true for in the
	// org's place.
	answer func(w http.ResponseWriter, r *http.Request) bool
}

func (o *jobOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	answer := o.answer
	o.mu.Unlock()
	if answer != nil && answer(w, r) {
		return
	}
	o.srv.Handler().ServeHTTP(w, r)
}

func newJobOrg(t testing.TB, people int, seed int64, opts sfsim.Options) *jobOrg {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: seed, People: people})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := w.Write(dir); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	opts.BaseURL = "http://" + hs.Listener.Addr().String()
	srv, err := sfsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, tb := range w.CRMTables() {
		if err := srv.Load(tb.Object, tb.Header, tb.Rows); err != nil {
			t.Fatal(err)
		}
	}
	o := &jobOrg{srv: srv, hs: hs, world: w, dir: dir}
	hs.Config.Handler = o
	hs.Start()
	t.Cleanup(hs.Close)
	return o
}

// config is a run configuration for the org, with its state store, work
// folder and reports in a fresh folder.
func (o *jobOrg) config(t testing.TB) *Config {
	t.Helper()
	base := t.TempDir()
	cfg := Defaults()
	cfg.Path = filepath.Join(base, "navsync.yaml")
	cfg.SalesNav = SalesNavConfig{Leads: []string{filepath.Join(o.dir, "salesnav", "leads.csv")}, Accounts: []string{filepath.Join(o.dir, "salesnav", "accounts.csv")}}
	cfg.Reports.Dir = filepath.Join(base, "reports")
	cfg.State.Path = filepath.Join(base, "navsync.db")
	cfg.WorkDir = filepath.Join(base, "work")
	cfg.Safety.MaxWrites = 1000000
	return cfg
}

// connect signs in as username (default the admin integration user)
// through a refresh token, as a scheduled run does.
func (o *jobOrg) connect(username string) func(ctx context.Context, cfg *Config, log *slog.Logger) (Client, error) {
	return func(ctx context.Context, cfg *Config, log *slog.Logger) (Client, error) {
		if username == "" {
			username = o.srv.AdminUser().Username
		}
		_, rt, err := o.srv.IssueToken(username)
		if err != nil {
			return nil, err
		}
		app := o.srv.ConnectedApp()
		retry := sfbulk.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}
		ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: o.hs.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
			HTTPClient: o.hs.Client(), Retry: retry}, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt, Username: username}))
		if err != nil {
			return nil, err
		}
		return sfbulk.New(ctx, sfbulk.Config{HTTPClient: o.hs.Client(), Retry: retry, ExpectOrgID: o.srv.OrgID(),
			PollInterval: time.Millisecond, MaxPollInterval: 20 * time.Millisecond, Logger: log}, ts)
	}
}

func (o *jobOrg) run(t testing.TB, cfg *Config, mod func(*RunOptions)) (*RunResult, error) {
	t.Helper()
	opts := RunOptions{Config: cfg, Connect: o.connect(""), Apply: ApplyOptions{LockBackoff: time.Millisecond}}
	if mod != nil {
		mod(&opts)
	}
	return Run(context.Background(), opts)
}

// linkState is every Contact's and Lead's writeback values, by id.
func (o *jobOrg) linkState() map[string]string {
	out := map[string]string{}
	for _, obj := range []string{"Contact", "Lead"} {
		for _, r := range o.srv.Records(obj) {
			if v := r["Sales_Navigator_Lead_Id__c"] + "|" + r["LinkedIn_Profile_URL__c"]; v != "|" {
				out[r["Id"]] = v
			}
		}
	}
	return out
}

type actionKey struct{ lead, object, target, fields string }

func keysOf(res *RunResult, sendable bool) []actionKey {
	var out []actionKey
	for _, a := range res.Actions {
		if a.Skip == sendable {
			continue
		}
		var fs []string
		for _, f := range a.FieldNames() {
			fs = append(fs, f+"="+a.Fields[f])
		}
		out = append(out, actionKey{a.LeadID, a.Object, a.TargetID, strings.Join(fs, ",")})
	}
	return out
}

func TestRunDryThenRealThenNothing(t *testing.T) {
	org := newJobOrg(t, 3000, 11, sfsim.Options{LeadAssignmentRule: sfsim.LeadQueue})
	cfg := org.config(t)
	owners := map[string]string{}
	for _, r := range org.srv.Records("Lead") {
		owners[r["Id"]] = r["OwnerId"]
	}
	// Converted Leads whose Contact was edited after the conversion (a
	// new last name, no email or phone), so the matcher finds the Lead:
	// their writebacks must go to the Contact (the Lead is read-only).
	edited := 0
	for _, lt := range org.world.LeadTruth {
		if lt.Scenario != fixtures.ScenarioConvertedLead || edited == 5 {
			continue
		}
		for _, id := range lt.CRMIDs {
			if l, ok := org.srv.Get("Lead", id); ok && l["IsConverted"] == "true" && l["ConvertedContactId"] != "" {
				if err := org.srv.Set("Contact", l["ConvertedContactId"], map[string]string{"LastName": "Renamed" + fmt.Sprint(edited),
					"Email": "", "Phone": "", "MobilePhone": ""}); err != nil {
					t.Fatal(err)
				}
				edited++
				break
			}
		}
	}
	if edited == 0 {
		t.Fatal("the world has no converted Lead")
	}

	// A dry run writes nothing and plans exactly what the real run does.
	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Fatalf("dry run made %d write requests", n)
	}
	if dry.Plan.Writes == 0 {
		t.Fatal("dry run planned no writes on a fresh world")
	}
	for i, o := range dry.Outcomes {
		if !dry.Actions[i].Skip && o.Status != StatusWouldUpdate {
			t.Fatalf("dry run action %d status %q", i, o.Status)
		}
	}
	if dry.Summary.APICalls.WriteCalls != int64((dry.Plan.Writes+199)/200) && dry.Summary.APICalls.WriteCalls < 1 {
		t.Errorf("dry run estimated %d write calls for %d writes", dry.Summary.APICalls.WriteCalls, dry.Plan.Writes)
	}

	real, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keysOf(dry, true), keysOf(real, true)) {
		t.Fatalf("dry run planned %d writes, real run %d; they differ", len(keysOf(dry, true)), len(keysOf(real, true)))
	}
	done := real.Summary.Actions[KindWriteback][StatusDone]
	if done != real.Plan.Writes {
		t.Fatalf("real run: %d of %d writes done; statuses %v errors %v", done, real.Plan.Writes, real.Summary.Actions, real.Summary.Errors)
	}

	// Every writeback landed on one of the lead's right records (or the
	// Contact a right converted Lead became), exactly once.
	truth := map[string]fixtures.LeadTruth{}
	for _, lt := range org.world.LeadTruth {
		truth[lt.LeadID] = lt
	}
	redirected := 0
	for _, a := range real.Actions {
		if a.Skip {
			continue
		}
		lt := truth[a.LeadID]
		if !slices.Contains(lt.CRMIDs, a.TargetID) && !slices.Contains(lt.CRMIDs, a.MatchedID) {
			t.Errorf("lead %s written to %s %s (matched %s); truth %v", a.LeadID, a.Object, a.TargetID, a.MatchedID, lt.CRMIDs)
		}
		if a.MatchedID != a.TargetID {
			redirected++
		}
		rec, _ := org.srv.Get(a.Object, a.TargetID)
		if rec["Sales_Navigator_Lead_Id__c"] != a.LeadID {
			t.Errorf("%s %s: lead id field %q, want %q", a.Object, a.TargetID, rec["Sales_Navigator_Lead_Id__c"], a.LeadID)
		}
		if n := org.srv.RecordWrites(a.Object, a.TargetID); n != 1 {
			t.Errorf("%s %s written %d times", a.Object, a.TargetID, n)
		}
	}
	if redirected == 0 {
		t.Error("no converted Lead was redirected to its Contact (the world has converted Leads)")
	}
	// The active assignment rule changed no Lead owner.
	for _, r := range org.srv.Records("Lead") {
		if owners[r["Id"]] != r["OwnerId"] {
			t.Fatalf("Lead %s owner changed from %s to %s", r["Id"], owners[r["Id"]], r["OwnerId"])
		}
	}
	// Reports: a whole run folder with every file.
	for _, f := range []string{"matches.parquet", "accounts.parquet", "rejects.parquet", ActionsFile, RunFile} {
		if _, err := os.Stat(filepath.Join(real.ReportDir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(filepath.ToSlash(real.ReportDir), "/run_date=") || !strings.HasSuffix(real.ReportDir, "run_id="+real.Summary.RunID) {
		t.Errorf("report dir %s is not Hive-partitioned", real.ReportDir)
	}

	// A second run writes nothing: every record already holds its values.
	before := org.srv.WriteRequests()
	again, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Plan.Writes != 0 || org.srv.WriteRequests() != before {
		t.Fatalf("second run planned %d writes and sent %d write requests", again.Plan.Writes, org.srv.WriteRequests()-before)
	}
	if again.Plan.Skipped[ReasonAlreadyLinked] < done {
		t.Errorf("second run: %d already linked, want at least %d", again.Plan.Skipped[ReasonAlreadyLinked], done)
	}
}

func TestRunReadOnlyUserFails(t *testing.T) {
	org := newJobOrg(t, 1000, 12, sfsim.Options{})
	ro := ""
	for _, u := range org.srv.Records("User") {
		if u["ProfileId"] == readOnlyProfile(org.srv) && u["IsActive"] == "true" {
			ro = u["Username"]
			break
		}
	}
	if ro == "" {
		t.Skip("the world has no active read-only user")
	}
	cfg := org.config(t)
	before := org.linkState()
	res, err := org.run(t, cfg, func(o *RunOptions) { o.Connect = org.connect(ro) })
	if err != nil && res == nil {
		t.Fatal(err)
	}
	if res.Plan.Writes == 0 {
		t.Fatal("nothing planned")
	}
	failed := res.Summary.Actions[KindWriteback][StatusFailed]
	if failed != res.Plan.Writes {
		t.Fatalf("read-only user: %d of %d writes failed; statuses %v", failed, res.Plan.Writes, res.Summary.Actions)
	}
	for code := range res.Summary.Errors {
		if !strings.HasPrefix(code, "INSUFFICIENT_ACCESS") {
			t.Errorf("error code %s, want Salesforce's INSUFFICIENT_ACCESS_*", code)
		}
	}
	if after := org.linkState(); !mapsEqual(before, after) {
		t.Errorf("a read-only user's run changed records: %d linked before, %d after", len(before), len(after))
	}
}

func readOnlyProfile(s *sfsim.Server) string {
	for _, p := range s.Records("Profile") {
		if strings.Contains(p["Name"], "Read Only") {
			return p["Id"]
		}
	}
	return ""
}

func TestRunBrake(t *testing.T) {
	org := newJobOrg(t, 1000, 13, sfsim.Options{})
	cfg := org.config(t)
	cfg.Safety.MaxWrites = 10
	res, err := org.run(t, cfg, nil)
	var be *BrakeError
	if !errors.As(err, &be) || !errors.Is(err, ErrBrake) {
		t.Fatalf("err = %v, want the safety brake", err)
	}
	if be.Check.Planned <= 10 || !strings.Contains(err.Error(), fmt.Sprint(be.Check.Planned)) {
		t.Errorf("brake message %q lacks the counts", err)
	}
	if org.srv.WriteRequests() != 0 {
		t.Fatalf("the brake let %d write requests through", org.srv.WriteRequests())
	}
	if res == nil || res.ReportDir == "" {
		t.Fatal("a braked run still writes its reports")
	}
	// --force overrides.
	res, err = org.run(t, cfg, func(o *RunOptions) { o.Force = true })
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Actions[KindWriteback][StatusDone] != res.Plan.Writes {
		t.Fatalf("forced run: %v", res.Summary.Actions)
	}
	// Growth: after a run that wrote little, a much larger plan stops.
	st, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := checkBrake(context.Background(), st, &Config{Safety: SafetyConfig{MaxGrowth: 2, GrowthFloor: 1}}, 3*res.Plan.Writes, false)
	st.Close()
	if err != nil || b.Tripped != "max_growth" || b.PreviousWrites != res.Plan.Writes {
		t.Fatalf("growth brake = %+v, %v", b, err)
	}
}

func TestRunCollectionsAndIngestEndEqual(t *testing.T) {
	a := newJobOrg(t, 2000, 14, sfsim.Options{})
	b := newJobOrg(t, 2000, 14, sfsim.Options{})
	ca, cb := a.config(t), b.config(t)
	cb.Writeback.BulkThreshold = 1 // every object through an ingest job
	ra, err := a.run(t, ca, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.run(t, cb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Summary.IngestJobs) == 0 {
		t.Fatal("no ingest job was used")
	}
	if ra.Plan.Writes == 0 || rb.Summary.Actions[KindWriteback][StatusDone] != ra.Summary.Actions[KindWriteback][StatusDone] {
		t.Fatalf("collections %v, ingest %v", ra.Summary.Actions, rb.Summary.Actions)
	}
	sa, sb := a.linkState(), b.linkState()
	if len(sa) == 0 || !mapsEqual(sa, sb) {
		t.Fatalf("end states differ: %d vs %d linked records", len(sa), len(sb))
	}
	if rb.Summary.APICalls.WriteCalls >= ra.Summary.APICalls.WriteCalls+20 {
		t.Errorf("ingest spent %d write calls, collections %d", rb.Summary.APICalls.WriteCalls, ra.Summary.APICalls.WriteCalls)
	}
}

// TestRunDeletesBulkJobs: a run leaves none of its Bulk jobs in the org:
// the extract's query jobs once the snapshot is read, the ingest jobs once
// their outcomes are journalled; a dry run deletes its query jobs too. With
// salesforce.delete_bulk_jobs false the finished jobs stay; a delete that
// fails is logged, per job, and the run succeeds all the same.
func TestRunDeletesBulkJobs(t *testing.T) {
	for _, tc := range []struct {
		name              string
		keep, refuse, dry bool
	}{
		{name: "deleted"},
		{name: "kept by the config", keep: true},
		{name: "the delete fails", refuse: true},
		{name: "dry run", dry: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newJobOrg(t, 1000, 14, sfsim.Options{})
			if tc.refuse {
				o.answer = func(w http.ResponseWriter, r *http.Request) bool {
					if r.Method != http.MethodDelete || !strings.Contains(r.URL.Path, "/jobs/") {
						return false
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprint(w, `[{"errorCode":"UNKNOWN_EXCEPTION","message":"An unexpected error occurred."}]`)
					return true
				}
			}
			cfg := o.config(t)
			cfg.Writeback.BulkThreshold = 1 // every object through ingest jobs
			cfg.Salesforce.DeleteBulkJobs = !tc.keep
			var logBuf syncBuffer
			res, err := o.run(t, cfg, func(opts *RunOptions) {
				opts.Log = slog.New(slog.NewTextHandler(&logBuf, nil))
				opts.Apply.IngestMaxUploadBytes = 20000 // several jobs per object
				opts.DryRun = tc.dry
			})
			if err != nil {
				t.Fatal(err)
			}
			var queries []string
			for _, ob := range res.Extract.Objects {
				queries = append(queries, ob.JobIDs...)
			}
			if len(queries) != res.Extract.Jobs() || len(queries) < 5 {
				t.Fatalf("query jobs %v, %d run", queries, res.Extract.Jobs())
			}
			used := res.Summary.IngestJobs
			if !tc.dry {
				if st := res.Summary.Actions[KindWriteback]; st[StatusDone] == 0 || st[StatusFailed]+st[StatusUnknown]+st[StatusNotSent] != 0 {
					t.Fatalf("writebacks %v", st)
				}
				if len(used) < 3 {
					t.Fatalf("%d ingest jobs used, want several", len(used))
				}
			}
			for kind, jobs := range map[string]struct {
				used []string
				org  map[string]string
			}{"ingest": {used, o.srv.IngestJobs()}, "query": {queries, o.srv.QueryJobs()}} {
				if tc.keep || tc.refuse {
					for _, id := range jobs.used {
						if jobs.org[id] != "JobComplete" {
							t.Errorf("%s job %s: %q in the org, want JobComplete", kind, id, jobs.org[id])
						}
					}
				} else if len(jobs.org) != 0 {
					t.Errorf("the org still holds the %s jobs %v", kind, jobs.org)
				}
				if n := strings.Count(logBuf.String(), "could not delete a finished bulk "+kind+" job"); tc.refuse && n != len(jobs.used) {
					t.Errorf("%d warnings for %d %s jobs not deleted:\n%s", n, len(jobs.used), kind, logBuf.String())
				}
			}
		})
	}
}

func TestRunUnderFaultsEndsLikeCleanRun(t *testing.T) {
	clean := newJobOrg(t, 2000, 15, sfsim.Options{})
	faults, err := sfsim.ParseFaults("unavailable=0.15,lock=0.4,drop=0.05,session-expiry=200ms,bulk-fail=0.3,seed=3")
	if err != nil {
		t.Fatal(err)
	}
	faulty := newJobOrg(t, 2000, 15, sfsim.Options{})
	if _, err := clean.run(t, clean.config(t), nil); err != nil {
		t.Fatal(err)
	}
	faulty.srv.SetFaults(faults)
	cfg := faulty.config(t)
	// A fault can outlast the retries of one run; the next run finishes
	// the work. At most three runs.
	var last error
	for range 3 {
		if _, last = faulty.run(t, cfg, nil); last == nil {
			break
		}
		t.Logf("run under faults: %v", last)
	}
	if last != nil {
		t.Fatal(last)
	}
	fc := faulty.srv.FaultCounts()
	t.Logf("faults injected: %v", fc)
	if fc["lock"] == 0 || fc["unavailable"] == 0 {
		t.Errorf("faults injected %v: want locks and 503s", fc)
	}
	faulty.srv.SetFaults(sfsim.Faults{})
	if a, b := clean.linkState(), faulty.linkState(); !mapsEqual(a, b) {
		t.Fatalf("faulty run ended with %d linked records, clean run %d", len(b), len(a))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
