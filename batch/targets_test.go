package batch

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// TestTargets: the plan's view of the matched records comes from the
// snapshot as the run read it, not from its files again: each writeback
// field's value as the file holds it (a field a file lacks is empty), a
// Contact's Account, a Lead's conversion; a converted Lead brings in its
// Contact; records not wanted, or not in the snapshot, are left out.
func TestTargets(t *testing.T) {
	const idF, urlF = "Sales_Navigator_Lead_Id__c", "LinkedIn_Profile_URL__c"
	snap, err := input.ReadSnapshot(context.Background(), "testdata/targets", input.SnapshotOptions{KeepFields: []string{idF, urlF}})
	if err != nil {
		t.Fatal(err)
	}
	in := &input.Inputs{Input: matcher.Input{People: snap.People}, Kept: snap.Kept}
	want := map[string]bool{}
	for _, id := range []string{"003000000000001AAA", "003000000000002AAA", "003000000000003AAA",
		"00Q000000000001AAA", "00Q000000000002AAA", "00Q000000000003AAA", "003000000000009AAA"} {
		want[id] = true
	}
	wanted := maps.Clone(want)
	got := Targets(in, want)
	contact := func(id string, vals map[string]string) *Target {
		return &Target{ID: id, Object: "Contact", Values: vals, AccountID: "001000000000001AAA"}
	}
	exp := map[string]*Target{
		"003000000000001AAA": contact("003000000000001AAA", map[string]string{idF: "urn:li:1", urlF: "https://www.linkedin.com/in/jane/"}),
		"003000000000002AAA": contact("003000000000002AAA", map[string]string{}),
		"003000000000003AAA": {ID: "003000000000003AAA", Object: "Contact", Values: map[string]string{idF: " urn:li:3 "},
			AccountID: "001000000000002AAA"},
		"003000000000004AAA": contact("003000000000004AAA", map[string]string{}), // the converted Lead's
		"00Q000000000001AAA": {ID: "00Q000000000001AAA", Object: "Lead", Values: map[string]string{idF: "urn:li:b"}},
		"00Q000000000002AAA": {ID: "00Q000000000002AAA", Object: "Lead", Values: map[string]string{},
			IsConverted: true, ConvertedContactID: "003000000000004AAA"},
		"00Q000000000003AAA": {ID: "00Q000000000003AAA", Object: "Lead", Values: map[string]string{}, IsConverted: true},
	}
	for id, w := range exp {
		if g := got[id]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", id, g, w)
		}
	}
	for id := range got {
		if exp[id] == nil {
			t.Errorf("unexpected target %s", id)
		}
	}
	wanted["003000000000004AAA"] = true
	if !reflect.DeepEqual(want, wanted) {
		t.Errorf("wanted set after: %v", want)
	}
}

// onMessage is a log handler that calls do when a record with message msg
// is logged, and drops every record.
type onMessage struct {
	msg string
	do  func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.do()
	}
	return nil
}
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }

// TestRunPlansFromSnapshotAsRead: a run reads the snapshot's Contact.csv
// and Lead.csv once. Once matching is done (its "matched" log line) the
// files are removed, and the run still plans and writes back every match
// (converted Leads' to their Contacts); the next run, with the same files
// removed, finds every record already linked.
func TestRunPlansFromSnapshotAsRead(t *testing.T) {
	org := newJobOrg(t, 1500, 13, sfsim.Options{})
	cfg := org.config(t)
	// Converted Leads whose Contact changed since (as in
	// TestRunDryThenRealThenNothing), so the matcher finds the Lead and
	// the plan needs the Lead's conversion and its Contact's state.
	edited := 0
	for _, lt := range org.world.LeadTruth {
		if lt.Scenario != fixtures.ScenarioConvertedLead || edited == 3 {
			continue
		}
		for _, id := range lt.CRMIDs {
			if l, ok := org.srv.Get("Lead", id); ok && l["IsConverted"] == "true" && l["ConvertedContactId"] != "" {
				if err := org.srv.Set("Contact", l["ConvertedContactId"], map[string]string{"LastName": fmt.Sprint("Renamed", edited),
					"Email": "", "Phone": "", "MobilePhone": ""}); err != nil {
					t.Fatal(err)
				}
				edited++
				break
			}
		}
	}
	removed := 0
	log := slog.New(onMessage{msg: "matched", do: func() {
		for _, name := range []string{"Contact.csv", "Lead.csv"} {
			files, _ := filepath.Glob(filepath.Join(cfg.WorkDir, "*", "crm", name))
			for _, f := range files {
				if os.Remove(f) == nil {
					removed++
				}
			}
		}
	}})
	run := func() *RunResult {
		t.Helper()
		res, err := org.run(t, cfg, func(o *RunOptions) { o.Log = log; o.KeepWork = true })
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := run()
	if removed != 2 {
		t.Fatalf("%d snapshot files removed after matching, want 2", removed)
	}
	done := first.Summary.Actions[KindWriteback][StatusDone]
	if first.Plan.Writes == 0 || done != first.Plan.Writes {
		t.Fatalf("%d of %d writes done; statuses %v, skipped %v", done, first.Plan.Writes, first.Summary.Actions, first.Plan.Skipped)
	}
	redirected := 0
	for _, a := range first.Actions {
		if !a.Skip && a.MatchedID != a.TargetID {
			redirected++
		}
	}
	if redirected == 0 {
		t.Error("no converted Lead's writeback went to its Contact")
	}
	if n := first.Plan.Skipped[ReasonTargetNotInSnapshot]; n != 0 {
		t.Errorf("%d matches not found in the snapshot", n)
	}
	second := run()
	if removed != 4 {
		t.Fatalf("%d snapshot files removed after two runs, want 4", removed)
	}
	if second.Plan.Writes != 0 || second.Plan.Skipped[ReasonAlreadyLinked] < done {
		t.Errorf("second run: %d writes, %d already linked; want 0 and at least %d", second.Plan.Writes,
			second.Plan.Skipped[ReasonAlreadyLinked], done)
	}
}
