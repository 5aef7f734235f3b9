package batch

import (
	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

// matchedTargets returns the ids Plan needs the state of: every record a
// match decision points to, and the Contact of a converted Lead.
func matchedTargets(results []matcher.LeadResult) map[string]bool {
	ids := map[string]bool{}
	for i := range results {
		r := &results[i]
		if r.Decision != matcher.DecisionMatch || r.CRMID == "" {
			continue
		}
		ids[r.CRMID] = true
		if r.ConvertedContactID != "" {
			ids[r.ConvertedContactID] = true
		}
	}
	return ids
}

// Targets returns the current state of the wanted records as the run read
// the snapshot's Contact.csv and Lead.csv (no file is read again): the
// values of the writeback fields (in.Kept, read with
// SnapshotOptions.KeepFields set to them; a field missing from a file's
// header is empty: Extract refuses an org without it, so this only happens
// with a hand-made snapshot), the Contact's AccountId, the Lead's
// conversion. A converted Lead's Contact is added to the wanted set as it
// is found, so the Leads are looked at before the Contacts.
func Targets(in *input.Inputs, want map[string]bool) map[string]*Target {
	out := map[string]*Target{}
	people, kept := in.Input.People, &in.Kept
	for _, object := range []string{"Lead", "Contact"} {
		for i := range people {
			p := &people[i]
			if p.Object != object || !want[p.ID] {
				continue
			}
			t := &Target{ID: p.ID, Object: object, Values: make(map[string]string, len(kept.Fields))}
			for k, v := range kept.Values(i) {
				if v != "" {
					t.Values[kept.Fields[k]] = v
				}
			}
			switch object {
			case "Contact":
				t.AccountID = p.AccountID
			case "Lead":
				t.IsConverted = p.IsConverted
				t.ConvertedContactID = p.ConvertedContactID
				if t.IsConverted && t.ConvertedContactID != "" {
					want[t.ConvertedContactID] = true
				}
			}
			out[t.ID] = t
		}
	}
	return out
}
