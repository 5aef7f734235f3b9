package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// TestMain lets a test run navsync itself as a subprocess (the test binary
// with NAVSYNC_TEST_MAIN=1 is navsync), so a test can SIGKILL a real run.
// NAVSYNC_TEST_INGEST_MAX_UPLOAD caps its ingest jobs' uploads (bytes), so
// that an ingest call is split over several jobs.
func TestMain(m *testing.M) {
	if os.Getenv("NAVSYNC_TEST_MAIN") == "1" {
		if v := os.Getenv("NAVSYNC_TEST_INGEST_MAX_UPLOAD"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				fmt.Fprintln(os.Stderr, "NAVSYNC_TEST_INGEST_MAX_UPLOAD:", err)
				os.Exit(2)
			}
			applyOptions.IngestMaxUploadBytes = n
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// killOrg is a simulator org behind a handler that SIGKILLs the navsync
// process under test at its nth write request: before handing the request
// on (it never reaches the org) or after (applied, the answer lost).
type killOrg struct {
	srv   *sfsim.Server
	hs    *httptest.Server
	world *fixtures.World

	mu     sync.Mutex
	writes int
	killAt int
	after  bool
	match  func(*http.Request) bool
	proc   *os.Process
	exited chan struct{} // closed when proc has exited
	killed bool
	// env is added to the subprocess's environment.
	env []string
	// onKill, if set, is called with the request the kill is armed at,
	// before that request reaches the org.
	onKill func(*http.Request)
	// watch, if set, sees every request before the org does.
	watch func(*http.Request)
}

func (k *killOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	watch := k.watch
	k.mu.Unlock()
	if watch != nil {
		watch(r)
	}
	if !isWriteRequest(r) || (k.match != nil && !k.match(r)) {
		k.srv.Handler().ServeHTTP(w, r)
		return
	}
	k.mu.Lock()
	k.writes++
	hit := k.proc != nil && !k.killed && k.writes == k.killAt
	proc, after, exited := k.proc, k.after, k.exited
	if hit {
		k.killed = true
	}
	k.mu.Unlock()
	if !hit {
		k.srv.Handler().ServeHTTP(w, r)
		return
	}
	if k.onKill != nil {
		k.onKill(r)
	}
	if after {
		k.srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	proc.Kill()
	// The answer below must never reach the process: wait until it is gone.
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
	}
	http.Error(w, "killed", http.StatusServiceUnavailable)
}

// isWriteRequest: sObject writes, collections, and Bulk ingest job calls.
func isWriteRequest(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet:
		return false
	case strings.Contains(p, "/jobs/ingest"):
		return true
	case strings.Contains(p, "/composite/sobjects"), strings.Contains(p, "/sobjects/"):
		return true
	}
	return false
}

func newKillOrg(t *testing.T, people int, seed int64) *killOrg {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: seed, People: people})
	if err != nil {
		t.Fatal(err)
	}
	k := &killOrg{world: w}
	k.hs = httptest.NewUnstartedServer(k)
	k.srv, err = sfsim.New(sfsim.Options{BaseURL: "http://" + k.hs.Listener.Addr().String(), LeadAssignmentRule: sfsim.LeadQueue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.srv.Close)
	if err := seedSimWorld(k.srv, w); err != nil {
		t.Fatal(err)
	}
	k.hs.Start()
	t.Cleanup(k.hs.Close)
	return k
}

// writeConfig writes a config for the org (as navsync sim --write-config
// does) with extra YAML appended.
func (k *killOrg) writeConfig(t *testing.T, extra string) string {
	t.Helper()
	path, _ := writeTestConfig(t, k.srv, k.hs.URL, k.world, true, extra)
	return path
}

// navsync runs navsync in a subprocess; kill arms the org to SIGKILL it.
func (k *killOrg) navsync(t *testing.T, killAt int, after bool, args ...string) (output string, exitErr error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "NAVSYNC_TEST_MAIN=1"), k.env...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	k.mu.Lock()
	k.writes, k.killAt, k.after, k.killed, k.exited = 0, killAt, after, false, exited
	if killAt > 0 {
		k.proc = cmd.Process
	} else {
		k.proc = nil
	}
	k.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		close(exited)
		done <- err
	}()
	select {
	case err := <-done:
		k.mu.Lock()
		k.proc = nil
		k.mu.Unlock()
		return errb.String(), err
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("navsync %v did not finish:\n%s", args, errb.String())
	}
	return "", nil
}

// linked is every record's writeback values.
func linked(s *sfsim.Server) map[string]string {
	out := map[string]string{}
	for _, obj := range []string{"Contact", "Lead"} {
		for _, r := range s.Records(obj) {
			if v := r["Sales_Navigator_Lead_Id__c"] + "|" + r["LinkedIn_Profile_URL__c"]; v != "|" {
				out[obj+" "+r["Id"]] = v
			}
		}
	}
	return out
}

// TestRunKilledAndRerun kills `navsync run` with SIGKILL at several points
// of apply, runs it again, and checks that every writeback is done exactly
// once and the org ends as after a run that was never killed.
func TestRunKilledAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess kill test")
	}
	const people, seed = 3000, 21
	want := cleanRunLinks(t, people, seed)

	ingest := "writeback:\n  bulk_threshold: 1\n"
	isUpload := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/jobs/ingest")
	}
	// Contacts are upserted on their lead id field, one call per owner and 200 contacts.
	isCreate := func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/composite/sobjects/Contact/")
	}
	isClose := func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/jobs/ingest")
	}
	tests := []struct {
		name   string
		extra  string
		match  func(*http.Request) bool
		killAt int
		after  bool
	}{
		{"collections, before the first write", "", nil, 1, false},
		{"collections, before the third write", "", nil, 3, false},
		{"collections, after the second write (applied, answer lost)", "", nil, 2, true},
		{"contact creation, before the first upsert", "", isCreate, 1, false},
		{"contact creation, after the second upsert (applied, answer lost)", "", isCreate, 2, true},
		{"ingest, before the upload", ingest, isUpload, 1, false},
		{"ingest, after the close (job runs on)", ingest, isClose, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newKillOrg(t, people, seed)
			org.match = tt.match
			cfg := org.writeConfig(t, tt.extra)
			initial := linked(org.srv)
			out, err := org.navsync(t, tt.killAt, tt.after, "run", "--config", cfg)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != -1 {
				t.Fatalf("the first run was not killed (err %v):\n%s", err, out)
			}
			if !org.killed {
				t.Fatal("the kill point was never reached")
			}
			if out, err := org.navsync(t, 0, false, "run", "--config", cfg); err != nil {
				t.Fatalf("rerun: %v\n%s", err, out)
			}
			st, killed := checkRerun(t, org, cfg, initial, want)
			// The killed run's in-flight call was settled by reading back:
			// applied (answer lost) or not applied (never arrived).
			counts, err := st.Counts(context.Background(), killed.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.after && counts[state.Done] == 0 || !tt.after && counts[state.NotApplied] == 0 || counts[state.Sent]+counts[state.Unknown]+counts[state.Planned] != 0 {
				t.Errorf("killed run's journal after reconciliation: %v", counts)
			}
		})
	}
}

// cleanRunLinks is what one clean run (in-process) links in the world.
func cleanRunLinks(t *testing.T, people int, seed int64) map[string]string {
	t.Helper()
	ref := newKillOrg(t, people, seed)
	refCfg, err := batch.Load(ref.writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := batch.Run(context.Background(), batch.RunOptions{Config: refCfg, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	want := linked(ref.srv)
	if len(want) < 400 {
		t.Fatalf("reference run linked only %d records", len(want))
	}
	return want
}

// checkRerun checks the org and the state store after a killed run and its
// rerun: the org is linked as by a clean run (want), each record written
// once (records linked before, initial, never), and the history holds the
// rerun and the killed run, closed as interrupted with nothing left open.
// It returns the store (closed at the test's end) and the killed run.
func checkRerun(t *testing.T, org *killOrg, cfg string, initial, want map[string]string) (*state.Store, state.Run) {
	t.Helper()
	got := linked(org.srv)
	if len(got) != len(want) {
		t.Fatalf("after kill and rerun %d records linked, a clean run links %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: %q, clean run %q", k, got[k], v)
		}
	}
	for k := range got {
		obj, id, _ := strings.Cut(k, " ")
		want := 1
		if _, ok := initial[k]; ok {
			want = 0 // linked before navsync ran: already_linked
		}
		if n := org.srv.RecordWrites(obj, id); n != want {
			t.Errorf("%s written %d times, want %d", k, n, want)
		}
	}
	st, err := state.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "navsync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	open, err := st.IncompleteRuns(context.Background())
	if err != nil || len(open) != 0 {
		t.Fatalf("incomplete runs after the rerun: %v %v", open, err)
	}
	runs, _ := st.Runs(context.Background(), 10)
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[succeeded interrupted]" {
		t.Fatalf("run history %v, want [succeeded interrupted]", statuses)
	}
	return st, runs[1]
}

// TestRunKilledDuringLaterIngestJob kills navsync run during an ingest call
// split over several jobs (uploads of at most 8 kB), after its second job
// was closed and while Salesforce still has that job queued. The rerun must
// wait for the job that carried each record (the journal names it) before
// reading the records back: reading them while the job is queued finds them
// unwritten, the rerun sends them again, and the queued job then writes
// them a second time.
func TestRunKilledDuringLaterIngestJob(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess kill test")
	}
	const people, seed = 3000, 21
	want := cleanRunLinks(t, people, seed)

	org := newKillOrg(t, people, seed)
	org.env = []string{"NAVSYNC_TEST_INGEST_MAX_UPLOAD=8000"}
	org.match = func(r *http.Request) bool { // a close (or an abort)
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/jobs/ingest/")
	}
	var mu sync.Mutex
	var release func()
	var heldJob string
	org.onKill = func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		heldJob = path.Base(r.URL.Path)
		release = org.srv.HoldIngestJobs() // the job closed now stays queued
	}
	cfg := org.writeConfig(t, "writeback:\n  bulk_threshold: 1\n")
	initial := linked(org.srv)
	out, err := org.navsync(t, 2, true, "run", "--config", cfg)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 || !org.killed {
		t.Fatalf("the first run was not killed at the second close (err %v):\n%s", err, out)
	}
	mu.Lock()
	job := heldJob
	mu.Unlock()
	afterKill := org.srv.IngestJobs() // kept: the rerun needs them to reconcile
	if afterKill[job] != "UploadComplete" {
		t.Fatalf("after the kill the org holds the jobs %v, the held job %s not queued", afterKill, job)
	}

	// The queued job runs once the rerun asks for it, or, when the rerun
	// never does, once the rerun starts an ingest job of its own.
	org.mu.Lock()
	org.watch = func(r *http.Request) {
		asks := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/jobs/ingest/"+job)
		creates := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/jobs/ingest")
		if asks || creates {
			mu.Lock()
			release()
			mu.Unlock()
		}
	}
	org.mu.Unlock()
	if out, err := org.navsync(t, 0, false, "run", "--config", cfg); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	st, killed := checkRerun(t, org, cfg, initial, want)

	// The held job was a later job of its call: the killed run journalled
	// some of its actions in it and others of the same object in another
	// job, and reconciliation found them written.
	acts, err := st.Actions(context.Background(), killed.ID)
	if err != nil {
		t.Fatal(err)
	}
	inJob, others := 0, 0
	var object string
	for _, a := range acts {
		if a.JobID == job {
			inJob++
			object = a.Object
			if a.State != state.Done {
				t.Errorf("action %d in the held job %s: %s, want done", a.Seq, job, a.State)
			}
		}
	}
	for _, a := range acts {
		if a.Object == object && a.JobID != "" && a.JobID != job {
			others++
		}
	}
	if inJob == 0 || others == 0 {
		t.Fatalf("%d actions journalled in the held job %s, %d of %s in other jobs: the kill was not in a later job of a call", inJob, job, others, object)
	}
	// Every job the killed run journalled was still there for the rerun,
	// which deleted them once it had journalled their outcomes; the rerun
	// deleted its own jobs too.
	for _, a := range acts {
		if _, ok := afterKill[a.JobID]; a.JobID != "" && !ok {
			t.Errorf("job %s of action %d was gone after the kill", a.JobID, a.Seq)
		}
	}
	if jobs := org.srv.IngestJobs(); len(jobs) != 0 {
		t.Errorf("after the rerun the org still holds the jobs %v", jobs)
	}
	t.Logf("%d actions in the held job %s, %d %s actions in the call's other jobs", inJob, job, others, object)
}
