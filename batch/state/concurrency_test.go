package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

// Writers on separate connection pools (as separate processes are) and on
// one pool, all at once, wait for each other instead of failing with
// SQLITE_BUSY: the busy timeout, and transactions that take the write lock
// when they begin (a deferred one that reads first, as AddActions does,
// would fail at once with SQLITE_BUSY_SNAPSHOT). Each writer pauses after
// each call, twice as long as the call took, as a run waits for Salesforce:
// SQLite serves waiting connections in no order (a waiter polls, up to
// every 100 ms), and two pools writing in a loop with short pauses starve
// each other for longer than the busy timeout when transactions are slow.
// (Only the lock holder writes the journal, so two processes never write in
// a loop together.) The store is in memory: with a fixed 1 ms pause, on
// disk, under -race and a load average of 7, a writer waited out the 10 s
// busy timeout (fsync stalls of up to 0.9 s were measured there); this way
// it passed every run under -race with another package's tests beside it,
// and it still fails at once without the busy timeout or without BEGIN
// IMMEDIATE.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(memDir(t), "state.db")
	stores := []*Store{openTest(t, path), openTest(t, path)}
	ctx := context.Background()
	const (
		runsPerWriter = 2
		actionsPerRun = 2000
		batch         = 200
	)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	// Two writers per store: four writers, two pools.
	for w := range 4 {
		s := stores[w%2]
		wg.Go(func() {
			// step makes one call and then pauses twice as long as the
			// call took (10 to 500 ms), as a run waits for Salesforce
			// between calls: each writer then holds the write lock at
			// most a third of the time, so each pool leaves gaps the other
			// pool's waiting connection finds when it polls.
			step := func(call func() error) bool {
				start := time.Now()
				if err := call(); err != nil {
					errs <- err
					return false
				}
				time.Sleep(min(max(10*time.Millisecond, 2*time.Since(start)), 500*time.Millisecond))
				return true
			}
			for r := range runsPerWriter {
				run := fmt.Sprintf("w%d-r%d", w, r)
				if !step(func() error { return s.BeginRun(ctx, Run{ID: run}) }) ||
					!step(func() error { return s.AddActions(ctx, run, genActions(run, actionsPerRun)) }) {
					return
				}
				for start := 0; start < actionsPerRun; start += batch {
					seqs := seqRange(start, start+batch)
					outs := make([]Outcome, len(seqs))
					for i, seq := range seqs {
						outs[i] = Outcome{Seq: seq, State: Done}
					}
					if !step(func() error {
						if err := s.MarkSent(ctx, run, seqs, "", time.Time{}); err != nil {
							return err
						}
						return s.Record(ctx, run, outs)
					}) {
						return
					}
				}
				if !step(func() error { return s.EndRun(ctx, Run{ID: run, Status: StatusSucceeded, Writes: actionsPerRun}) }) {
					return
				}
			}
		})
	}
	// And a reader.
	stop := make(chan struct{})
	var rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := stores[1].Runs(ctx, 0); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range 4 {
		for r := range runsPerWriter {
			run := fmt.Sprintf("w%d-r%d", w, r)
			counts, err := stores[0].Counts(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{Done: actionsPerRun}; !reflect.DeepEqual(counts, want) {
				t.Errorf("run %s: %v, want %v", run, counts, want)
			}
		}
	}
}

// The lock's heartbeat keeps its turn among its own process's writers, even
// when they write in a loop: a Store's writers take turns first come, first
// served, instead of all polling SQLite's lock. The store is in memory and
// the lease 1 s: on disk with a 400 ms lease, fsync stalls of a loaded
// shared machine lost the lock in 7 runs of 40 (load average 7), with the
// write queue in place; this way it held in 40 of 40, and it is still lost
// in every run without the queue.
func TestHeartbeatAmongWriters(t *testing.T) {
	s := openTest(t, filepath.Join(memDir(t), "state.db"))
	ctx := context.Background()
	l, err := s.Acquire(ctx, Holder{RunID: "r"}, time.Second) // a heartbeat every 250 ms
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	const writers, actions = 3, 2000
	for w := range writers {
		beginWithActions(t, s, fmt.Sprint(w), actions)
	}
	var beats []time.Time
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			run := fmt.Sprint(w)
			for i := 0; ; i = (i + 1) % actions {
				select {
				case <-stop:
					return
				default:
				}
				// A failed action sent again and failed again, in a loop.
				if err := s.MarkSent(ctx, run, []int{i}, "", time.Time{}); err != nil {
					errs <- err
					return
				}
				if err := s.Record(ctx, run, []Outcome{{Seq: i, State: Failed}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 15 {
		time.Sleep(200 * time.Millisecond)
		beats = append(beats, lockRowOf(t, s).Heartbeat)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case <-l.Lost():
		t.Fatalf("lock lost among writers: %v", l.Err())
	default:
	}
	distinct := map[time.Time]bool{}
	for _, b := range beats {
		distinct[b] = true
	}
	if len(distinct) < 4 {
		t.Errorf("%d distinct heartbeats seen in 3 s (one every 250 ms expected): %v", len(distinct), beats)
	}
}

// memDir is a temporary folder in memory (/dev/shm) where there is one, so
// that a test about timing measures the Store and not the disk: on a
// shared machine one fsync of a write under synchronous=FULL has been seen
// to take 0.9 s.
func memDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err != nil || !fi.IsDir() {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/dev/shm", "navsync-state-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
