package state

import (
	"context"
	"slices"
	"testing"
)

// TestLostContactRoles: a Contact created by a done create_contact whose
// role ended failed, not applied, superseded or skipped (other than for a
// settled reason) is lost until a role for it is done or skipped for a
// settled reason; a Contact never created, a role still open, and a
// Contact created without a role planned are not.
func TestLostContactRoles(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	// journal adds run's actions: for each lead, a create_contact (done
	// with its Contact when contact != "") and a role in state role.
	type step struct {
		lead, contact, contactState, roleState, reason, roleContact string
	}
	journal := func(run string, steps []step) {
		t.Helper()
		if err := s.BeginRun(ctx, Run{ID: run, Started: t0, Status: StatusRunning}); err != nil {
			t.Fatal(err)
		}
		var as []Action
		seq := 0
		for _, st := range steps {
			if st.contactState != "" {
				as = append(as, Action{Seq: seq, LeadID: st.lead, Kind: KindCreateContact, Object: "Contact", OnBehalfOf: "005U"})
				seq++
			}
			if st.roleState != "" {
				f := map[string]string{"OpportunityId": "006O", "Role": "Influencer"}
				if st.roleContact != "" {
					f["ContactId"] = st.roleContact
				}
				as = append(as, Action{Seq: seq, LeadID: st.lead, Kind: KindCreateContactRole, Object: "OpportunityContactRole", OnBehalfOf: "005U", Fields: f})
				seq++
			}
		}
		if err := s.AddActions(ctx, run, as); err != nil {
			t.Fatal(err)
		}
		// Walk each action to its state through the journal's transitions.
		seq = 0
		move := func(state, target, reason string) {
			t.Helper()
			switch state {
			case Planned:
			case Skipped, Superseded:
				if err := s.Record(ctx, run, []Outcome{{Seq: seq, State: state, Reason: reason}}); err != nil {
					t.Fatal(err)
				}
			default:
				if err := s.MarkSent(ctx, run, []int{seq}, "", t0); err != nil {
					t.Fatal(err)
				}
				if state != Sent {
					if err := s.Record(ctx, run, []Outcome{{Seq: seq, State: state, TargetID: target, Reason: reason}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			seq++
		}
		for _, st := range steps {
			if st.contactState != "" {
				move(st.contactState, st.contact, "")
			}
			if st.roleState != "" {
				move(st.roleState, "", st.reason)
			}
		}
	}
	settled := []string{"no_open_opportunity", "already_linked"}
	journal("r1", []step{
		{lead: "L1", contact: "003A", contactState: Done, roleState: Failed},                                 // lost
		{lead: "L2", contact: "003B", contactState: Done, roleState: NotApplied},                             // lost, then retried and done in r2
		{lead: "L3", contact: "003C", contactState: Done, roleState: Superseded},                             // lost, then retried and settled in r2
		{lead: "L4", contact: "003D", contactState: Done, roleState: Skipped, reason: "contact_not_created"}, // lost
		{lead: "L5", contact: "003E", contactState: Done, roleState: Skipped, reason: "no_open_opportunity"}, // settled
		{lead: "L6", contactState: Failed, roleState: Skipped, reason: "contact_not_created"},                // no Contact
		{lead: "L7", contact: "003G", contactState: Done, roleState: Done},                                   // done
		{lead: "L8", contact: "003H", contactState: Done},                                                    // no role planned
		{lead: "L9", contact: "003I", contactState: Done, roleState: Failed},                                 // lost, then pending in r2
		{lead: "L10", contact: "003J", contactState: Done, roleState: Failed},                                // lost, retried and failed again in r2
	})
	got, err := s.LostContactRoles(ctx, settled)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ls []LostRole) []string {
		var out []string
		for _, l := range ls {
			if l.OwnerID != "005U" || l.RunID != "r1" {
				t.Errorf("%+v: want owner 005U, run r1", l)
			}
			out = append(out, l.LeadID+"="+l.ContactID)
		}
		return out
	}
	if want := []string{"L1=003A", "L2=003B", "L3=003C", "L4=003D", "L9=003I", "L10=003J"}; !slices.Equal(names(got), want) {
		t.Errorf("after r1: %v, want %v", names(got), want)
	}
	// The next run retries some (their roles naming the Contact).
	journal("r2", []step{
		{lead: "L2", roleState: Done, roleContact: "003B"},
		{lead: "L3", roleState: Skipped, reason: "already_linked", roleContact: "003C"},
		{lead: "L9", roleState: Sent, roleContact: "003I"},
		{lead: "L10", roleState: Failed, roleContact: "003J"},
		{lead: "L1", roleState: Skipped, reason: "owner_inactive", roleContact: "003A"},
	})
	got, err = s.LostContactRoles(ctx, settled)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"L1=003A", "L4=003D", "L10=003J"}; !slices.Equal(names(got), want) {
		t.Errorf("after r2: %v, want %v", names(got), want)
	}
}
