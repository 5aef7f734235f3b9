package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// cmdOrg is a simulator org serving a generated world behind a handler that
// counts every request and lets a test act on write requests.
type cmdOrg struct {
	srv   *sfsim.Server
	hs    *httptest.Server
	world *fixtures.World

	requests atomic.Int64 // every request, OAuth included
	writes   atomic.Int64 // write requests (isWriteRequest)

	mu      sync.Mutex
	onWrite func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler) // nil: serve
}

func (o *cmdOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	next := o.srv.Handler()
	if !isWriteRequest(r) {
		next.ServeHTTP(w, r)
		return
	}
	n := o.writes.Add(1)
	o.mu.Lock()
	hook := o.onWrite
	o.mu.Unlock()
	if hook == nil {
		next.ServeHTTP(w, r)
		return
	}
	hook(n, w, r, next)
}

func (o *cmdOrg) setOnWrite(f func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler)) {
	o.mu.Lock()
	o.onWrite = f
	o.mu.Unlock()
}

func newCmdOrg(t *testing.T, people int, seed int64) *cmdOrg {
	t.Helper()
	w, err := fixtures.Generate(fixtures.Options{Seed: seed, People: people})
	if err != nil {
		t.Fatal(err)
	}
	o := &cmdOrg{world: w}
	o.hs = httptest.NewUnstartedServer(o)
	o.srv, err = sfsim.New(sfsim.Options{BaseURL: "http://" + o.hs.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.srv.Close)
	if err := seedSimWorld(o.srv, w); err != nil {
		t.Fatal(err)
	}
	o.hs.Start()
	t.Cleanup(o.hs.Close)
	return o
}

// cmdConfig is a config written for the org as `navsync sim --write-config`
// writes it, in its own folder.
type cmdConfig struct {
	path, dir    string
	refreshToken string // the admin's consent in the token store
}

func (c cmdConfig) db() string      { return filepath.Join(c.dir, "navsync.db") }
func (c cmdConfig) reports() string { return filepath.Join(c.dir, "reports") }

// runFolders are the run folders under the config's reports folder.
func (c cmdConfig) runFolders() []string {
	m, _ := filepath.Glob(filepath.Join(c.reports(), "run_date=*", "run_id=*"))
	return m
}

// writeConfig writes a config for the org with extra YAML appended.
func (o *cmdOrg) writeConfig(t *testing.T, extra string) cmdConfig {
	t.Helper()
	path, rt := writeTestConfig(t, o.srv, o.hs.URL, o.world, false, extra)
	return cmdConfig{path: path, dir: filepath.Dir(path), refreshToken: rt}
}

// navsyncIn runs navsync in-process and returns the exit code and outputs.
func navsyncIn(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	err := Run(ctx, append([]string{"--log-format", "text"}, args...), &out, &errb)
	code = exitCode(ctx, err, &errb)
	return code, out.String(), errb.String()
}

// errorLine is what exitCode printed: the last "navsync: " line and the
// lines that follow it.
func errorLine(stderr string) string {
	if i := strings.LastIndex(stderr, "navsync: "); i >= 0 {
		return stderr[i:]
	}
	return ""
}

// assertNothingWritten checks that a run left no trace: no state store, no
// reports, no work folder, and the org saw no request at all.
func assertNothingWritten(t *testing.T, org *cmdOrg, cfg cmdConfig, storeMayExist bool) {
	t.Helper()
	if n := org.requests.Load(); n != 0 {
		t.Errorf("the simulator saw %d requests, want none", n)
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Errorf("%d write requests reached the org", n)
	}
	paths := []string{cfg.reports(), filepath.Join(cfg.dir, "work")}
	if !storeMayExist {
		paths = append(paths, cfg.db())
	}
	for _, p := range paths {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (err %v), want nothing written", filepath.Base(p), err)
		}
	}
}

// TestRunBadConfig: a bad config or a missing input stops `navsync run`
// with exit 5, naming the key, before anything is written or any request
// is sent.
func TestRunBadConfig(t *testing.T) {
	org := newCmdOrg(t, 1000, 31)
	tests := []struct {
		name  string
		extra string
		edit  func(yaml string) string
		args  []string
		want  []string // in the error message
	}{
		{name: "unknown key", extra: "safety:\n  max_wirtes: 5\n", want: []string{"safety.max_wirtes", "unknown key"}},
		{name: "bad cron", extra: "schedule: \"61 2 * * *\"\n", want: []string{"schedule: bad cron expression"}},
		{name: "missing leads file", edit: func(y string) string { return strings.Replace(y, "salesnav/leads.csv", "salesnav/gone.csv", 1) },
			want: []string{"salesnav.leads", "gone.csv"}},
		{name: "missing --leads file", args: []string{"--leads", "nowhere/leads.csv"}, want: []string{"nowhere/leads.csv", "no such file"}},
		{name: "missing --accounts file", args: []string{"--leads", "salesnav/leads.csv", "--accounts", "nowhere/accounts.csv"},
			want: []string{"nowhere/accounts.csv", "no such file"}},
		{name: "missing config", want: []string{"no such file", "--config"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := org.writeConfig(t, tt.extra)
			if tt.edit != nil {
				b, _ := os.ReadFile(cfg.path)
				if err := os.WriteFile(cfg.path, []byte(tt.edit(string(b))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			config := cfg.path
			if tt.name == "missing config" {
				config = filepath.Join(cfg.dir, "other.yaml")
			}
			args := []string{"run", "--config", config}
			for i, a := range tt.args {
				if i > 0 && strings.HasPrefix(tt.args[i-1], "--") && !filepath.IsAbs(a) {
					a = filepath.Join(cfg.dir, a)
				}
				args = append(args, a)
			}
			org.requests.Store(0)
			code, stdout, stderr := navsyncIn(context.Background(), args...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitBadInput, stdout, stderr)
			}
			msg := errorLine(stderr)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			assertNothingWritten(t, org, cfg, false)
		})
	}
}

// TestRunBrakeCommand: the safety brake stops `navsync run` with exit 6
// and the counts, before any write; --force passes.
func TestRunBrakeCommand(t *testing.T) {
	org := newCmdOrg(t, 1000, 32)
	cfg := org.writeConfig(t, "safety:\n  max_writes: 10\n")
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path)
	if code != exitBrake {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitBrake, stdout, stderr)
	}
	m := regexp.MustCompile(`the plan writes (\d+) records, above safety.max_writes 10; nothing was written.*--force`).FindStringSubmatch(errorLine(stderr))
	if m == nil {
		t.Fatalf("brake message lacks the counts and the way out:\n%s", errorLine(stderr))
	}
	planned, _ := strconv.Atoi(m[1])
	if planned <= 10 {
		t.Errorf("planned %d writes", planned)
	}
	if !strings.Contains(stdout, fmt.Sprintf("safety brake (max_writes) stopped this run: %s planned writes (max_writes 10", num(int64(planned)))) {
		t.Errorf("summary lacks the brake:\n%s", stdout)
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Fatalf("the brake let %d write requests through", n)
	}

	code, stdout, stderr = navsyncIn(context.Background(), "run", "--config", cfg.path, "--force")
	if code != exitOK {
		t.Fatalf("--force: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "was overridden with --force") {
		t.Errorf("forced run's summary does not say so:\n%s", stdout)
	}
	if got := len(linked(org.srv)); got < planned {
		t.Errorf("forced run linked %d records, the plan had %d writes", got, planned)
	}
}

// holdLock takes the store's lock as another live navsync process would
// hold it (this process's pid, so it is alive, but another run).
func holdLock(t *testing.T, db string) state.Holder {
	t.Helper()
	st, err := state.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := state.Holder{RunID: "20260101T000000Z-beef", Command: "schedule", Host: "cron-host-7", PID: os.Getpid(),
		Since: time.Now().Add(-3 * time.Minute).Truncate(time.Second)}
	l, err := st.Acquire(context.Background(), h, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	return h
}

// TestRunLocked: a second navsync on a held store exits 7, says who holds
// it and what to do, and writes nothing.
func TestRunLocked(t *testing.T) {
	org := newCmdOrg(t, 1000, 33)
	cfg := org.writeConfig(t, "")
	h := holdLock(t, cfg.db())
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path)
	if code != exitLocked {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitLocked, stdout, stderr)
	}
	msg := errorLine(stderr)
	for _, w := range []string{"navsync schedule", "run " + h.RunID, "host cron-host-7", fmt.Sprintf("pid %d", h.PID),
		"since " + h.Since.Format(time.RFC3339), "Wait for that run to finish"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	assertNothingWritten(t, org, cfg, true)
	st, err := state.Open(context.Background(), cfg.db())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if runs, err := st.Runs(context.Background(), 0); err != nil || len(runs) != 0 {
		t.Errorf("run history %v %v, want empty", runs, err)
	}
}

// TestRunAuthRevoked: a revoked refresh token stops `navsync run` with
// exit 3 before anything is written, with the fix in the message, as the
// README's "Errors and what to do" table says.
func TestRunAuthRevoked(t *testing.T) {
	org := newCmdOrg(t, 1000, 34)
	cfg := org.writeConfig(t, "")
	// Revoke the stored consent as an admin would (OAuth revoke endpoint).
	resp, err := http.PostForm(org.hs.URL+"/services/oauth2/revoke", url.Values{"token": {cfg.refreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %s", resp.Status)
	}
	org.requests.Store(0)
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path)
	if code != exitAuthRevoked {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitAuthRevoked, stdout, stderr)
	}
	msg := errorLine(stderr)
	// The README's line: `invalid_grant` "expired access/refresh token"
	// (exit 3) ... re-run consent for that user.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := ""
	for l := range strings.Lines(string(readme)) {
		if strings.Contains(l, "expired access/refresh token") && strings.Contains(l, "exit 3") {
			row = l
		}
	}
	if row == "" || !strings.Contains(row, "re-run consent") {
		t.Errorf("README has no exit-3 row for a revoked token with its fix: %q", row)
	}
	for _, w := range []string{"invalid_grant", "expired access/refresh token", "re-run consent", "salesforce.auth.token_store", "Nothing was written"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(stderr+stdout, cfg.refreshToken) || strings.Contains(stderr+stdout, org.srv.AdminUser().Username) {
		t.Error("the output carries the refresh token or the username")
	}
	if org.requests.Load() == 0 {
		t.Error("no request reached the org: the token was never tried")
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Errorf("%d write requests with a revoked token", n)
	}
	if runs := cfg.runFolders(); len(runs) != 0 {
		t.Errorf("run folders %v, want none", runs)
	}
}

// TestRunTokenEndpointUnavailable: a login host answering 503 (a gateway's
// page) or refusing connections stops navsync run with exit 1, never 3
// (the consent is fine: re-consenting would only burn one of the user's
// five approvals), after the retries, with nothing written; the message
// says the login host is unavailable, and the README's error table has
// the row the on-call engineer looks for.
func TestRunTokenEndpointUnavailable(t *testing.T) {
	org := newCmdOrg(t, 1000, 35)
	for _, tc := range []struct {
		name string
		down bool   // nothing listens at the login host
		want string // in the message
	}{
		{name: "503 page", want: "http_503 (Service Unavailable)"},
		{name: "connection refused", down: true, want: "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tokenCalls atomic.Int64
			var login string
			if tc.down {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				login = "http://" + ln.Addr().String()
				ln.Close()
			} else {
				gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/services/oauth2/token" {
						tokenCalls.Add(1)
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(http.StatusServiceUnavailable)
						io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
						return
					}
					org.ServeHTTP(w, r)
				}))
				defer gw.Close()
				login = gw.URL
			}
			path, _ := writeTestConfig(t, org.srv, login, org.world, false, "")
			cfg := cmdConfig{path: path, dir: filepath.Dir(path)}
			org.requests.Store(0)
			code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path)
			if code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitFailure, stdout, stderr)
			}
			msg := errorLine(stderr)
			for _, w := range []string{tc.want, "login host is unavailable", "status.salesforce.com"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "<html") {
				t.Errorf("the gateway's page is in the message:\n%s", msg)
			}
			if !tc.down && tokenCalls.Load() < 2 {
				t.Errorf("%d token requests: the outage was not retried", tokenCalls.Load())
			}
			assertNothingWritten(t, org, cfg, true)
		})
	}
	// The README's row: exit 1, the login host unavailable, and what to do.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := ""
	for l := range strings.Lines(string(readme)) {
		if strings.Contains(l, "/services/oauth2/token") && strings.Contains(l, "exit 1") {
			row = l
		}
	}
	if row == "" || !strings.Contains(row, "status.salesforce.com") || !strings.Contains(row, "not re-consent") {
		t.Errorf("README has no exit-1 row for an unavailable token endpoint with its fix: %q", row)
	}
}

// collectionIDs are the record ids of a collections request body.
func collectionIDs(t *testing.T, r *http.Request) []string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Errorf("collections body: %v", err)
	}
	var ids []string
	for _, rec := range req.Records {
		id, _ := rec["Id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// TestRunInterrupted: a signal during apply (the context cancelled while
// the second write call is in flight) lets that call finish, sends nothing
// after it, exits 130 and leaves a state the next run finishes, with every
// record written exactly once.
func TestRunInterrupted(t *testing.T) {
	org := newCmdOrg(t, 2000, 35)
	cfg := org.writeConfig(t, "")
	conf, err := batch.Load(cfg.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var inflight []string
	org.setOnWrite(func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler) {
		if n == 2 {
			mu.Lock()
			inflight = collectionIDs(t, r)
			mu.Unlock()
			cancel() // SIGINT arrives while this call is in flight
		}
		next.ServeHTTP(w, r)
	})
	res, err := batch.Run(ctx, batch.RunOptions{Config: conf, Log: slog.New(slog.DiscardHandler)})
	mu.Lock()
	defer mu.Unlock()
	if err == nil {
		t.Fatal("an interrupted run returned no error")
	}
	if code := exitCode(ctx, err, io.Discard); code != exitInterrupted {
		t.Fatalf("exit %d for %v, want %d", code, err, exitInterrupted)
	}
	if n := org.writes.Load(); n != 2 {
		t.Fatalf("%d write requests, want 2: nothing after the in-flight call", n)
	}
	if len(inflight) == 0 || res == nil {
		t.Fatalf("no in-flight call seen (res %v)", res)
	}
	sendable, done, notSent := 0, 0, 0
	for i, a := range res.Actions {
		if a.Skip {
			continue
		}
		sendable++
		o := res.Outcomes[i]
		switch {
		case slices.Contains(inflight, a.TargetID):
			if o.Status != batch.StatusDone {
				t.Errorf("in-flight record %s: %s, want done", a.TargetID, o.Status)
			}
		case o.Status == batch.StatusDone:
			done++
		case o.Status == batch.StatusNotSent:
			notSent++
		default:
			t.Errorf("action %d: status %s", a.Seq, o.Status)
		}
	}
	if done == 0 || notSent == 0 || done+notSent+len(inflight) != sendable {
		t.Fatalf("%d sendable: %d in flight, %d done before, %d not sent", sendable, len(inflight), done, notSent)
	}
	if res.ReportDir == "" {
		t.Error("an interrupted run wrote no reports")
	}
	st, err := state.Open(context.Background(), cfg.db())
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(context.Background(), 0)
	if err != nil || len(runs) != 1 || (runs[0].Status != state.StatusInterrupted && runs[0].Status != state.StatusIncomplete) {
		st.Close()
		t.Fatalf("history %+v %v, want one interrupted or incomplete run", runs, err)
	}
	// The journal agrees: what was answered is done, the rest never left.
	counts, err := st.Counts(context.Background(), runs[0].ID)
	st.Close()
	if err != nil || counts[state.Done] != done+len(inflight) || counts[state.Planned] != notSent || counts[state.Sent]+counts[state.Unknown] != 0 {
		t.Fatalf("journal %v %v: want %d done, %d planned", counts, err, done+len(inflight), notSent)
	}

	// The next run finishes the rest; every record is written once.
	org.setOnWrite(nil)
	again, err := batch.Run(context.Background(), batch.RunOptions{Config: conf, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if d := again.Summary.Actions[batch.KindWriteback][batch.StatusDone]; d != notSent {
		t.Errorf("the rerun wrote %d records, %d were left", d, notSent)
	}
	for _, a := range res.Actions {
		if !a.Skip {
			if n := org.srv.RecordWrites(a.Object, a.TargetID); n != 1 {
				t.Errorf("%s %s written %d times", a.Object, a.TargetID, n)
			}
		}
	}
}

// TestRunSIGTERM sends a real SIGTERM to a navsync process during its
// second write call: it exits 130 after that call, and a rerun finishes.
func TestRunSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess")
	}
	org := newCmdOrg(t, 2000, 36)
	cfg := org.writeConfig(t, "")
	var pid atomic.Int64
	org.setOnWrite(func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler) {
		if n == 2 {
			if p := int(pid.Load()); p > 0 {
				syscall.Kill(p, syscall.SIGTERM)
				// The signal is handled before the answer arrives.
				time.Sleep(300 * time.Millisecond)
			}
		}
		next.ServeHTTP(w, r)
	})
	initial := linked(org.srv)
	cmd := exec.Command(os.Args[0], "run", "--config", cfg.path)
	cmd.Env = append(os.Environ(), "NAVSYNC_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid.Store(int64(cmd.Process.Pid))
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("navsync run under SIGTERM: %v, want exit %d\n%s", err, exitInterrupted, out.String())
	}
	if n := org.writes.Load(); n != 2 {
		t.Fatalf("%d write requests, want 2 (stop after the in-flight call)\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "context canceled") {
		t.Errorf("output does not say the run was interrupted:\n%s", out.String())
	}
	mid := linked(org.srv)

	org.setOnWrite(nil)
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path)
	if code != exitOK {
		t.Fatalf("rerun: exit %d\n%s%s", code, stdout, stderr)
	}
	got := linked(org.srv)
	if len(got) <= len(mid) {
		t.Fatalf("the rerun linked nothing more (%d before, %d after)", len(mid), len(got))
	}
	for k := range got {
		obj, id, _ := strings.Cut(k, " ")
		want := 1
		if _, ok := initial[k]; ok {
			want = 0 // linked before navsync ran
		}
		if n := org.srv.RecordWrites(obj, id); n != want {
			t.Errorf("%s written %d times, want %d", k, n, want)
		}
	}
	st, err := state.Open(context.Background(), cfg.db())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, _ := st.Runs(context.Background(), 0)
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != state.StatusSucceeded || (statuses[1] != state.StatusInterrupted && statuses[1] != state.StatusIncomplete) {
		t.Errorf("history %v, want [succeeded interrupted|incomplete]", statuses)
	}
	if open, err := st.IncompleteRuns(context.Background()); err != nil || len(open) != 0 {
		t.Errorf("open runs after the rerun: %v %v", open, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSchedule runs `navsync schedule` in a goroutine until cancel.
func startSchedule(t *testing.T, args ...string) (cancel func() (code int, took time.Duration), stdout, stderr *syncBuffer) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		err := Run(ctx, append([]string{"--log-format", "text"}, append([]string{"schedule"}, args...)...), stdout, stderr)
		done <- exitCode(ctx, err, stderr)
	}()
	stopped := false
	cancel = func() (int, time.Duration) {
		stopped = true
		t0 := time.Now()
		stop()
		select {
		case code := <-done:
			return code, time.Since(t0)
		case <-time.After(30 * time.Second):
			t.Fatalf("navsync schedule did not stop within 30 s of the signal\n%s", stderr.String())
		}
		return 0, 0
	}
	t.Cleanup(func() {
		if !stopped {
			cancel()
		}
	})
	return cancel, stdout, stderr
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// TestSchedule: `navsync schedule` runs the job on the config's schedule,
// stops promptly on a signal with exit 130, and skips ticks while another
// process holds the store.
func TestSchedule(t *testing.T) {
	org := newCmdOrg(t, 1000, 37)

	t.Run("runs and stops", func(t *testing.T) {
		cfg := org.writeConfig(t, "schedule: \"@every 1s\"\n")
		if _, err := batch.Load(cfg.path); err != nil {
			t.Fatalf("a descriptor schedule is refused: %v", err)
		}
		cancel, stdout, stderr := startSchedule(t, "--config", cfg.path)
		waitFor(t, "a run folder", time.Minute, func() bool { return len(cfg.runFolders()) > 0 })
		code, took := cancel()
		if code != exitInterrupted {
			t.Errorf("exit %d, want %d\n%s", code, exitInterrupted, stderr.String())
		}
		if took > 5*time.Second {
			t.Errorf("schedule took %s to stop", took)
		}
		if !strings.Contains(stdout.String(), "navsync run ") || !strings.Contains(stderr.String(), "run finished") {
			t.Errorf("no run summary or log line:\n%s\n%s", stdout.String(), stderr.String())
		}
		if len(linked(org.srv)) == 0 {
			t.Error("the scheduled run wrote nothing back")
		}
		st, err := state.Open(context.Background(), cfg.db())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		runs, _ := st.Runs(context.Background(), 0)
		if len(runs) == 0 || runs[len(runs)-1].Status != state.StatusSucceeded {
			t.Errorf("history %+v, want a first run that succeeded", runs)
		}
		// Every run is ended in the history, none left running.
		for _, r := range runs {
			if r.Status == state.StatusRunning {
				t.Errorf("run %s still running after schedule stopped", r.ID)
			}
		}
	})

	t.Run("skips while locked", func(t *testing.T) {
		cfg := org.writeConfig(t, "schedule: \"@every 1s\"\n")
		holdLock(t, cfg.db())
		before, writes := org.requests.Load(), org.srv.WriteRequests()
		cancel, _, stderr := startSchedule(t, "--config", cfg.path)
		skipped := func() int {
			return strings.Count(stderr.String(), "another navsync run holds the state store; run skipped")
		}
		waitFor(t, "two skipped ticks", 30*time.Second, func() bool { return skipped() >= 2 })
		code, _ := cancel()
		if code != exitInterrupted {
			t.Errorf("exit %d, want %d", code, exitInterrupted)
		}
		if !strings.Contains(stderr.String(), "host cron-host-7") {
			t.Errorf("the skip does not say who holds the store:\n%s", stderr.String())
		}
		if n := org.requests.Load() - before; n != 0 {
			t.Errorf("skipped ticks sent %d requests", n)
		}
		if org.srv.WriteRequests() != writes || len(cfg.runFolders()) != 0 {
			t.Error("a skipped tick wrote something")
		}
	})

	t.Run("no schedule", func(t *testing.T) {
		cfg := org.writeConfig(t, "")
		code, _, stderr := navsyncIn(context.Background(), "schedule", "--config", cfg.path)
		if code != exitBadInput || !strings.Contains(errorLine(stderr), "no schedule key") {
			t.Errorf("exit %d, want %d:\n%s", code, exitBadInput, stderr)
		}
	})
}

// TestScheduleUTC: a schedule without CRON_TZ is in UTC, as the config
// documents, whatever the machine's local zone.
func TestScheduleUTC(t *testing.T) {
	local := time.Local
	defer func() { time.Local = local }()
	time.Local = time.FixedZone("UTC+5", 5*3600)
	for _, tc := range []struct {
		spec string
		hour int // of the next run, UTC
	}{{"0 2 * * *", 2}, {"CRON_TZ=Asia/Tokyo 0 2 * * *", 17}} {
		c, id, err := newScheduler(&batch.Config{Schedule: tc.spec}, slog.New(slog.DiscardHandler), func() {})
		if err != nil {
			t.Fatal(err)
		}
		next := c.Entry(id).Schedule.Next(time.Now())
		if next.UTC().Hour() != tc.hour || next.UTC().Minute() != 0 {
			t.Errorf("%q: next run %s, want %02d:00 UTC", tc.spec, next.UTC(), tc.hour)
		}
	}
}

// TestRunDryRunCommand: `navsync run --dry-run` says nothing was written,
// sends no write request, and shows the API calls the real run then spends.
func TestRunDryRunCommand(t *testing.T) {
	org := newCmdOrg(t, 1000, 38)
	cfg := org.writeConfig(t, "")
	code, stdout, stderr := navsyncIn(context.Background(), "run", "--config", cfg.path, "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "(dry run: nothing was written to Salesforce)") || !strings.Contains(stdout, "would_update") {
		t.Errorf("dry-run summary:\n%s", stdout)
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Fatalf("dry run made %d write requests", n)
	}
	m := regexp.MustCompile(`API calls\s+[0-9,]+ sent by this run as the integration user, ([0-9,]+) the writes would spend`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no would-spend API calls in the summary:\n%s", stdout)
	}
	would, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if would == 0 {
		t.Fatal("the dry run would spend no calls on a fresh world")
	}
	// The real run spends what the dry run said.
	code, stdout, stderr = navsyncIn(context.Background(), "run", "--config", cfg.path)
	if code != exitOK {
		t.Fatalf("real run: exit %d\n%s%s", code, stdout, stderr)
	}
	m = regexp.MustCompile(`([0-9,]+) spent on writes`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("real run summary:\n%s", stdout)
	}
	spent, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if spent != would || org.srv.WriteRequests() != int64(would) {
		t.Errorf("dry run said %d write calls; the real run spent %d (%d write requests)", would, spent, org.srv.WriteRequests())
	}
}
