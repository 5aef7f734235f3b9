package state

import (
	"context"
	"fmt"
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
// would fail at once with SQLITE_BUSY_SNAPSHOT). Each writer pauses a
// millisecond after each call's Record, as a run waits for Salesforce:
// SQLite serves waiting connections in no order, and two pools writing in a
// loop without a pause can starve each other for longer than the busy
// timeout on a loaded machine. (Only the lock holder writes the journal, so
// two processes never write in a loop together.)
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
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
			for r := range runsPerWriter {
				run := fmt.Sprintf("w%d-r%d", w, r)
				if err := s.BeginRun(ctx, Run{ID: run}); err != nil {
					errs <- err
					return
				}
				if err := s.AddActions(ctx, run, genActions(run, actionsPerRun)); err != nil {
					errs <- err
					return
				}
				for start := 0; start < actionsPerRun; start += batch {
					seqs := seqRange(start, start+batch)
					if err := s.MarkSent(ctx, run, seqs, "", time.Time{}); err != nil {
						errs <- err
						return
					}
					outs := make([]Outcome, len(seqs))
					for i, seq := range seqs {
						outs[i] = Outcome{Seq: seq, State: Done}
					}
					if err := s.Record(ctx, run, outs); err != nil {
						errs <- err
						return
					}
					time.Sleep(time.Millisecond)
				}
				if err := s.EndRun(ctx, Run{ID: run, Status: StatusSucceeded, Writes: actionsPerRun}); err != nil {
					errs <- err
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
// served, instead of all polling SQLite's lock.
func TestHeartbeatAmongWriters(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	l, err := s.Acquire(ctx, Holder{RunID: "r"}, 400*time.Millisecond) // a heartbeat every 100 ms
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
		time.Sleep(100 * time.Millisecond)
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
		t.Errorf("%d distinct heartbeats seen in 1.5 s (one every 100 ms expected): %v", len(distinct), beats)
	}
}
