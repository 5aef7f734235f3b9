package state

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAddActionsRoundTrip(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	in := []Action{
		{Seq: 0, LeadID: "L0", Kind: KindWriteback, Object: "Contact", TargetID: "003A", Reason: "fields differ",
			Fields: map[string]string{"LinkedIn_Profile_URL__c": "https://www.linkedin.com/in/x", "Quote__c": `a "b" \ é 😀` + "\n"}},
		{RunID: "r1", Seq: 1, LeadID: "L1", Kind: KindCreateContact, Object: "Contact", OnBehalfOf: "005U1",
			Fields: map[string]string{"FirstName": "Ana", "LastName": "Lima"}},
		{Seq: 2, LeadID: "L1", Kind: KindCreateContactRole, Object: "OpportunityContactRole", OnBehalfOf: "005U1"},
		{Seq: 3, LeadID: "L3", Kind: KindWriteback, Object: "Lead", TargetID: "00QB", State: Skipped, Reason: "converted_lead_read_only",
			Fields: map[string]string{}},
		{Seq: 4, LeadID: "L4", Kind: KindWriteback, Object: "Lead", TargetID: "00QC", State: Planned,
			ErrorCode: "X", ErrorMessage: "carried", JobID: "750J", AttemptedAt: t0.Add(-time.Hour)},
	}
	if err := s.AddActions(ctx, "r1", in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Actions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Action, len(in))
	for i, a := range in {
		a.RunID = "r1"
		a.UpdatedAt = t0
		if a.State == "" {
			a.State = Planned
		}
		if len(a.Fields) == 0 {
			a.Fields = nil
		}
		want[i] = a
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Actions:\n got %+v\nwant %+v", got, want)
	}
}

func TestAddActionsRefused(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", 3)
	if err := s.BeginRun(ctx, Run{ID: "r2"}); err != nil {
		t.Fatal(err)
	}
	ok := Action{Seq: 10, LeadID: "L", Kind: KindWriteback, Object: "Contact"}
	with := func(f func(*Action)) []Action {
		a := ok
		f(&a)
		return []Action{ok, a}
	}
	for _, tc := range []struct {
		name  string
		run   string
		as    []Action
		want  string
		isErr error
	}{
		{"same (run, seq) again", "r1", []Action{ok, {Seq: 2, LeadID: "L", Kind: KindWriteback, Object: "Contact"}},
			"action 2 is already in the journal", nil},
		{"seq twice in one batch", "r2", with(func(a *Action) {}), "action 10 is already in the journal", nil},
		{"run not begun", "r9", []Action{ok}, `run "r9"`, ErrNoRun},
		{"other run's action", "r2", with(func(a *Action) { a.Seq, a.RunID = 11, "r1" }), `action 11 belongs to run "r1"`, nil},
		{"born sent", "r2", with(func(a *Action) { a.Seq, a.State = 11, Sent }), `not "sent"`, nil},
		{"unknown kind", "r2", with(func(a *Action) { a.Seq, a.Kind = 11, "delete" }), `unknown kind "delete"`, nil},
		{"no lead", "r2", with(func(a *Action) { a.Seq, a.LeadID = 11, "" }), "action 11: needs a seq in [0, 4294967295], a lead id and an object", nil},
		{"no object", "r2", with(func(a *Action) { a.Seq, a.Object = 11, "" }), "action 11: needs a seq in [0, 4294967295], a lead id and an object", nil},
		{"negative seq", "r2", with(func(a *Action) { a.Seq = -1 }), "action -1: needs a seq in", nil},
		{"seq too large", "r2", with(func(a *Action) { a.Seq = 1 << 32 }), "action 4294967296: needs a seq in", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddActions(ctx, tc.run, tc.as)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("error %v is not %v", err, tc.isErr)
			}
		})
	}
	// Nothing of a refused batch is in the journal (the transaction is
	// all or nothing: action 10 came first in several batches).
	for run, n := range map[string]int{"r1": 3, "r2": 0} {
		as, err := s.Actions(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != n {
			t.Errorf("run %s has %d actions after refused batches, want %d", run, len(as), n)
		}
	}
}

func TestSendAndRecordRoundTrip(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddActions(ctx, "r1", []Action{
		{Seq: 0, LeadID: "L0", Kind: KindWriteback, Object: "Contact", TargetID: "003A", Reason: "planned reason"},
		{Seq: 1, LeadID: "L1", Kind: KindCreateContact, Object: "Contact", OnBehalfOf: "005U"},
		{Seq: 2, LeadID: "L2", Kind: KindWriteback, Object: "Lead", TargetID: "00QB"},
		{Seq: 3, LeadID: "L3", Kind: KindWriteback, Object: "Lead", TargetID: "00QC"},
	}); err != nil {
		t.Fatal(err)
	}
	sentAt := t0.Add(time.Second)
	clock.add(2 * time.Second)
	if err := s.MarkSent(ctx, "r1", []int{0, 1, 2}, "750JOB", sentAt); err != nil {
		t.Fatal(err)
	}
	sent, err := s.ActionsInState(ctx, "r1", Sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 {
		t.Fatalf("%d sent actions, want 3", len(sent))
	}
	for _, a := range sent {
		if a.JobID != "750JOB" || !a.AttemptedAt.Equal(sentAt) || !a.UpdatedAt.Equal(t0.Add(2*time.Second)) || a.Attempts != 1 {
			t.Errorf("action %d after MarkSent: job %q, attempted %v, updated %v, attempts %d", a.Seq, a.JobID, a.AttemptedAt, a.UpdatedAt, a.Attempts)
		}
	}

	clock.add(time.Second)
	if err := s.Record(ctx, "r1", []Outcome{
		{Seq: 0, State: Done},
		{Seq: 1, State: Done, TargetID: "003NEW"},
		{Seq: 2, State: Failed, ErrorCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", ErrorMessage: "nope", Reason: "validation rule"},
		{Seq: 3, State: Skipped, Reason: "already_linked"},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Actions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		State, TargetID, Reason, ErrorCode, ErrorMessage, JobID string
		Attempts                                                int
	}
	want := []row{
		{Done, "003A", "planned reason", "", "", "750JOB", 1},
		{Done, "003NEW", "", "", "", "750JOB", 1},
		{Failed, "00QB", "validation rule", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "nope", "750JOB", 1},
		{Skipped, "00QC", "already_linked", "", "", "", 0},
	}
	for i, a := range got {
		r := row{a.State, a.TargetID, a.Reason, a.ErrorCode, a.ErrorMessage, a.JobID, a.Attempts}
		if r != want[i] {
			t.Errorf("action %d: %+v, want %+v", i, r, want[i])
		}
		if !a.UpdatedAt.Equal(t0.Add(3 * time.Second)) {
			t.Errorf("action %d: UpdatedAt %v", i, a.UpdatedAt)
		}
	}

	// A retry of the failed action: sent again without a job, its error
	// cleared, one more attempt.
	if err := s.MarkSent(ctx, "r1", []int{2}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	a, err := s.ActionsInState(ctx, "r1", Sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0].Attempts != 2 || a[0].JobID != "" || a[0].ErrorCode != "" || !a[0].AttemptedAt.Equal(t0.Add(3*time.Second)) {
		t.Errorf("after the retry's MarkSent: %+v", a)
	}

	counts, err := s.Counts(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{Done: 2, Sent: 1, Skipped: 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("Counts = %v, want %v", counts, want)
	}
}

// TestMoveToJob: a sent action's job id follows the later ingest job that
// carries it, nothing else of it changes; an action in any other state, or
// a batch holding one, is refused whole.
func TestMoveToJob(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	ctx := context.Background()
	beginWithActions(t, s, "r1", 6)
	sentAt := t0.Add(time.Second)
	if err := s.MarkSent(ctx, "r1", seqRange(0, 4), "750J1", sentAt); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 3, State: Done}}); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if err := s.MoveToJob(ctx, "r1", []int{1, 2}, "750J2"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		seqs []int
		job  string
		want error
	}{
		{[]int{0, 3}, "750J3", ErrIllegalTransition}, // 3 is done
		{[]int{0, 4}, "750J3", ErrIllegalTransition}, // 4 is planned
		{[]int{0, 9}, "750J3", ErrNoAction},
		{[]int{0}, "", nil},
		{[]int{0, 0}, "750J3", nil},
	} {
		err := s.MoveToJob(ctx, "r1", bad.seqs, bad.job)
		if err == nil || bad.want != nil && !errors.Is(err, bad.want) {
			t.Errorf("MoveToJob(%v, %q) = %v, want an error (%v)", bad.seqs, bad.job, err, bad.want)
		}
	}
	got, err := s.Actions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		state, job string
		updated    time.Time
	}{
		{Sent, "750J1", t0}, {Sent, "750J2", t0.Add(time.Minute)}, {Sent, "750J2", t0.Add(time.Minute)},
		{Done, "750J1", t0}, {Planned, "", t0}, {Planned, "", t0},
	} {
		a := got[i]
		attempts := map[bool]int{true: 1}[i < 4]
		if a.State != want.state || a.JobID != want.job || !a.UpdatedAt.Equal(want.updated) || a.Attempts != attempts ||
			i < 4 && !a.AttemptedAt.Equal(sentAt) {
			t.Errorf("action %d: %s job %q updated %v attempts %d attempted %v, want %s job %q updated %v attempts %d",
				i, a.State, a.JobID, a.UpdatedAt, a.Attempts, a.AttemptedAt, want.state, want.job, want.updated, attempts)
		}
	}
	if err := s.MoveToJob(ctx, "nope", []int{0}, "750J3"); !errors.Is(err, ErrNoRun) {
		t.Errorf("MoveToJob of an unknown run: %v", err)
	}
}

// The state machine, written out here independently of the code's table:
// every (from, to) pair is tried through the store.
func TestTransitions(t *testing.T) {
	legal := map[[2]string]bool{
		{Planned, Sent}:          true,
		{Planned, Skipped}:       true,
		{Planned, Superseded}:    true,
		{Sent, Done}:             true,
		{Sent, Failed}:           true,
		{Sent, Unknown}:          true,
		{Sent, NotApplied}:       true,
		{Unknown, Done}:          true,
		{Unknown, Failed}:        true,
		{Unknown, NotApplied}:    true,
		{Failed, Sent}:           true,
		{NotApplied, Sent}:       true,
		{NotApplied, Superseded}: true,
	}
	// How to bring a fresh planned action to each state.
	reach := map[string]func(s *Store, seq int) error{
		Planned: func(*Store, int) error { return nil },
		Sent: func(s *Store, seq int) error {
			return s.MarkSent(context.Background(), "r1", []int{seq}, "", time.Time{})
		},
	}
	for _, st := range []string{Done, Failed, Unknown, NotApplied} {
		reach[st] = func(s *Store, seq int) error {
			if err := reach[Sent](s, seq); err != nil {
				return err
			}
			return s.Record(context.Background(), "r1", []Outcome{{Seq: seq, State: st}})
		}
	}
	for _, st := range []string{Skipped, Superseded} {
		reach[st] = func(s *Store, seq int) error {
			return s.Record(context.Background(), "r1", []Outcome{{Seq: seq, State: st}})
		}
	}
	// And how to ask for each state.
	move := func(s *Store, seq int, to string) error {
		if to == Sent {
			return s.MarkSent(context.Background(), "r1", []int{seq}, "", time.Time{})
		}
		return s.Record(context.Background(), "r1", []Outcome{{Seq: seq, State: to}})
	}
	all := []string{Planned, Sent, Done, Failed, Unknown, NotApplied, Skipped, Superseded}

	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", len(all)*len(all))
	seq := 0
	for _, from := range all {
		for _, to := range all {
			t.Run(from+"->"+to, func(t *testing.T) {
				if err := reach[from](s, seq); err != nil {
					t.Fatalf("reaching %s: %v", from, err)
				}
				if ValidTransition(from, to) != legal[[2]string{from, to}] {
					t.Errorf("ValidTransition(%s, %s) = %v", from, to, !legal[[2]string{from, to}])
				}
				err := move(s, seq, to)
				as, rerr := s.Actions(ctx, "r1")
				if rerr != nil {
					t.Fatal(rerr)
				}
				now := as[seq].State
				if legal[[2]string{from, to}] {
					if err != nil || now != to {
						t.Errorf("legal move refused: %v (state %s)", err, now)
					}
					return
				}
				if err == nil {
					t.Fatalf("illegal move accepted (state now %s)", now)
				}
				if now != from {
					t.Errorf("state %s after a refused move, want %s", now, from)
				}
				if to == Planned { // Record refuses planned as an outcome: no TransitionError
					return
				}
				var te *TransitionError
				if !errors.As(err, &te) || !errors.Is(err, ErrIllegalTransition) {
					t.Fatalf("error %v is not a *TransitionError", err)
				}
				if te.From != from || te.To != to || te.Seq != seq || te.RunID != "r1" {
					t.Errorf("TransitionError %+v", te)
				}
				if msg := fmt.Sprintf("action %d of run r1: illegal action state transition: %s -> %s", seq, from, to); !strings.Contains(err.Error(), msg) {
					t.Errorf("error %q does not say %q", err, msg)
				}
			})
			seq++
		}
	}
}

func TestTransitionErrorHints(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", 3)
	if err := s.MarkSent(ctx, "r1", []int{1, 2}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 2, State: Done}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		do   func() error
		want string
	}{
		{"record a never sent action", func() error { return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}}) },
			"planned -> done (it was never marked sent: MarkSent before the call)"},
		{"send a sent action again", func() error { return s.MarkSent(ctx, "r1", []int{1}, "", time.Time{}) },
			"sent -> sent (its last call's outcome is not journalled: Record it, e.g. failed, before sending it again)"},
		{"supersede a sent action", func() error { return s.Record(ctx, "r1", []Outcome{{Seq: 1, State: Superseded}}) },
			"sent -> superseded (its last call may have reached Salesforce: reconcile it and Record the outcome first)"},
		{"send a done action", func() error { return s.MarkSent(ctx, "r1", []int{2}, "", time.Time{}) },
			"done -> sent (done is final)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// One refused outcome in a batch leaves the whole batch unwritten.
func TestRecordAndMarkSentAreAllOrNothing(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", 10)
	if err := s.MarkSent(ctx, "r1", []int{0, 1, 2, 3}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		do    func() error
		isErr error
		want  string
	}{
		{"record with a planned action last", func() error {
			return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 1, State: Failed}, {Seq: 5, State: Done}})
		}, ErrIllegalTransition, "planned -> done"},
		{"record with an action that does not exist", func() error {
			return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 99, State: Done}})
		}, ErrNoAction, "action 99"},
		{"record of a run not begun", func() error {
			return s.Record(ctx, "r2", []Outcome{{Seq: 0, State: Done}})
		}, ErrNoRun, `run "r2"`},
		{"mark sent of a run not begun", func() error {
			return s.MarkSent(ctx, "r2", []int{0}, "", time.Time{})
		}, ErrNoRun, `run "r2"`},
		{"record with a seq twice", func() error {
			return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 0, State: Failed}})
		}, nil, "action 0 is listed twice"},
		{"record sent", func() error {
			return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 1, State: Sent}})
		}, nil, `action 1: "sent" is not an outcome`},
		{"mark sent with a sent action last", func() error {
			return s.MarkSent(ctx, "r1", []int{6, 7, 3}, "", time.Time{})
		}, ErrIllegalTransition, "sent -> sent"},
		{"mark sent with a seq twice", func() error {
			return s.MarkSent(ctx, "r1", []int{6, 7, 6}, "", time.Time{})
		}, nil, "action 6 is listed twice"},
		{"mark sent of a negative seq", func() error {
			return s.MarkSent(ctx, "r1", []int{6, -1}, "", time.Time{})
		}, ErrNoAction, "action -1"},
		{"record of a seq beyond the key range", func() error {
			return s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 1 << 32, State: Done}})
		}, ErrNoAction, "action 4294967296"},
		{"mark sent of an action that does not exist", func() error {
			return s.MarkSent(ctx, "r1", []int{6, 10}, "", time.Time{})
		}, ErrNoAction, "action 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("error %v is not %v", err, tc.isErr)
			}
			counts, err := s.Counts(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{Sent: 4, Planned: 6}; !reflect.DeepEqual(counts, want) {
				t.Errorf("Counts = %v after a refused batch, want %v", counts, want)
			}
		})
	}
}

// Record writes even with a cancelled context: the call happened.
func TestRecordAfterCancel(t *testing.T) {
	s := openTest(t)
	beginWithActions(t, s, "r1", 2)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.MarkSent(ctx, "r1", []int{0, 1}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := s.MarkSent(ctx, "r1", []int{0}, "", time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("MarkSent with a cancelled context: %v, want context.Canceled (nothing is sent after a signal)", err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}, {Seq: 1, State: Unknown}}); err != nil {
		t.Fatalf("Record with a cancelled context: %v", err)
	}
	counts, err := s.Counts(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{Done: 1, Unknown: 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("Counts = %v, want %v", counts, want)
	}
}

func TestMarkUnknown(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", 6)
	beginWithActions(t, s, "r2", 2)
	for run, seqs := range map[string][]int{"r1": {0, 1, 2, 3}, "r2": {0}} {
		if err := s.MarkSent(ctx, run, seqs, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done}}); err != nil {
		t.Fatal(err)
	}
	n, err := s.MarkUnknown(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("MarkUnknown = %d, want 3", n)
	}
	for run, want := range map[string]map[string]int{
		"r1": {Done: 1, Unknown: 3, Planned: 2},
		"r2": {Sent: 1, Planned: 1}, // another run is untouched
	} {
		counts, err := s.Counts(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("run %s: Counts = %v, want %v", run, counts, want)
		}
	}
	unknown, err := s.ActionsInState(ctx, "r1", Unknown, Done)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, a := range unknown {
		seqs = append(seqs, a.Seq)
	}
	if !reflect.DeepEqual(seqs, []int{0, 1, 2, 3}) {
		t.Errorf("ActionsInState(unknown, done) seqs = %v, want [0 1 2 3] (seq order)", seqs)
	}
}

func TestActionsInStateArguments(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginWithActions(t, s, "r1", 1)
	if _, err := s.ActionsInState(ctx, "r1"); err == nil || !strings.Contains(err.Error(), "no state given") {
		t.Errorf("no states: %v", err)
	}
	if _, err := s.ActionsInState(ctx, "r1", Planned, "not-applied"); err == nil || !strings.Contains(err.Error(), `unknown state "not-applied"`) {
		t.Errorf("a misspelt state: %v", err)
	}
	as, err := s.ActionsInState(ctx, "r1", Planned, Sent, Done, Failed, Unknown, NotApplied, Skipped, Superseded)
	if err != nil || len(as) != 1 {
		t.Errorf("every state: %d actions, %v", len(as), err)
	}
	if as, err := s.Actions(ctx, "nope"); err != nil || len(as) != 0 {
		t.Errorf("Actions of an unknown run: %v, %v", as, err)
	}
}

func TestPruneActions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	day := 24 * time.Hour
	// id, ended (days after t0; 0 = not ended), status
	for _, r := range []struct {
		id     string
		ended  int
		status string
	}{
		{"old", 1, StatusSucceeded},
		{"old-failed", 2, StatusFailed},
		{"old-incomplete", 3, StatusIncomplete},
		{"old-killed", 0, ""},
		{"recent", 20, StatusSucceeded},
	} {
		s.now = newFakeClock(t0).now
		beginWithActions(t, s, r.id, 5)
		if r.status != "" {
			if err := s.EndRun(ctx, Run{ID: r.id, Status: r.status, Ended: t0.Add(time.Duration(r.ended) * day)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := s.PruneActions(ctx, t0.Add(10*day))
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Errorf("PruneActions = %d, want 10 (old, old-failed)", n)
	}
	for id, want := range map[string]int{"old": 0, "old-failed": 0, "old-incomplete": 5, "old-killed": 5, "recent": 5} {
		as, err := s.Actions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != want {
			t.Errorf("run %s: %d actions, want %d", id, len(as), want)
		}
		if _, err := s.Run(ctx, id); err != nil {
			t.Errorf("run %s left the history: %v", id, err)
		}
	}
}
