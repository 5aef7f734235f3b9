package state

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRunRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	begin := Run{ID: "r1", Started: t0, DryRun: true, ConfigDigest: "sha256:abc", ReportDir: "/tmp/x",
		// ignored by BeginRun:
		Status: "succeeded", Ended: t0.Add(time.Hour), Planned: 9, Writes: 9, Failed: 9, Error: "x"}
	if err := s.BeginRun(ctx, begin); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := Run{ID: "r1", Started: t0, DryRun: true, Status: StatusRunning, ConfigDigest: "sha256:abc", ReportDir: "/tmp/x"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("after BeginRun:\n got %+v\nwant %+v", *got, want)
	}

	end := Run{ID: "r1", Ended: t0.Add(90 * time.Second), Status: StatusSucceeded, Planned: 1200, Writes: 1150, Failed: 50,
		ReportDir: "/reports/run_date=2026-03-14/run_id=r1", Error: "50 actions failed"}
	if err := s.EndRun(ctx, end); err != nil {
		t.Fatal(err)
	}
	got, err = s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want = Run{ID: "r1", Started: t0, Ended: end.Ended, DryRun: true, Status: StatusSucceeded, Planned: 1200, Writes: 1150,
		Failed: 50, ConfigDigest: "sha256:abc", ReportDir: end.ReportDir, Error: end.Error}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("after EndRun:\n got %+v\nwant %+v", *got, want)
	}
}

func TestRunDefaultsToNow(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if err := s.EndRun(ctx, Run{ID: "r1", Status: StatusFailed}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Started.Equal(t0) || !got.Ended.Equal(t0.Add(time.Minute)) {
		t.Errorf("Started %v, Ended %v; want %v, %v", got.Started, got.Ended, t0, t0.Add(time.Minute))
	}
}

func TestRunErrors(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		do    func() error
		want  string
		isErr error
	}{
		{"begin twice", func() error { return s.BeginRun(ctx, Run{ID: "r1"}) }, `run "r1" is already in the store`, nil},
		{"begin without id", func() error { return s.BeginRun(ctx, Run{}) }, "empty run id", nil},
		{"end unknown run", func() error { return s.EndRun(ctx, Run{ID: "nope", Status: StatusSucceeded}) }, `run "nope"`, ErrNoRun},
		{"end as running", func() error { return s.EndRun(ctx, Run{ID: "r1", Status: StatusRunning}) }, `status "running" is not a final run status`, nil},
		{"end with a typo", func() error { return s.EndRun(ctx, Run{ID: "r1", Status: "success"}) }, `status "success"`, nil},
		{"get unknown run", func() error { _, err := s.Run(ctx, "nope"); return err }, `run "nope"`, ErrNoRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("error %v is not %v", err, tc.isErr)
			}
		})
	}
	// r1 is unchanged by the refused calls.
	got, err := s.Run(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusRunning {
		t.Errorf("r1 status %q after refused calls, want running", got.Status)
	}
}

// TestRunHistory covers LastRun, IncompleteRuns and Runs over one history.
func TestRunHistory(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// id, minutes after t0, dry run, final status ("" = still running)
	history := []struct {
		id     string
		min    int
		dry    bool
		status string
	}{
		{"a", 0, false, StatusSucceeded},
		{"b", 10, true, StatusSucceeded},
		{"c", 20, false, StatusFailed},
		{"d", 30, false, ""}, // killed
		{"e", 40, false, StatusSucceeded},
		{"f", 50, true, StatusBraked},
		{"g", 60, false, StatusIncomplete},
		{"h", 70, true, ""}, // killed dry run
		{"i", 70, false, StatusInterrupted},
	}
	for _, h := range history {
		started := t0.Add(time.Duration(h.min) * time.Minute)
		if err := s.BeginRun(ctx, Run{ID: h.id, Started: started, DryRun: h.dry}); err != nil {
			t.Fatal(err)
		}
		if h.status != "" {
			if err := s.EndRun(ctx, Run{ID: h.id, Status: h.status, Ended: started.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(runs []Run) string {
		var s []string
		for _, r := range runs {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}

	for _, tc := range []struct {
		status string
		dry    bool
		want   string // "" = none
	}{
		{StatusSucceeded, false, "e"},
		{StatusSucceeded, true, "b"},
		{StatusFailed, false, "c"},
		{StatusFailed, true, ""},
		{StatusBraked, true, "f"},
		{StatusRunning, false, "d"},
		{StatusRunning, true, "h"},
	} {
		r, err := s.LastRun(ctx, tc.status, tc.dry)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if r != nil {
			got = r.ID
		}
		if got != tc.want {
			t.Errorf("LastRun(%s, dry=%v) = %q, want %q", tc.status, tc.dry, got, tc.want)
		}
	}

	inc, err := s.IncompleteRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(inc); got != "d,g,h" {
		t.Errorf("IncompleteRuns = %s, want d,g,h (oldest first)", got)
	}

	for _, tc := range []struct {
		limit int
		want  string
	}{
		{0, "i,h,g,f,e,d,c,b,a"}, // h and i start together: the later one begun first
		{-1, "i,h,g,f,e,d,c,b,a"},
		{3, "i,h,g"},
		{100, "i,h,g,f,e,d,c,b,a"},
	} {
		runs, err := s.Runs(ctx, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(runs); got != tc.want {
			t.Errorf("Runs(%d) = %s, want %s", tc.limit, got, tc.want)
		}
	}
}
