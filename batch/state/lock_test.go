package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockRowOf reads the lock row, nil when the store is not locked.
func lockRowOf(t *testing.T, s *Store) *lockRow {
	t.Helper()
	r, err := readLockRow(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitLost waits for l's Lost channel, failing the test after 5 s.
func waitLost(t *testing.T, l *Lock) {
	t.Helper()
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost() not closed within 5 s")
	}
}

// twoStores opens the same file twice: two connection pools, as two
// processes would have.
func twoStores(t *testing.T) (a, b *Store) {
	path := filepath.Join(t.TempDir(), "state.db")
	return openTest(t, path), openTest(t, path)
}

func TestAcquireRelease(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	clock := newFakeClock(t0)
	a.now, b.now = clock.now, clock.now

	l, err := a.Acquire(ctx, Holder{RunID: "r1", Command: "run"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	want := Holder{RunID: "r1", Command: "run", Host: host, PID: os.Getpid(), Since: t0, Heartbeat: t0}
	if l.Holder() != want {
		t.Errorf("Holder() = %+v, want %+v", l.Holder(), want)
	}
	if l.Previous() != nil || l.TakeoverReason() != "" {
		t.Errorf("a first lock took over %+v (%s)", l.Previous(), l.TakeoverReason())
	}
	if r := lockRowOf(t, b); r == nil || r.Holder != want {
		t.Errorf("lock row %+v, want %+v", r, want)
	}

	// A second Acquire, from another connection pool, and even from this
	// same process (the first lock is live here): refused, naming the holder.
	clock.add(90 * time.Second)
	for _, s := range []*Store{a, b} {
		_, err := s.Acquire(ctx, Holder{RunID: "r2", Command: "schedule"}, 5*time.Minute)
		var le *LockedError
		if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
			t.Fatalf("second Acquire: %v, want a *LockedError", err)
		}
		if le.Holder != want || le.Path != a.Path() {
			t.Errorf("LockedError %+v", le)
		}
		for _, w := range []string{
			"state store is locked by another navsync process",
			a.Path(),
			"navsync run (run r1) on host " + host,
			fmt.Sprintf("pid %d", os.Getpid()),
			"since 2026-03-14T02:00:00Z",
			"last heartbeat 2026-03-14T02:00:00Z (1m30s ago)",
			"Wait for that run to finish",
			"older than 5m0s",
		} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if r := lockRowOf(t, a); r != nil {
		t.Errorf("lock row after Release: %+v", r)
	}
	l2, err := b.Acquire(ctx, Holder{RunID: "r2", Command: "schedule", Since: t0}, time.Minute)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if l2.Previous() != nil {
		t.Errorf("Acquire after Release took over %+v", l2.Previous())
	}
	if got := l2.Holder().Since; !got.Equal(t0) {
		t.Errorf("Since = %v, want the given %v", got, t0)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Lost():
		t.Error("Lost() closed after a plain Release")
	default:
	}
}

func TestAcquireArguments(t *testing.T) {
	s := openTest(t)
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := s.Acquire(context.Background(), Holder{RunID: "r"}, d); err == nil || !strings.Contains(err.Error(), "staleAfter must be positive") {
			t.Errorf("Acquire(staleAfter %v): %v", d, err)
		}
	}
}

func TestHeartbeat(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	l, err := s.Acquire(context.Background(), Holder{RunID: "r1"}, 40*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	clock.add(time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := lockRowOf(t, s)
		if r.Heartbeat.Equal(t0.Add(time.Hour)) {
			if !r.Since.Equal(t0) {
				t.Errorf("Since changed to %v", r.Since)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat still %v after 5 s (every 10 ms)", r.Heartbeat)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := l.Err(); err != nil {
		t.Errorf("Err() = %v on a healthy lock", err)
	}
}

func TestStaleTakeover(t *testing.T) {
	const staleAfter = 5 * time.Minute
	for _, tc := range []struct {
		age      time.Duration // of the holder's heartbeat when the second process tries
		takeover bool
	}{
		{time.Second, false},
		{staleAfter, false},
		{staleAfter + time.Millisecond, true},
		{24 * time.Hour, true},
	} {
		t.Run(tc.age.String(), func(t *testing.T) {
			a, b := twoStores(t)
			ctx := context.Background()
			// The holder runs on another host (its PID cannot be checked
			// from here), with a clock stopped at t0, so its heartbeats keep
			// writing t0 while the other side's clock moves on.
			a.hostKey = "another host"
			a.now = newFakeClock(t0).now
			b.now = newFakeClock(t0.Add(tc.age)).now
			old := Holder{RunID: "old", Command: "schedule", Host: "far", PID: 4242}
			la, err := a.Acquire(ctx, old, 200*time.Millisecond) // heartbeat every 50 ms
			if err != nil {
				t.Fatal(err)
			}
			defer la.Release()

			lb, err := b.Acquire(ctx, Holder{RunID: "new", Command: "run"}, staleAfter)
			if !tc.takeover {
				if !errors.Is(err, ErrLocked) {
					t.Fatalf("Acquire: %v, want ErrLocked", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire of a stale lock: %v", err)
			}
			defer lb.Release()
			old.Since, old.Heartbeat = t0, t0
			if p := lb.Previous(); p == nil || *p != old {
				t.Errorf("Previous() = %+v, want %+v", p, old)
			}
			if r := lb.TakeoverReason(); !strings.Contains(r, "stale after 5m0s") {
				t.Errorf("TakeoverReason() = %q", r)
			}

			// The old holder's next heartbeat finds the lock gone.
			waitLost(t, la)
			if err := la.Err(); err == nil || !strings.Contains(err.Error(), "lock taken over by navsync run (run new)") {
				t.Errorf("Err() = %v", err)
			}
			// Its Release leaves the new holder's lock alone.
			if err := la.Release(); err != nil {
				t.Fatal(err)
			}
			if r := lockRowOf(t, a); r == nil || r.RunID != "new" {
				t.Errorf("lock row after the old holder's Release: %+v, want the new holder's", r)
			}
		})
	}
}

// deadPID is the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestDeadPIDTakeover(t *testing.T) {
	pid := deadPID(t)
	if processAlive(pid) {
		t.Skipf("pid %d was reused already", pid)
	}
	for _, tc := range []struct {
		name        string
		holderHost  string // the holder's host key; "" = this host
		takeover    bool
		wantsReason string
	}{
		{"this host", "", true, fmt.Sprintf("pid %d on this host no longer exists", pid)},
		{"another host", "another host", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := twoStores(t)
			ctx := context.Background()
			if tc.holderHost != "" {
				a.hostKey = tc.holderHost
			}
			// A lock written as the dead process would have written it. Its
			// heartbeat goroutine in this test process plays the dead
			// process's last heartbeats: fresh, so only the PID tells.
			la, err := a.Acquire(ctx, Holder{RunID: "killed", Command: "run", PID: pid}, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			defer la.Release()
			lb, err := b.Acquire(ctx, Holder{RunID: "rerun", Command: "run"}, time.Hour)
			if !tc.takeover {
				var le *LockedError
				if !errors.As(err, &le) || le.Holder.PID != pid {
					t.Fatalf("Acquire: %v, want a *LockedError naming pid %d", err, pid)
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire: %v", err)
			}
			defer lb.Release()
			if p := lb.Previous(); p == nil || p.PID != pid || p.RunID != "killed" {
				t.Errorf("Previous() = %+v", p)
			}
			if r := lb.TakeoverReason(); r != tc.wantsReason {
				t.Errorf("TakeoverReason() = %q, want %q", r, tc.wantsReason)
			}
			waitLost(t, la)
		})
	}
}

// A lock naming this host and this process's PID, whose token this process
// does not hold, was left by an earlier process that had this PID (PID 1 of
// a restarted container): taken over.
func TestSamePIDEarlierProcessTakeover(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	la, err := a.Acquire(ctx, Holder{RunID: "earlier"}, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	heldTokens.Delete(la.token) // as if the process that took it had died
	lb, err := b.Acquire(ctx, Holder{RunID: "now"}, time.Hour)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	defer lb.Release()
	if p := lb.Previous(); p == nil || p.RunID != "earlier" {
		t.Errorf("Previous() = %+v", p)
	}
	if r := lb.TakeoverReason(); !strings.Contains(r, "is this process now, which does not hold it") {
		t.Errorf("TakeoverReason() = %q", r)
	}
	waitLost(t, la)
	if err := la.Err(); err == nil || !strings.Contains(err.Error(), "taken over by navsync (unknown command) (run now)") {
		t.Errorf("Err() = %v", err)
	}
}

// A heartbeat that cannot be written for staleAfter means a takeover may be
// under way: Lost.
func TestLostWhenHeartbeatFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Acquire(context.Background(), Holder{RunID: "r1"}, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Close() // every heartbeat fails from now on
	waitLost(t, l)
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "lock lost: no heartbeat written for 100ms") {
		t.Errorf("Err() = %v", err)
	}
	if err := l.Release(); err == nil {
		t.Error("Release on a closed database succeeded")
	}
}

func TestCloseReleasesLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acquire(ctx, Holder{RunID: "r1"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openTest(t, path)
	l, err := b.Acquire(ctx, Holder{RunID: "r2"}, time.Hour)
	if err != nil {
		t.Fatalf("Acquire after the holder's store was closed: %v", err)
	}
	if l.Previous() != nil {
		t.Errorf("took over %+v: Close did not release", l.Previous())
	}
}
