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
	"path/filepath"
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
func TestMain(m *testing.M) {
	if os.Getenv("NAVSYNC_TEST_MAIN") == "1" {
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
}

func (k *killOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	cmd.Env = append(os.Environ(), "NAVSYNC_TEST_MAIN=1")
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
	// The reference: the same world, one clean run in-process.
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
			mid := len(linked(org.srv))
			if out, err := org.navsync(t, 0, false, "run", "--config", cfg); err != nil {
				t.Fatalf("rerun: %v\n%s", err, out)
			}
			got := linked(org.srv)
			if len(got) != len(want) {
				t.Fatalf("after kill and rerun %d records linked, a clean run links %d (%d before the rerun)", len(got), len(want), mid)
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
			// The killed run is closed in the history, reconciled.
			st, err := state.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "navsync.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
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
			// The killed run's in-flight call was settled by reading back:
			// applied (answer lost) or not applied (never arrived).
			counts, err := st.Counts(context.Background(), runs[1].ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.after && counts[state.Done] == 0 || !tt.after && counts[state.NotApplied] == 0 || counts[state.Sent]+counts[state.Unknown]+counts[state.Planned] != 0 {
				t.Errorf("killed run's journal after reconciliation: %v", counts)
			}
		})
	}
}
