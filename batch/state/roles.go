package state

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// LostRole is a Contact navsync created (a done create_contact) whose
// contact role it planned and never got done.
type LostRole struct {
	LeadID    string // the lead the Contact was created for
	ContactID string
	OwnerID   string // on whose behalf the Contact was created
	RunID     string // the run that created the Contact
}

// LostContactRoles are the Contacts created by a create_contact action
// that is done, whose create_contact_role actions (the one planned with
// the Contact, in the same run, and any later one naming the Contact in
// its ContactId field) ended without the role: the last of them failed,
// not_applied, superseded, or skipped for a reason not in settled. A role
// done once settles its Contact for good; a later skip with a reason of
// settled (the policy found no Opportunity for it, the role is in the org
// already) too. A Contact whose last role action is still planned, sent or
// unknown (a run to be reconciled) is left out, as is one whose roles were
// never planned (no role policy when it was created). In the order the
// Contacts were created.
//
// It reads every contact creation of the journal (a scan of the actions
// table, as the journal keeps no index on kind; PruneActions bounds it).
func (s *Store) LostContactRoles(ctx context.Context, settled []string) ([]LostRole, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, r.id, a.lead_id, a.kind, a.target_id, a.on_behalf_of, a.fields, a.state, a.reason
		FROM actions a JOIN runs r ON r.no = a.id >> 32 WHERE a.kind IN (?, ?) ORDER BY a.id`, KindCreateContact, KindCreateContactRole)
	if err != nil {
		return nil, fmt.Errorf("state: LostContactRoles: %w", err)
	}
	defer rows.Close()
	type contact struct {
		LostRole
		status string // "" (no role yet), "lost", "pending", "done", "settled"
	}
	var order []*contact
	byID := map[string]*contact{}
	type runLead struct {
		run  int64
		lead string
	}
	created := map[runLead]string{} // the Contact a run created for a lead
	for rows.Next() {
		var id int64
		var runID, lead, kind, target, owner, st, reason string
		var fields []byte
		if err := rows.Scan(&id, &runID, &lead, &kind, &target, &owner, &fields, &st, &reason); err != nil {
			return nil, fmt.Errorf("state: LostContactRoles: %w", err)
		}
		run := id >> 32
		if kind == KindCreateContact {
			if st == Done && target != "" {
				created[runLead{run, lead}] = target
				c := &contact{LostRole: LostRole{LeadID: lead, ContactID: target, OwnerID: owner, RunID: runID}}
				byID[target] = c
				order = append(order, c)
			}
			continue
		}
		var f struct {
			ContactID string `json:"ContactId"`
		}
		if len(fields) > 2 {
			if err := json.Unmarshal(fields, &f); err != nil {
				return nil, fmt.Errorf("state: LostContactRoles: action %d of run %s: fields: %w", id&maxSeq, runID, err)
			}
		}
		cid := f.ContactID
		if cid == "" {
			cid = created[runLead{run, lead}]
		}
		c := byID[cid]
		if c == nil || c.status == "done" {
			continue
		}
		switch st {
		case Done:
			c.status = "done"
		case Failed, NotApplied, Superseded:
			c.status = "lost"
		case Skipped:
			c.status = "lost"
			if slices.Contains(settled, reason) {
				c.status = "settled"
			}
		default: // planned, sent, unknown: not settled yet
			c.status = "pending"
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: LostContactRoles: %w", err)
	}
	var out []LostRole
	for _, c := range order {
		if c.status == "lost" {
			out = append(out, c.LostRole)
		}
	}
	return out, nil
}
