package state

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Store.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// t0 is a fixed time with whole microseconds, so it survives the store's
// microsecond precision unchanged.
var t0 = time.Date(2026, 3, 14, 2, 0, 0, 123456000, time.UTC)

// openTest opens a store in a fresh temporary folder (or at path when
// given) and closes it at the end of the test.
func openTest(t testing.TB, path ...string) *Store {
	t.Helper()
	p := filepath.Join(t.TempDir(), "state.db")
	if len(path) > 0 {
		p = path[0]
	}
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// genActions are n writeback actions shaped like a real plan's.
func genActions(runID string, n int) []Action {
	as := make([]Action, n)
	for i := range as {
		obj := "Contact"
		if i%3 == 0 {
			obj = "Lead"
		}
		as[i] = Action{
			RunID:  runID,
			Seq:    i,
			LeadID: fmt.Sprintf("urn:li:fs_salesProfile:(ACwAA%09d,NAME_SEARCH,abcd)", i),
			Kind:   KindWriteback,
			Object: obj,
			// An 18-character Salesforce id.
			TargetID: fmt.Sprintf("003Dn%09dAAA", i),
			Fields: map[string]string{
				"Sales_Navigator_Lead_Id__c": fmt.Sprintf("ACwAA%09d", i),
				"LinkedIn_Profile_URL__c":    fmt.Sprintf("https://www.linkedin.com/in/person-%d", i),
			},
		}
	}
	return as
}

// beginWithActions begins run runID and journals n actions.
func beginWithActions(t testing.TB, s *Store, runID string, n int) []Action {
	t.Helper()
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{ID: runID, Started: s.now()}); err != nil {
		t.Fatal(err)
	}
	as := genActions(runID, n)
	if err := s.AddActions(ctx, runID, as); err != nil {
		t.Fatal(err)
	}
	return as
}

func seqRange(from, to int) []int {
	seqs := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		seqs = append(seqs, i)
	}
	return seqs
}
