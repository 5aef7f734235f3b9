package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the org time zones below, whatever the machine has
)

const (
	userA = "005Dn000000AAAAAAA"
	userB = "005Dn000000BBBBBBB"
)

// beginRun begins run runID with no actions.
func beginRun(t testing.TB, s *Store, runID string) {
	t.Helper()
	if err := s.BeginRun(context.Background(), Run{ID: runID}); err != nil {
		t.Fatal(err)
	}
}

func reserve(t testing.TB, s *Store, runID, user, month string, seqs []int, limit int) []int {
	t.Helper()
	g, err := s.ReserveContacts(context.Background(), runID, user, month, seqs, limit)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func wantQuota(t testing.TB, s *Store, user, month string, created, reserved int) {
	t.Helper()
	c, r, err := s.ContactQuota(context.Background(), user, month)
	if err != nil {
		t.Fatal(err)
	}
	if c != created || r != reserved {
		t.Errorf("ContactQuota(%s, %s) = created %d, reserved %d; want %d, %d", user, month, c, r, created, reserved)
	}
}

func wantGranted(t testing.TB, got, want []int) {
	t.Helper()
	if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
		t.Errorf("granted %v, want %v", got, want)
	}
}

// "A user with 998 contacts this month gets 2 more and the rest
// quota_exceeded": the grant stops at the limit, per user and per month.
func TestReserveUpToLimitThenPartial(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginRun(t, s, "r1")
	if err := s.AddContactsCreated(ctx, userA, "2026-12", 998); err != nil {
		t.Fatal(err)
	}
	wantGranted(t, reserve(t, s, "r1", userA, "2026-12", []int{10, 11, 12, 13, 14}, 1000), []int{10, 11})
	wantQuota(t, s, userA, "2026-12", 998, 2)
	wantGranted(t, reserve(t, s, "r1", userA, "2026-12", []int{12, 13}, 1000), nil)
	// A seq already held is granted again without counting twice, but the
	// grant is a prefix: not after the first seq refused for quota.
	wantGranted(t, reserve(t, s, "r1", userA, "2026-12", []int{11, 12, 10}, 1000), []int{11})
	wantQuota(t, s, userA, "2026-12", 998, 2)
	// A larger limit (the config changed) grants more.
	wantGranted(t, reserve(t, s, "r1", userA, "2026-12", []int{12, 13, 14}, 1001), []int{12})
	wantQuota(t, s, userA, "2026-12", 998, 3)
	// Another user, and next month, have quotas of their own.
	wantGranted(t, reserve(t, s, "r1", userB, "2026-12", []int{20, 21, 22}, 1000), []int{20, 21, 22})
	wantGranted(t, reserve(t, s, "r1", userA, "2027-01", []int{30, 31}, 1000), []int{30, 31})
	wantQuota(t, s, userA, "2027-01", 0, 2)
	// A limit of 0 grants nothing; a user already past the limit (seeded)
	// gets nothing either.
	wantGranted(t, reserve(t, s, "r1", userB, "2027-01", []int{40}, 0), nil)
	if err := s.AddContactsCreated(ctx, userB, "2027-02", 1200); err != nil {
		t.Fatal(err)
	}
	wantGranted(t, reserve(t, s, "r1", userB, "2027-02", []int{41}, 1000), nil)
	wantQuota(t, s, userB, "2027-02", 1200, 0)
	// An empty request is granted nothing, without error.
	wantGranted(t, reserve(t, s, "r1", userB, "2026-12", nil, 1000), nil)
}

func TestSettleContacts(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginRun(t, s, "r1")
	const m = "2026-12"
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{0, 1, 2, 3}, 4), []int{0, 1, 2, 3})
	if err := s.SettleContacts(ctx, "r1", []int{0, 1}, []int{2}); err != nil {
		t.Fatal(err)
	}
	// 3 is unknown: still held, still counted.
	wantQuota(t, s, userA, m, 2, 1)
	// The released one freed its place: one more fits.
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{4, 5}, 4), []int{4})
	wantQuota(t, s, userA, m, 2, 2)

	// Settling again to the same state changes nothing.
	if err := s.SettleContacts(ctx, "r1", []int{0}, []int{2}); err != nil {
		t.Fatal(err)
	}
	wantQuota(t, s, userA, m, 2, 2)

	// Refused changes, each with nothing written: the valid settlement in
	// the same call (confirming 3) is not applied either.
	for _, tc := range []struct {
		name                string
		confirmed, released []int
		want                error
		msg                 string
	}{
		{"release a created contact", []int{3}, []int{0}, ErrReservationState, "confirmed -> released"},
		{"confirm a released one", []int{3, 2}, nil, ErrReservationState, "released -> confirmed"},
		{"no reservation", []int{3, 99}, nil, ErrNoReservation, "action 99"},
		{"both lists", []int{3}, []int{3}, nil, "listed twice"},
	} {
		err := s.SettleContacts(ctx, "r1", tc.confirmed, tc.released)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: SettleContacts = %v, want %v (%q)", tc.name, err, tc.want, tc.msg)
		}
		wantQuota(t, s, userA, m, 2, 2)
	}
	if err := s.SettleContacts(ctx, "nope", []int{3}, nil); !errors.Is(err, ErrNoRun) {
		t.Errorf("SettleContacts of an unknown run: %v, want ErrNoRun", err)
	}

	// Reserving again: a held seq is granted without counting twice; a
	// released one (a failed create, retried) is reserved anew; a confirmed
	// one, or one held for another user, is refused, and nothing is
	// reserved.
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{3, 4}, 4), []int{3, 4})
	wantQuota(t, s, userA, m, 2, 2)
	for _, tc := range []struct {
		name  string
		user  string
		month string
		seqs  []int
		msg   string
	}{
		{"created already", userA, m, []int{2, 0}, "action 0: illegal contact reservation change: it is confirmed"},
		{"held for another user", userB, m, []int{3}, "it is held for user " + userA},
		{"held in another month", userA, "2027-01", []int{3}, "it is held for user " + userA + " in 2026-12"},
	} {
		g, err := s.ReserveContacts(ctx, "r1", tc.user, tc.month, tc.seqs, 10)
		if !errors.Is(err, ErrReservationState) || !strings.Contains(err.Error(), tc.msg) || g != nil {
			t.Errorf("%s: ReserveContacts = %v, %v; want ErrReservationState (%q)", tc.name, g, err, tc.msg)
		}
		wantQuota(t, s, userA, m, 2, 2)
	}
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{2}, 10), []int{2})
	wantQuota(t, s, userA, m, 2, 3)
	if err := s.SettleContacts(ctx, "r1", []int{2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	wantQuota(t, s, userA, m, 5, 0)

	// Settle writes even under a cancelled context: the call has happened.
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{6}, 10), []int{6})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SettleContacts(cancelled, "r1", []int{6}, nil); err != nil {
		t.Fatal(err)
	}
	wantQuota(t, s, userA, m, 6, 0)
}

func TestQuotaArguments(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginRun(t, s, "r1")
	for _, tc := range []struct {
		run, user, month string
		seqs             []int
		limit            int
		msg              string
	}{
		{"r1", userA, "2026-12-03", []int{1}, 10, `bad key "2026-12-03"`},
		{"r1", userA, "2026-1", []int{1}, 10, `bad key "2026-1"`},
		{"r1", userA, "2026-13", []int{1}, 10, `bad key "2026-13"`},
		{"r1", userA, "", []int{1}, 10, `bad key ""`},
		{"r1", "", "2026-12", []int{1}, 10, "empty user id"},
		{"r1", userA, "2026-12", []int{1}, -1, "negative limit"},
		{"r1", userA, "2026-12", []int{1, 2, 1}, 10, "action 1 is listed twice"},
		{"r1", userA, "2026-12", []int{-1}, 10, "out of range"},
		{"nope", userA, "2026-12", []int{1}, 10, "no such run"},
	} {
		g, err := s.ReserveContacts(ctx, tc.run, tc.user, tc.month, tc.seqs, tc.limit)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || g != nil {
			t.Errorf("ReserveContacts(%q, %q, %q, %v, %d) = %v, %v; want an error with %q", tc.run, tc.user, tc.month, tc.seqs, tc.limit, g, err, tc.msg)
		}
	}
	if _, _, err := s.ContactQuota(ctx, userA, "12/2026"); err == nil {
		t.Error("ContactQuota accepted a bad month")
	}
	if err := s.AddContactsCreated(ctx, userA, "2026-12-01", 1); err == nil {
		t.Error("AddContactsCreated accepted a day as a month")
	}
	if err := s.AddAPICalls(ctx, userA, "2026-12", 1); err == nil {
		t.Error("AddAPICalls accepted a month as a day")
	}
	if err := s.AddAPICalls(ctx, userA, "2026-12-03", -1); err == nil {
		t.Error("AddAPICalls accepted a negative count")
	}
	if _, err := s.APICalls(ctx, "", "2026-12-03"); err == nil {
		t.Error("APICalls accepted an empty user")
	}
	if _, err := s.QuotaReport(ctx, "2026-12", "2026-12-32"); err == nil {
		t.Error("QuotaReport accepted a bad day")
	}
	if rs, err := s.OpenReservations(ctx, "nope"); err != nil || len(rs) != 0 {
		t.Errorf("OpenReservations of an unknown run: %v, %v", rs, err)
	}
}

func TestAddContactsCreatedNeverBelowZero(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, step := range []struct{ n, want int }{{-2, 0}, {3, 3}, {-5, 0}, {7, 7}, {-1, 6}} {
		if err := s.AddContactsCreated(ctx, userA, "2026-12", step.n); err != nil {
			t.Fatal(err)
		}
		wantQuota(t, s, userA, "2026-12", step.want, 0)
	}
}

func TestAPICalls(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	calls := func(user, day string) int {
		t.Helper()
		n, err := s.APICalls(ctx, user, day)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := calls(userA, "2026-12-03"); n != 0 {
		t.Errorf("APICalls of a user without calls = %d", n)
	}
	for _, n := range []int{3, 4, 0} {
		if err := s.AddAPICalls(ctx, userA, "2026-12-03", n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddAPICalls(ctx, userA, "2026-12-04", 1); err != nil {
		t.Fatal(err)
	}
	// Counted even when the run is being stopped: the calls were made.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.AddAPICalls(cancelled, userB, "2026-12-03", 2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, day string
		want      int
	}{{userA, "2026-12-03", 7}, {userA, "2026-12-04", 1}, {userB, "2026-12-03", 2}, {userB, "2026-12-04", 0}} {
		if n := calls(c.user, c.day); n != c.want {
			t.Errorf("APICalls(%s, %s) = %d, want %d", c.user, c.day, n, c.want)
		}
	}

	// TakeAPICalls counts only within the budget.
	for _, step := range []struct {
		n, budget int
		ok        bool
		after     int
	}{{2, 10, true, 9}, {1, 10, true, 10}, {1, 10, false, 10}, {0, 10, true, 10}, {5, 12, false, 10}, {2, 12, true, 12}} {
		ok, err := s.TakeAPICalls(ctx, userA, "2026-12-03", step.n, step.budget)
		if err != nil {
			t.Fatal(err)
		}
		if ok != step.ok || calls(userA, "2026-12-03") != step.after {
			t.Errorf("TakeAPICalls(%d, budget %d) = %v, calls %d; want %v, %d", step.n, step.budget, ok, calls(userA, "2026-12-03"), step.ok, step.after)
		}
	}
	// A user's first calls of a day.
	if ok, err := s.TakeAPICalls(ctx, userB, "2026-12-05", 11, 10); err != nil || ok {
		t.Errorf("TakeAPICalls over the budget on a new day = %v, %v", ok, err)
	}
	if ok, err := s.TakeAPICalls(ctx, userB, "2026-12-05", 10, 10); err != nil || !ok || calls(userB, "2026-12-05") != 10 {
		t.Errorf("TakeAPICalls of the whole budget on a new day = %v, %v", ok, err)
	}
}

func TestQuotaReport(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	beginRun(t, s, "r1")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const month, day = "2026-12", "2026-12-03"
	// u1: created this month (and held last month: not shown).
	must(s.AddContactsCreated(ctx, "u1", month, 5))
	reserve(t, s, "r1", "u1", "2026-11", []int{0}, 10)
	// u2: reservations held this month, two of them settled.
	reserve(t, s, "r1", "u2", month, []int{1, 2, 3, 4}, 10)
	must(s.SettleContacts(ctx, "r1", []int{1}, []int{2}))
	// u3: API calls today only.
	must(s.AddAPICalls(ctx, "u3", day, 9))
	// u4: activity in other months and days only.
	must(s.AddContactsCreated(ctx, "u4", "2026-11", 3))
	must(s.AddAPICalls(ctx, "u4", "2026-12-02", 3))
	// u5: a correction back to 0, and no calls: no activity.
	must(s.AddContactsCreated(ctx, "u5", month, 2))
	must(s.AddContactsCreated(ctx, "u5", month, -2))
	must(s.AddAPICalls(ctx, "u5", day, 0))
	// u0: everything.
	must(s.AddContactsCreated(ctx, "u0", month, 1))
	reserve(t, s, "r1", "u0", month, []int{5}, 10)
	must(s.AddAPICalls(ctx, "u0", day, 4))

	got, err := s.QuotaReport(ctx, month, day)
	if err != nil {
		t.Fatal(err)
	}
	want := []UserQuota{
		{UserID: "u0", Month: month, Created: 1, Reserved: 1, Day: day, APICalls: 4},
		{UserID: "u1", Month: month, Created: 5, Day: day},
		{UserID: "u2", Month: month, Created: 1, Reserved: 2, Day: day},
		{UserID: "u3", Month: month, Day: day, APICalls: 9},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("QuotaReport:\n got %+v\nwant %+v", got, want)
	}
	if got, err := s.QuotaReport(ctx, "2025-01", "2025-01-01"); err != nil || len(got) != 0 {
		t.Errorf("QuotaReport of a quiet month: %v, %v", got, err)
	}
}

func TestMonthDay(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t          time.Time
		loc        *time.Location
		month, day string
	}{
		// New Year's Eve evening in California is already January in UTC.
		{time.Date(2027, 1, 1, 7, 59, 59, 0, time.UTC), la, "2026-12", "2026-12-31"},
		{time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC), la, "2027-01", "2027-01-01"},
		{time.Date(2027, 1, 1, 7, 59, 59, 0, time.UTC), time.UTC, "2027-01", "2027-01-01"},
		{time.Date(2027, 1, 1, 7, 59, 59, 0, time.UTC), nil, "2027-01", "2027-01-01"},
		// December 1st in Tokyo while UTC is still in November.
		{time.Date(2026, 11, 30, 14, 59, 59, 0, time.UTC), tokyo, "2026-11", "2026-11-30"},
		{time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC), tokyo, "2026-12", "2026-12-01"},
		// The zone of t itself does not matter, only loc.
		{time.Date(2026, 12, 1, 0, 30, 0, 0, tokyo), la, "2026-11", "2026-11-30"},
	} {
		m, d := MonthDay(tc.t, tc.loc)
		if m != tc.month || d != tc.day {
			t.Errorf("MonthDay(%v, %v) = %s, %s; want %s, %s", tc.t, tc.loc, m, d, tc.month, tc.day)
		}
	}
}

// The quota month is the org's: an org in California whose user used the
// whole of December's quota can create again at midnight in California,
// not at midnight UTC (eight hours earlier).
func TestQuotaMonthInOrgZone(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	s := openTest(t)
	ctx := context.Background()
	beginRun(t, s, "r1")
	dec, _ := MonthDay(time.Date(2026, 12, 15, 12, 0, 0, 0, la), la)
	if err := s.AddContactsCreated(ctx, userA, dec, 1000); err != nil {
		t.Fatal(err)
	}
	// 2027-01-01 04:00 UTC: January in UTC, still December in the org.
	m, _ := MonthDay(time.Date(2027, 1, 1, 4, 0, 0, 0, time.UTC), la)
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{0}, 1000), nil)
	// 2027-01-01 08:30 UTC: January in the org.
	m, _ = MonthDay(time.Date(2027, 1, 1, 8, 30, 0, 0, time.UTC), la)
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{0}, 1000), []int{0})
	wantQuota(t, s, userA, "2026-12", 1000, 0)
	wantQuota(t, s, userA, "2027-01", 0, 1)
}

// createActions are n create_contact actions on behalf of user.
func createActions(runID, user string, n int) []Action {
	as := genActions(runID, n)
	for i := range as {
		as[i].Kind, as[i].Object, as[i].TargetID, as[i].OnBehalfOf = KindCreateContact, "Contact", "", user
	}
	return as
}

// The reconciliation of a killed run: its reservations are open until
// settled, and SettleFromJournal settles them from the journal's states.
func TestOpenReservationsAndSettleFromJournal(t *testing.T) {
	s := openTest(t)
	clock := newFakeClock(t0)
	s.now = clock.now
	ctx := context.Background()
	const m = "2026-03"
	beginRun(t, s, "r1")
	if err := s.AddActions(ctx, "r1", createActions("r1", userA, 8)); err != nil {
		t.Fatal(err)
	}
	// 0 done, 1 failed, 2 not_applied, 3 unknown, 4 sent (killed in the
	// call), 5 planned (reserved, killed before MarkSent), 6 superseded; 99
	// reserved with no action journalled.
	wantGranted(t, reserve(t, s, "r1", userA, m, []int{0, 1, 2, 3, 4, 5, 6, 99}, 100), []int{0, 1, 2, 3, 4, 5, 6, 99})
	clock.add(time.Second)
	if err := s.MarkSent(ctx, "r1", []int{0, 1, 2, 3, 4}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 0, State: Done, TargetID: "003Dn0000000001AAA"},
		{Seq: 1, State: Failed, ErrorCode: "DUPLICATES_DETECTED"}, {Seq: 2, State: NotApplied}, {Seq: 3, State: Unknown},
		{Seq: 6, State: Superseded}}); err != nil {
		t.Fatal(err)
	}
	// The run is killed here. A second run reserves for the same user: the
	// killed run's eight held reservations count.
	beginRun(t, s, "r2")
	wantGranted(t, reserve(t, s, "r2", userA, m, seqRange(0, 100), 100), seqRange(0, 92))
	wantQuota(t, s, userA, m, 0, 100)
	if err := s.SettleContacts(ctx, "r2", nil, seqRange(0, 92)); err != nil {
		t.Fatal(err)
	}

	open, err := s.OpenReservations(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var want []Reservation
	for _, seq := range []int{0, 1, 2, 3, 4, 5, 6, 99} {
		want = append(want, Reservation{RunID: "r1", Seq: seq, UserID: userA, Month: m, ReservedAt: t0})
	}
	if !reflect.DeepEqual(open, want) {
		t.Fatalf("OpenReservations:\n got %+v\nwant %+v", open, want)
	}
	c, r, err := s.SettleFromJournal(ctx, "r1")
	if err != nil || c != 1 || r != 5 {
		t.Fatalf("SettleFromJournal = %d confirmed, %d released, %v; want 1, 5", c, r, err)
	}
	open, err = s.OpenReservations(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].Seq != 3 || open[1].Seq != 4 {
		t.Fatalf("after SettleFromJournal, open %+v; want 3 (unknown) and 4 (sent)", open)
	}
	wantQuota(t, s, userA, m, 1, 2)
	// Reconciled: 3 was created after all, 4 was not.
	if _, err := s.MarkUnknown(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, "r1", []Outcome{{Seq: 3, State: Done}, {Seq: 4, State: NotApplied}}); err != nil {
		t.Fatal(err)
	}
	if c, r, err := s.SettleFromJournal(ctx, "r1"); err != nil || c != 1 || r != 1 {
		t.Fatalf("SettleFromJournal after reconciliation = %d, %d, %v; want 1, 1", c, r, err)
	}
	wantQuota(t, s, userA, m, 2, 0)
	if c, r, err := s.SettleFromJournal(ctx, "r1"); err != nil || c != 0 || r != 0 {
		t.Errorf("SettleFromJournal again = %d, %d, %v; want nothing", c, r, err)
	}
}

// PruneActions keeps the journal of a run holding reservations, and
// removes the settled reservations of the runs it prunes.
func TestPruneActionsAndReservations(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"settled", "holding"} {
		beginWithActions(t, s, id, 3)
		reserve(t, s, id, userA, "2026-03", []int{0, 1}, 100)
		if err := s.EndRun(ctx, Run{ID: id, Status: StatusSucceeded, Ended: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SettleContacts(ctx, "settled", []int{0}, []int{1}); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneActions(ctx, t0.Add(time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("PruneActions = %d, %v; want the 3 actions of run settled", n, err)
	}
	var left int
	if err := s.db.QueryRow(`SELECT count(*) FROM contact_reservations WHERE run = (SELECT no FROM runs WHERE id = 'settled')`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d reservations of the pruned run left (%v)", left, err)
	}
	if as, err := s.Actions(ctx, "holding"); err != nil || len(as) != 3 {
		t.Errorf("run holding reservations: %d actions, %v; want 3 kept", len(as), err)
	}
	// The contacts created stay counted.
	wantQuota(t, s, userA, "2026-03", 1, 2)
}

// Two Stores on one file (two pools, as two processes have), each with
// several goroutines reserving for one user at once: the grants never pass
// the limit together, and every one of them is counted.
func TestConcurrentReservations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	stores := []*Store{openTest(t, path), openTest(t, path)}
	ctx := context.Background()
	const (
		month   = "2026-12"
		limit   = 150
		workers = 3 // per store
		batch   = 7
	)
	if err := stores[0].AddContactsCreated(ctx, userA, month, 10); err != nil {
		t.Fatal(err)
	}

	// Phase 1: reservations only, more asked for than the limit allows.
	var mu sync.Mutex
	granted := map[string][]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for si, s := range stores {
		for w := range workers {
			run := fmt.Sprintf("s%d-w%d", si, w)
			beginRun(t, s, run)
			wg.Go(func() {
				for i := 0; ; i += batch {
					g, err := s.ReserveContacts(ctx, run, userA, month, seqRange(i, i+batch), limit)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					granted[run] = append(granted[run], g...)
					mu.Unlock()
					if len(g) < batch {
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for run, g := range granted {
		total += len(g)
		open, err := stores[1].OpenReservations(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != len(g) {
			t.Errorf("run %s: granted %d, %d held", run, len(g), len(open))
		}
	}
	if total != limit-10 {
		t.Errorf("granted %d in all, want exactly %d (limit %d, 10 created)", total, limit-10, limit)
	}
	wantQuota(t, stores[0], userA, month, 10, limit-10)

	// Phase 2: every worker settles and reserves again at once, confirming
	// some and releasing others, while a reader checks that created + held
	// never passes the limit.
	stop := make(chan struct{})
	readerDone := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				readerDone <- nil
				return
			default:
			}
			c, r, err := stores[1].ContactQuota(ctx, userA, month)
			if err == nil && c+r > limit {
				err = fmt.Errorf("created %d + reserved %d > limit %d", c, r, limit)
			}
			if err != nil {
				readerDone <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var confirmed int
	errs = make(chan error, 2*workers)
	for si, s := range stores {
		for w := range workers {
			run := fmt.Sprintf("s%d-w%d", si, w)
			wg.Go(func() {
				held := granted[run]
				next := 1000
				for round := 0; round < 20 && len(held) > 0; round++ {
					// Confirm the first, release the rest, ask again.
					if err := s.SettleContacts(ctx, run, held[:1], held[1:]); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					confirmed++
					mu.Unlock()
					g, err := s.ReserveContacts(ctx, run, userA, month, seqRange(next, next+batch), limit)
					if err != nil {
						errs <- err
						return
					}
					next += batch
					held = g
				}
				if err := s.SettleContacts(ctx, run, nil, held); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	// Every confirmation counted once, nothing left held.
	wantQuota(t, stores[1], userA, month, 10+confirmed, 0)
	if 10+confirmed > limit {
		t.Errorf("%d created, above the limit %d", 10+confirmed, limit)
	}
}

// A store written by the previous schema version is upgraded in place when
// opened: its runs and journal kept, the ledger added and usable.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	// A version-1 store, as the previous navsync left it: a killed run
	// with its journal.
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA journal_mode=WAL", migrations[0], "PRAGMA user_version = 1", fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		`INSERT INTO runs (no, id, started, dry_run, status) VALUES (1, 'old', 0, 0, 'running')`,
		`INSERT INTO actions (id, lead_id, kind, object, state, updated_at) VALUES (1 << 32 | 7, 'lead-7', 'writeback', 'Lead', 'sent', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Two processes' Stores open it at once: one upgrades, both work.
	var wg sync.WaitGroup
	stores := make([]*Store, 2)
	openErrs := make([]error, 2)
	for i := range stores {
		wg.Go(func() { stores[i], openErrs[i] = Open(ctx, path) })
	}
	wg.Wait()
	for i := range stores {
		if openErrs[i] != nil {
			t.Fatal(openErrs[i])
		}
	}
	t.Cleanup(func() { stores[1].Close() })
	s := stores[0]
	var version int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion || version < 2 {
		t.Fatalf("user_version after the upgrade = %d, %v; want %d", version, err, schemaVersion)
	}
	runs, err := s.IncompleteRuns(ctx)
	if err != nil || len(runs) != 1 || runs[0].ID != "old" {
		t.Fatalf("runs after the upgrade: %+v, %v", runs, err)
	}
	as, err := stores[1].Actions(ctx, "old")
	if err != nil || len(as) != 1 || as[0].Seq != 7 || as[0].State != Sent || as[0].LeadID != "lead-7" {
		t.Fatalf("journal after the upgrade: %+v, %v", as, err)
	}
	// The ledger works, for the old run too.
	wantGranted(t, reserve(t, stores[1], "old", userA, "2026-12", []int{7, 8}, 1), []int{7})
	wantQuota(t, s, userA, "2026-12", 0, 1)
	if err := s.AddAPICalls(ctx, userA, "2026-12-03", 2); err != nil {
		t.Fatal(err)
	}
	// And a reopened upgraded store is current: nothing to migrate again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stores[0] = openTest(t, path)
	if n, err := stores[0].APICalls(ctx, userA, "2026-12-03"); err != nil || n != 2 {
		t.Errorf("APICalls after reopening = %d, %v", n, err)
	}
}
