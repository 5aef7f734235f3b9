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
// would fail at once with SQLITE_BUSY_SNAPSHOT).
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	stores := []*Store{openTest(t, path), openTest(t, path)}
	ctx := context.Background()
	const (
		runsPerWriter = 3
		actionsPerRun = 4000
		batch         = 200
	)
	// The lock's heartbeat writes too, every 500 ms, throughout.
	l, err := stores[0].Acquire(ctx, Holder{RunID: "lock"}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()

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
	select {
	case <-l.Lost():
		t.Errorf("the lock was lost under write load: %v", l.Err())
	default:
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
