//go:build unix

package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the helper process of these tests (as Go's
// os/exec tests do): with helperEnv set it runs the helper named by it
// instead of the tests.
const helperEnv = "NAVSYNC_STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "sleep":
		fmt.Println("READY")
		time.Sleep(time.Hour)
	case "crash":
		if err := crashChild(os.Getenv("NAVSYNC_STATE_TEST_PATH")); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		time.Sleep(time.Hour) // until SIGKILLed
	case "reserve":
		if err := reserveChild(os.Getenv("NAVSYNC_STATE_TEST_PATH")); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		time.Sleep(time.Hour) // until SIGKILLed
	default:
		fmt.Println("unknown helper", os.Getenv(helperEnv))
	}
	os.Exit(2)
}

// helper is a running helper process.
type helper struct {
	*exec.Cmd
	name  string
	in    io.WriteCloser
	lines chan string
}

// startHelper starts the test binary as helper name and waits for it to say
// READY. The test's cleanup kills it if it still runs.
func startHelper(t *testing.T, name string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + name}, env...)...)
	cmd.Stderr = os.Stderr
	h := &helper{Cmd: cmd, name: name, lines: make(chan string)}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if h.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	h.expect(t, "READY")
	return h
}

// expect waits for the helper's next line and fails unless it is want.
func (h *helper) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case l, ok := <-h.lines:
		if l != want {
			t.Fatalf("helper %s said %q (open %v), want %q", h.name, l, ok, want)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("helper %s did not say %q within 60 s", h.name, want)
	}
}

// crashChild is the killed process: it journals a run part of the way and
// says READY; at a line on stdin it opens a transaction, writes in it and
// says TX; then it waits for its SIGKILL.
func crashChild(path string) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	if _, err := s.Acquire(ctx, Holder{RunID: "r1", Command: "run"}, time.Hour); err != nil {
		return err
	}
	if err := s.BeginRun(ctx, Run{ID: "r1", Started: t0}); err != nil {
		return err
	}
	if err := s.AddActions(ctx, "r1", genActions("r1", 1000)); err != nil {
		return err
	}
	// The first call: 200 actions, answered.
	if err := s.MarkSent(ctx, "r1", seqRange(0, 200), "", t0.Add(time.Second)); err != nil {
		return err
	}
	var outs []Outcome
	for seq := range 200 {
		switch {
		case seq < 150:
			outs = append(outs, Outcome{Seq: seq, State: Done})
		case seq < 190:
			outs = append(outs, Outcome{Seq: seq, State: Failed, ErrorCode: "UNABLE_TO_LOCK_ROW", ErrorMessage: "locked"})
		default:
			outs = append(outs, Outcome{Seq: seq, State: Unknown, ErrorCode: "MAYBE_SENT"})
		}
	}
	if err := s.Record(ctx, "r1", outs); err != nil {
		return err
	}
	// The second call, an ingest job: journalled as sent, and the process
	// dies before the answer.
	if err := s.MarkSent(ctx, "r1", seqRange(200, 400), "750JOB", t0.Add(2*time.Second)); err != nil {
		return err
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	// A transaction under way when the process dies: it must leave no
	// trace. (It holds the write lock until the kill, too.)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE actions SET state = 'done' WHERE run = (SELECT no FROM runs WHERE id = 'r1') AND seq >= 200`); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO runs (id, started, dry_run, status) VALUES ('ghost', 0, 0, 'running')`); err != nil {
		return err
	}
	fmt.Println("TX")
	return nil
}

// TestJournalSurvivesSIGKILL: a process journals part of a run and is
// killed with SIGKILL; the store reopened afterwards holds exactly what it
// committed, and the rerun takes its lock over at once.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	child := startHelper(t, "crash", "NAVSYNC_STATE_TEST_PATH="+path)

	// While it lives, its lock holds, from another process.
	s := openTest(t, path)
	ctx := context.Background()
	_, err := s.Acquire(ctx, Holder{RunID: "r2", Command: "run"}, time.Hour)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != child.Process.Pid || le.Holder.RunID != "r1" {
		t.Fatalf("Acquire while the child lives: %v, want a *LockedError naming pid %d", err, child.Process.Pid)
	}

	// The child opens its last transaction, and dies in it.
	if _, err := io.WriteString(child.in, "go\n"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "TX")
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", err)
	}

	// A fresh open, as the rerun does.
	s2 := openTest(t, path)
	runs, err := s2.IncompleteRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].ID != "r1" || runs[0].Status != StatusRunning || !runs[0].Started.Equal(t0) {
		t.Fatalf("IncompleteRuns = %+v, want r1 running (and no ghost)", runs)
	}
	as, err := s2.Actions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1000 {
		t.Fatalf("%d actions, want 1000", len(as))
	}
	gen := genActions("r1", 1000)
	for i, a := range as {
		want := gen[i]
		want.State = Planned
		switch {
		case i < 150:
			want.State = Done
		case i < 190:
			want.State, want.ErrorCode, want.ErrorMessage = Failed, "UNABLE_TO_LOCK_ROW", "locked"
		case i < 200:
			want.State, want.ErrorCode = Unknown, "MAYBE_SENT"
		case i < 400:
			want.State, want.JobID = Sent, "750JOB"
		}
		if i < 200 {
			want.Attempts, want.AttemptedAt = 1, t0.Add(time.Second)
		} else if i < 400 {
			want.Attempts, want.AttemptedAt = 1, t0.Add(2*time.Second)
		}
		a.UpdatedAt = time.Time{} // the child's wall clock
		if !reflect.DeepEqual(a, want) {
			t.Fatalf("action %d after the kill:\n got %+v\nwant %+v", i, a, want)
		}
	}

	// The rerun takes the lock over without waiting for it to go stale.
	l, err := s2.Acquire(ctx, Holder{RunID: "r2", Command: "run"}, time.Hour)
	if err != nil {
		t.Fatalf("Acquire after the kill: %v", err)
	}
	defer l.Release()
	if p := l.Previous(); p == nil || p.PID != child.Process.Pid || p.RunID != "r1" {
		t.Errorf("Previous() = %+v, want the killed child's holder", p)
	}
	if r := l.TakeoverReason(); !strings.Contains(r, "no longer exists") {
		t.Errorf("TakeoverReason() = %q", r)
	}
	// And the killed run's in-flight call becomes unknown.
	if n, err := s2.MarkUnknown(ctx, "r1"); err != nil || n != 200 {
		t.Errorf("MarkUnknown = %d, %v; want 200", n, err)
	}
}

// A killed process that its parent has not reaped yet (a zombie) is gone
// for the lock.
func TestZombieIsNotAlive(t *testing.T) {
	child := startHelper(t, "sleep")
	pid := child.Process.Pid
	if !processAlive(pid) {
		t.Fatal("a running child is not alive")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not reaped until the test's cleanup: a zombie meanwhile.
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatal("a killed, unreaped child still counts as alive after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		// It really is a zombie (on Linux): the process table still has it.
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if !strings.Contains(string(stat), ") Z ") {
			t.Errorf("pid %d exists, not a zombie, but counts as dead: %s", pid, stat)
		}
	}
}

// reserveChild is the process killed while creating contacts: for a user
// with 990 contacts this month (limit 1,000) it reserves 6 and sends them;
// 2 are created and settled, 4 are in flight. It says READY; at a line on
// stdin it begins reserving 4 more in a transaction, says TX, and waits for
// its SIGKILL.
func reserveChild(path string) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	if err := s.BeginRun(ctx, Run{ID: "r1", Started: t0}); err != nil {
		return err
	}
	if err := s.AddActions(ctx, "r1", createActions("r1", userA, 10)); err != nil {
		return err
	}
	if err := s.AddContactsCreated(ctx, userA, "2026-12", 990); err != nil {
		return err
	}
	g, err := s.ReserveContacts(ctx, "r1", userA, "2026-12", seqRange(0, 6), 1000)
	if err != nil {
		return err
	}
	if len(g) != 6 {
		return fmt.Errorf("granted %v, want 6", g)
	}
	if err := s.MarkSent(ctx, "r1", g, "", time.Time{}); err != nil {
		return err
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 1, State: Done}}); err != nil {
		return err
	}
	if err := s.SettleContacts(ctx, "r1", []int{0, 1}, nil); err != nil {
		return err
	}
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for seq := 6; seq < 10; seq++ {
		if _, err := tx.Exec(`INSERT INTO contact_reservations (run, seq, user_id, month, state, reserved_at)
			VALUES ((SELECT no FROM runs WHERE id = 'r1'), ?, ?, '2026-12', 'held', 0)`, seq, userA); err != nil {
			return err
		}
	}
	fmt.Println("TX")
	return nil
}

// TestReservationsSurviveSIGKILL: a process killed while creating contacts
// leaves its committed reservations held (and its uncommitted ones
// nowhere); they count against the user's limit until the next run
// reconciles the killed run and settles them.
func TestReservationsSurviveSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	child := startHelper(t, "reserve", "NAVSYNC_STATE_TEST_PATH="+path)
	if _, err := io.WriteString(child.in, "go\n"); err != nil {
		t.Fatal(err)
	}
	child.expect(t, "TX")
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", err)
	}

	s := openTest(t, path)
	ctx := context.Background()
	wantQuota(t, s, userA, "2026-12", 992, 4)
	open, err := s.OpenReservations(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, r := range open {
		if r.UserID != userA || r.Month != "2026-12" {
			t.Errorf("open reservation %+v", r)
		}
		seqs = append(seqs, r.Seq)
	}
	if !reflect.DeepEqual(seqs, []int{2, 3, 4, 5}) {
		t.Fatalf("open reservations of the killed run: %v, want [2 3 4 5]", seqs)
	}
	// The next run: the killed run's 4 held reservations count, so only 4
	// of its 10 fit.
	if err := s.BeginRun(ctx, Run{ID: "r2"}); err != nil {
		t.Fatal(err)
	}
	wantGranted(t, reserve(t, s, "r2", userA, "2026-12", seqRange(0, 10), 1000), []int{0, 1, 2, 3})
	// Reconciling the killed run: 2 was created, 3-5 were not; settled
	// from the journal, they free 3 places.
	if n, err := s.MarkUnknown(ctx, "r1"); err != nil || n != 4 {
		t.Fatalf("MarkUnknown = %d, %v", n, err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 2, State: Done}, {Seq: 3, State: NotApplied},
		{Seq: 4, State: NotApplied}, {Seq: 5, State: NotApplied}}); err != nil {
		t.Fatal(err)
	}
	if c, r, err := s.SettleFromJournal(ctx, "r1"); err != nil || c != 1 || r != 3 {
		t.Fatalf("SettleFromJournal = %d, %d, %v; want 1, 3", c, r, err)
	}
	wantQuota(t, s, userA, "2026-12", 993, 4)
	wantGranted(t, reserve(t, s, "r2", userA, "2026-12", seqRange(4, 10), 1000), []int{4, 5, 6})
}
