package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
)

// ContactWriter is what contact creation needs of an owner's client.
type ContactWriter interface {
	Create(ctx context.Context, object string, records []sfbulk.Record) ([]sfbulk.RecordResult, error)
	Upsert(ctx context.Context, object, extIDField string, records []sfbulk.Record) ([]sfbulk.RecordResult, error)
	Usage() sfbulk.Usage
}

// OwnerClients hands out a client acting as an owner, with that user's own
// token (UserClients does, through JWT or a stored consent).
type OwnerClients interface {
	Client(ctx context.Context, userID, username string) (ContactWriter, error)
	Flush(ctx context.Context) error
}

// QuotaLedger reserves contact creations against an owner's monthly quota
// before the call and settles them after it (batch/state).
type QuotaLedger interface {
	ReserveContacts(ctx context.Context, runID, userID, month string, seqs []int, limit int) ([]int, error)
	SettleContacts(ctx context.Context, runID string, confirmed, released []int) error
}

// ContactOptions configure the creation of contacts.
type ContactOptions struct {
	RunID string
	// Usernames maps a User id to its username (for the owner's token).
	Usernames map[string]string
	// ExtIDField is the Contact field created Contacts are upserted on
	// (contacts.external_id_field; the writeback mapping fills it, from
	// lead_id or profile_url). Upsert makes a resend harmless when it is
	// an External ID field (UseUpsert); otherwise contacts are created and
	// a lost answer is reconciled by reading back the value written into
	// that field before anything is sent again.
	ExtIDField string
	UseUpsert  bool
	// Month is the quota month key (org time zone) and MonthlyQuota the
	// limit per owner.
	Month        string
	MonthlyQuota int
	Now          func() time.Time
	Progress     Progress
	// Calls, when set, is increased by the API calls the owners' clients
	// made.
	Calls *int64

	// roleOf maps a lead id to its create_contact_role action (set by
	// applyContacts).
	roleOf map[string]int
}

// applyContacts creates the plan's contacts and contact roles, owner by
// owner, each owner's with its own client: quota reserved before each call
// and settled after it, a look-up for same-name Contacts created since the
// snapshot before each call (reads go through the integration user's
// reader), every call journalled before and after. An owner whose token is
// missing, revoked or of another org, or whose daily API budget is spent,
// stops only that owner's work. A call-level failure of the org (not of
// one owner) stops everything, as for writebacks.
func applyContacts(ctx context.Context, reader RecordReader, owners OwnerClients, j Journal, ledger QuotaLedger,
	actions []Action, outcomes []Outcome, o ContactOptions) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = nopProgress{}
	}
	byOwner := map[string][]int{}
	retries := map[string][]int{} // owner -> roles of Contacts created by earlier runs
	roles := map[string]int{}     // lead id -> index of its contact role action
	var ownerIDs []string
	for i := range actions {
		a := &actions[i]
		if a.Skip {
			continue
		}
		switch {
		case a.Kind == KindCreateContact:
			byOwner[a.OnBehalfOf] = append(byOwner[a.OnBehalfOf], i)
			ownerIDs = append(ownerIDs, a.OnBehalfOf)
		case isRoleRetry(a):
			retries[a.OnBehalfOf] = append(retries[a.OnBehalfOf], i)
			ownerIDs = append(ownerIDs, a.OnBehalfOf)
		case a.Kind == KindCreateContactRole:
			roles[a.LeadID] = i
		}
	}
	slices.Sort(ownerIDs)
	ownerIDs = slices.Compact(ownerIDs)
	o.roleOf = roles
	defer owners.Flush(context.WithoutCancel(ctx))
	for _, uid := range ownerIDs {
		if err := ctx.Err(); err != nil {
			return &stopError{err}
		}
		if err := createForOwner(ctx, reader, owners, j, ledger, actions, outcomes, byOwner[uid], retries[uid], uid, o); err != nil {
			return err
		}
	}
	// Roles whose contact was not created are skipped; the rest were
	// sent with their owner's contacts.
	var outs []state.Outcome
	contactOf := contactIndexes(actions)
	for _, i := range roles {
		if outcomes[i].Status == StatusNotSent && actions[i].TargetID == "" {
			if ci, ok := contactOf[actions[i].LeadID]; ok && outcomes[ci].Status != StatusDone {
				skipOutcome(&actions[i], &outcomes[i], ReasonContactNotDone, "the Contact was not created in this run")
				outs = append(outs, state.Outcome{Seq: actions[i].Seq, State: state.Skipped, Reason: ReasonContactNotDone})
			}
		}
	}
	if len(outs) > 0 {
		if err := j.Record(journalCtx(ctx), o.RunID, outs); err != nil {
			return &stopError{fmt.Errorf("journal: %w", err)}
		}
	}
	return nil
}

// contactIndexes maps each lead id to its create_contact action.
func contactIndexes(actions []Action) map[string]int {
	m := map[string]int{}
	for i := range actions {
		if actions[i].Kind == KindCreateContact {
			m[actions[i].LeadID] = i
		}
	}
	return m
}

func skipOutcome(a *Action, o *Outcome, reason, detail string) {
	a.Reason, a.Detail = reason, detail
	o.Status = StatusSkipped
}

// ownerStop ends an owner's work: the remaining actions are skipped with
// reason (journalled skipped, or failed when they were already sent).
func ownerStop(ctx context.Context, j Journal, runID string, actions []Action, outcomes []Outcome, idx []int, sent bool,
	reason, detail, code string) error {
	outs := make([]state.Outcome, 0, len(idx))
	for _, i := range idx {
		skipOutcome(&actions[i], &outcomes[i], reason, detail)
		outcomes[i].ErrorCode = code
		st := state.Skipped
		if sent {
			st = state.Failed
		}
		outs = append(outs, state.Outcome{Seq: actions[i].Seq, State: st, Reason: reason, ErrorCode: code, ErrorMessage: detail})
	}
	if len(outs) == 0 {
		return nil
	}
	if err := j.Record(journalCtx(ctx), runID, outs); err != nil {
		return &stopError{fmt.Errorf("journal: %w", err)}
	}
	return nil
}

// createForOwner creates an owner's contacts (idx) and their roles, and
// the roles of Contacts earlier runs created for the owner that did not
// get them (retries).
func createForOwner(ctx context.Context, reader RecordReader, owners OwnerClients, j Journal, ledger QuotaLedger,
	actions []Action, outcomes []Outcome, idx, retries []int, uid string, o ContactOptions) error {
	cl, err := owners.Client(ctx, uid, o.Usernames[uid])
	if err != nil {
		reason, detail := ownerRefusal(err)
		if reason == "" {
			return &stopError{fmt.Errorf("sign in as owner %s: %w", uid, err)}
		}
		return ownerStop(ctx, j, o.RunID, actions, outcomes, append(slices.Clip(idx), retries...), false, reason, detail, errorCode(err))
	}
	if o.Calls != nil {
		before := cl.Usage().Calls
		defer func() { *o.Calls += cl.Usage().Calls - before }()
	}
	var granted []int
	if len(idx) > 0 {
		granted, err = ledger.ReserveContacts(journalCtx(ctx), o.RunID, uid, o.Month, seqsOf(actions, idx), o.MonthlyQuota)
		if err != nil {
			return &stopError{fmt.Errorf("quota ledger: %w", err)}
		}
	}
	over := idx[len(granted):]
	idx = idx[:len(granted)]
	if err := ownerStop(ctx, j, o.RunID, actions, outcomes, over, false, ReasonQuotaExceeded,
		fmt.Sprintf("the owner's quota of %d contacts in %s is used up; a later run creates it", o.MonthlyQuota, o.Month), ""); err != nil {
		return err
	}
	for start := 0; start < len(idx); start += sfbulk.MaxCollection {
		if err := ctx.Err(); err != nil {
			return &stopError{err}
		}
		chunk := idx[start:min(start+sfbulk.MaxCollection, len(idx))]
		stop, err := createChunk(ctx, reader, cl, j, ledger, actions, outcomes, chunk, o)
		if err != nil {
			return err
		}
		o.Progress.Add(int64(len(chunk)))
		if stop != "" {
			rest := idx[start+len(chunk):]
			detail := stopDetail(stop)
			if err := ledger.SettleContacts(journalCtx(ctx), o.RunID, nil, seqsOf(actions, rest)); err != nil {
				return &stopError{fmt.Errorf("quota ledger: %w", err)}
			}
			return ownerStop(ctx, j, o.RunID, actions, outcomes, append(slices.Clip(rest), retries...), false, stop, detail, "")
		}
	}
	// The contact roles of this owner's created contacts, and those
	// earlier runs lost.
	return createRoles(ctx, cl, j, actions, outcomes, idx, retries, o)
}

// stopDetail explains why an owner's remaining contacts were not sent.
func stopDetail(reason string) string {
	for _, err := range []error{ErrOwnerNotAuthorized, sfbulk.ErrAuthRevoked, sfbulk.ErrOrgMismatch, sfbulk.ErrBudgetExhausted, sfbulk.ErrAPIDisabled} {
		if r, d := ownerRefusal(err); r == reason {
			return d
		}
	}
	return reason
}

func seqsOf(actions []Action, idx []int) []int {
	s := make([]int, len(idx))
	for k, i := range idx {
		s[k] = actions[i].Seq
	}
	return s
}

// ownerRefusal maps an owner's sign-in failure to the reason that stops
// only that owner's work; "" for failures that are not the owner's.
func ownerRefusal(err error) (reason, detail string) {
	switch {
	case errors.Is(err, ErrOwnerNotAuthorized):
		return ReasonOwnerNoToken, "no stored consent for the owner: run navsync auth login --user <owner email>, or use the jwt flow"
	case errors.Is(err, sfbulk.ErrAuthRevoked):
		return ReasonOwnerAuthRevoked, "the owner's authorization was refused (invalid_grant): the owner must consent again (navsync auth login); set the connected app's refresh token policy to \"valid until revoked\""
	case errors.Is(err, sfbulk.ErrOrgMismatch):
		return ReasonDifferentOrg, "the owner's token belongs to another org than the job's; it is refused"
	case errors.Is(err, sfbulk.ErrBudgetExhausted):
		return ReasonBudgetExhausted, "the owner's daily API budget is spent; a later run creates it"
	case errors.Is(err, sfbulk.ErrAPIDisabled):
		return ReasonOwnerNoAPI, "the owner's profile lacks \"API Enabled\" (API_DISABLED_FOR_ORG): grant it, or the owner's leads cannot be created"
	}
	return "", ""
}

// createChunk sends up to 200 contacts of one owner. It returns a reason
// when the owner's remaining work must stop (budget, revoked token).
func createChunk(ctx context.Context, reader RecordReader, cl ContactWriter, j Journal, ledger QuotaLedger,
	actions []Action, outcomes []Outcome, chunk []int, o ContactOptions) (string, error) {
	// Same-name Contacts created on the Account since the snapshot.
	dups, err := findDuplicates(ctx, reader, actions, chunk, o.ExtIDField)
	if err != nil {
		return "", &stopError{fmt.Errorf("duplicate look-up: %w", err)}
	}
	var send []int
	var outs []state.Outcome
	var released []int
	for _, i := range chunk {
		a := &actions[i]
		if d, ok := dups[i]; ok {
			a.TargetID = d.id
			reason, detail := ReasonPossibleDup, "a Contact with the same first and last name was added to the Account after the snapshot"
			if d.sameLead {
				reason, detail = ReasonAlreadyLinked, "the Contact for this lead exists already (created by an earlier run)"
			}
			skipOutcome(a, &outcomes[i], reason, detail)
			outs = append(outs, state.Outcome{Seq: a.Seq, State: state.Skipped, Reason: reason, TargetID: d.id})
			released = append(released, a.Seq)
			continue
		}
		send = append(send, i)
	}
	if len(outs) > 0 {
		if err := j.Record(journalCtx(ctx), o.RunID, outs); err != nil {
			return "", &stopError{fmt.Errorf("journal: %w", err)}
		}
	}
	if len(released) > 0 {
		if err := ledger.SettleContacts(journalCtx(ctx), o.RunID, nil, released); err != nil {
			return "", &stopError{fmt.Errorf("quota ledger: %w", err)}
		}
	}
	if len(send) == 0 {
		return "", nil
	}
	at := o.Now()
	if err := j.MarkSent(journalCtx(ctx), o.RunID, seqsOf(actions, send), "", at); err != nil {
		return "", &stopError{fmt.Errorf("journal: %w", err)}
	}
	recs := make([]sfbulk.Record, len(send))
	for k, i := range send {
		r := make(sfbulk.Record, len(actions[i].Fields))
		for f, v := range actions[i].Fields {
			r[f] = v
		}
		recs[k] = r
	}
	var results []sfbulk.RecordResult
	var callErr error
	method, path := "POST", "/composite/sobjects"
	if o.UseUpsert {
		method, path = "PATCH", "/composite/sobjects/Contact/"+o.ExtIDField
		results, callErr = cl.Upsert(context.WithoutCancel(ctx), "Contact", o.ExtIDField, recs)
	} else {
		results, callErr = cl.Create(context.WithoutCancel(ctx), "Contact", recs)
	}
	usage := cl.Usage().Org
	outs = outs[:0]
	var confirmed []int
	released = released[:0]
	stop := ""
	var fatal error
	for k, i := range send {
		a := &actions[i]
		var r sfbulk.RecordResult
		if k < len(results) {
			r = results[k]
		} else {
			// It went out in the call: it may exist (unknown, its
			// reservation held) unless the call's error says otherwise.
			r = missingResult(callErr, method, path, len(results), len(send))
		}
		oc := Outcome{AttemptedAt: at, UsageUsed: usage.Used, UsageMax: usage.Max}
		js := state.Outcome{Seq: a.Seq}
		switch {
		case r.Success:
			oc.Status, a.TargetID = StatusDone, r.ID
			js.State, js.TargetID = state.Done, r.ID
			confirmed = append(confirmed, a.Seq)
		case r.Sent == sfbulk.Answered && len(r.Errors) > 0 && r.Errors[0].StatusCode == "DUPLICATES_DETECTED":
			// The org's duplicate rules refused it: the same outcome as
			// a duplicate found by name, with the matched record. No
			// allowSave is ever sent on the admin's behalf.
			oc.Status, oc.ErrorCode, oc.ErrorMessage = StatusSkipped, r.Errors[0].StatusCode, r.Errors[0].Message
			a.Reason, a.Detail = ReasonPossibleDup, "the org's duplicate rule matched an existing record"
			if d := r.Errors[0].Duplicate; d != nil {
				if ids := d.MatchIDs(); len(ids) > 0 {
					a.TargetID = ids[0]
				}
			}
			js.State, js.ErrorCode, js.ErrorMessage, js.Reason = state.Failed, oc.ErrorCode, oc.ErrorMessage, ReasonPossibleDup
			released = append(released, a.Seq)
		case r.Sent == sfbulk.Answered && len(r.Errors) > 0:
			oc.Status, oc.ErrorCode, oc.ErrorMessage = StatusFailed, r.Errors[0].StatusCode, r.Errors[0].Message
			js.State, js.ErrorCode, js.ErrorMessage = state.Failed, oc.ErrorCode, oc.ErrorMessage
			released = append(released, a.Seq)
		case r.Sent == sfbulk.MaybeSent:
			// It may exist: the reservation stays until the next run
			// reads the Contact back by its external id field's value.
			oc.Status, oc.ErrorCode = StatusUnknown, errorCode(r.Err())
			oc.ErrorMessage = unknownMessage(r, "the next run looks the Contact up by its external id field before sending again")
			js.State, js.ErrorCode, js.ErrorMessage = state.Unknown, oc.ErrorCode, oc.ErrorMessage
			fatal = errors.Join(fatal, r.Err())
		default:
			err := r.Err()
			released = append(released, a.Seq)
			if reason, detail := ownerRefusal(err); reason != "" {
				stop = reason
				a.Reason, a.Detail = reason, detail
				oc.Status, oc.ErrorCode = StatusSkipped, errorCode(err)
				js.State, js.ErrorCode, js.Reason = state.Failed, oc.ErrorCode, reason
			} else {
				oc.Status, oc.ErrorCode, oc.ErrorMessage = StatusFailed, errorCode(err), errorMessage(err)
				js.State, js.ErrorCode, js.ErrorMessage = state.Failed, oc.ErrorCode, oc.ErrorMessage
				if r.RequestErr != nil {
					fatal = errors.Join(fatal, r.RequestErr)
				}
			}
		}
		outcomes[i] = oc
		outs = append(outs, js)
	}
	if err := j.Record(journalCtx(ctx), o.RunID, outs); err != nil {
		return "", &stopError{fmt.Errorf("journal: %w", err)}
	}
	if err := ledger.SettleContacts(journalCtx(ctx), o.RunID, confirmed, released); err != nil {
		return "", &stopError{fmt.Errorf("quota ledger: %w", err)}
	}
	if fatal != nil && stop == "" {
		return "", &stopError{fmt.Errorf("create Contact: %w", fatal)}
	}
	return stop, nil
}

type dupHit struct {
	id       string
	sameLead bool // the Contact carries the value this lead's create writes into the external id field: created by an earlier run
}

// findDuplicates looks up Contacts on the chunk's Accounts with the same
// last name, then compares first and last names folded. A same-name
// Contact holding, in extField, the value the action writes there (the
// lead id, or what the writeback mapping fills it from) is this lead's.
func findDuplicates(ctx context.Context, reader RecordReader, actions []Action, chunk []int, extField string) (map[int]dupHit, error) {
	accounts, lasts := map[string]bool{}, map[string]bool{}
	for _, i := range chunk {
		accounts[actions[i].Fields["AccountId"]] = true
		lasts[actions[i].Fields["LastName"]] = true
	}
	fields := []string{"Id", "AccountId", "FirstName", "LastName"}
	if extField != "" {
		fields = append(fields, extField)
	}
	type key struct{ account, first, last string }
	found := map[key][]sfbulk.Record{}
	accList, lastList := sortedKeys(accounts), sortedKeys(lasts)
	// One query for a whole chunk (200 Accounts and 200 last names fit
	// well inside the REST URI limit); more only for larger lists.
	const per = sfbulk.MaxCollection
	for a := 0; a < len(accList); a += per {
		for l := 0; l < len(lastList); l += per {
			soql, err := sfbulk.Select(fields...).From("Contact").Where(
				sfbulk.InStrings("AccountId", accList[a:min(a+per, len(accList))]),
				sfbulk.InStrings("LastName", lastList[l:min(l+per, len(lastList))])).Build()
			if err != nil {
				return nil, err
			}
			recs, err := reader.QueryRecords(ctx, soql)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				k := key{fieldString(r["AccountId"]), foldName(fieldString(r["FirstName"])), foldName(fieldString(r["LastName"]))}
				found[k] = append(found[k], r)
			}
		}
	}
	out := map[int]dupHit{}
	for _, i := range chunk {
		a := &actions[i]
		rs := found[key{a.Fields["AccountId"], foldName(a.Fields["FirstName"]), foldName(a.Fields["LastName"])}]
		for _, r := range rs {
			h := dupHit{id: fieldString(r["Id"])}
			if v := strings.TrimSpace(fieldValue(a.Fields, extField)); extField != "" && v != "" &&
				strings.TrimSpace(fieldString(lookupField(r, extField))) == v {
				h.sameLead = true
			}
			if prev, ok := out[i]; !ok || h.sameLead && !prev.sameLead {
				out[i] = h
			}
		}
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// createRoles adds the OpportunityContactRole of each contact of idx that
// was created, and the roles of retries (their Contacts created by earlier
// runs), with the owner's client.
func createRoles(ctx context.Context, cl ContactWriter, j Journal, actions []Action, outcomes []Outcome, idx, retries []int, o ContactOptions) error {
	var send []int
	for _, ci := range idx {
		if outcomes[ci].Status != StatusDone {
			continue
		}
		if i, ok := o.roleOf[actions[ci].LeadID]; ok && !actions[i].Skip {
			actions[i].Fields["ContactId"] = actions[ci].TargetID
			send = append(send, i)
		}
	}
	send = append(send, retries...)
	for start := 0; start < len(send); start += sfbulk.MaxCollection {
		chunk := send[start:min(start+sfbulk.MaxCollection, len(send))]
		at := o.Now()
		if err := j.MarkSent(journalCtx(ctx), o.RunID, seqsOf(actions, chunk), "", at); err != nil {
			return &stopError{fmt.Errorf("journal: %w", err)}
		}
		recs := make([]sfbulk.Record, len(chunk))
		for k, i := range chunk {
			recs[k] = sfbulk.Record{"ContactId": actions[i].Fields["ContactId"], "OpportunityId": actions[i].Fields["OpportunityId"],
				"Role": actions[i].Fields["Role"]}
		}
		results, callErr := cl.Create(context.WithoutCancel(ctx), "OpportunityContactRole", recs)
		usage := cl.Usage().Org
		outs := make([]state.Outcome, 0, len(chunk))
		var fatal error
		for k, i := range chunk {
			var r sfbulk.RecordResult
			if k < len(results) {
				r = results[k]
			} else {
				r = missingResult(callErr, "POST", "/composite/sobjects", len(results), len(chunk))
			}
			oc := Outcome{AttemptedAt: at, UsageUsed: usage.Used, UsageMax: usage.Max}
			js := state.Outcome{Seq: actions[i].Seq}
			switch {
			case r.Success:
				oc.Status, actions[i].TargetID = StatusDone, r.ID
				js.State, js.TargetID = state.Done, r.ID
			case r.Sent == sfbulk.MaybeSent:
				// It may exist: the next run reads it back by its Contact
				// and Opportunity.
				oc.Status, oc.ErrorCode = StatusUnknown, errorCode(r.Err())
				oc.ErrorMessage = unknownMessage(r, "the next run looks the role up by its Contact and Opportunity before sending again")
				js.State, js.ErrorCode, js.ErrorMessage = state.Unknown, oc.ErrorCode, oc.ErrorMessage
				fatal = errors.Join(fatal, r.Err())
			default:
				oc.Status, oc.ErrorCode, oc.ErrorMessage = StatusFailed, errorCode(r.Err()), errorMessage(r.Err())
				js.State, js.ErrorCode, js.ErrorMessage = state.Failed, oc.ErrorCode, oc.ErrorMessage
				if r.RequestErr != nil {
					if reason, _ := ownerRefusal(r.RequestErr); reason == "" {
						fatal = errors.Join(fatal, r.RequestErr)
					}
				}
			}
			outcomes[i] = oc
			outs = append(outs, js)
		}
		if err := j.Record(journalCtx(ctx), o.RunID, outs); err != nil {
			return &stopError{fmt.Errorf("journal: %w", err)}
		}
		if fatal != nil {
			return &stopError{fmt.Errorf("create OpportunityContactRole: %w", fatal)}
		}
	}
	return nil
}
