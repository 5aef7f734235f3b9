package batch

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
)

// RecordReader is what reconciliation needs of a Salesforce client: read
// records back, the results of an ingest job a killed run journalled, and
// the deletion of that job once the outcomes are journalled.
type RecordReader interface {
	QueryRecords(ctx context.Context, soql string) ([]sfbulk.Record, error)
	IngestJobResults(ctx context.Context, jobID, keyField string) (*sfbulk.IngestJobReport, error)
	ingestJobDeleter
}

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	// ExtField is the Contact field created Contacts are upserted on
	// (contacts.external_id_field): the Contacts of create_contact actions
	// are found by the value each action wrote into it, as journalled (the
	// lead id, or e.g. the profile URL when the writeback mapping fills it
	// from profile_url).
	ExtField string
	// KeepIngestJobs leaves the ingest jobs a killed run journalled in
	// Salesforce (deleted after 7 days); by default each is deleted once
	// the outcomes of its run's actions are journalled.
	KeepIngestJobs bool
	Log            *slog.Logger // nil: discard
	Now            func() time.Time
}

// reconcileStore is the part of the state store reconciliation uses.
type reconcileStore interface {
	IncompleteRuns(ctx context.Context) ([]state.Run, error)
	ActionsInState(ctx context.Context, runID string, states ...string) ([]state.Action, error)
	Record(ctx context.Context, runID string, outs []state.Outcome) error
	Counts(ctx context.Context, runID string) (map[string]int, error)
	EndRun(ctx context.Context, r state.Run) error
	SettleFromJournal(ctx context.Context, runID string) (confirmed, released int, err error)
}

// Reconciled reports what reconciliation found of killed runs.
type Reconciled struct {
	Runs       []string `json:"runs"`        // ids of the runs closed as interrupted
	Done       int      `json:"done"`        // sent or unknown actions found applied
	NotApplied int      `json:"not_applied"` // ... found not applied (the new run plans them again)
	Superseded int      `json:"superseded"`  // planned actions never sent (the new run plans them again)
}

// Reconcile settles what runs killed mid-apply left open, before a new run
// plans anything: an action journalled as sent (or unknown) may have
// reached Salesforce, so its records are read back (after waiting for the
// ingest job journalled with it: the last job of its call that carried its
// record, the only one that can still write it) and it is marked done when
// the record holds every value it carried, not_applied otherwise. Planned
// actions never sent are superseded: the new run, planning from a fresh
// snapshot, plans them again. Nothing is written to Salesforce here; the
// ingest jobs waited for are deleted once the run's outcomes are journalled
// (unless opts.KeepIngestJobs).
func Reconcile(ctx context.Context, r RecordReader, st reconcileStore, opts ReconcileOptions) (Reconciled, error) {
	log, now := opts.Log, opts.Now
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	var out Reconciled
	runs, err := st.IncompleteRuns(ctx)
	if err != nil {
		return out, fmt.Errorf("reconcile: %w", err)
	}
	for _, run := range runs {
		open, err := st.ActionsInState(ctx, run.ID, state.Sent, state.Unknown)
		if err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		contacts, err := runContacts(ctx, st, run.ID, open)
		if err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		applied, err := whichApplied(ctx, r, open, opts.ExtField, contacts)
		if err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		outs := make([]state.Outcome, 0, len(open))
		for _, a := range open {
			o := state.Outcome{Seq: a.Seq, State: state.NotApplied, ErrorMessage: "reconciled: the record does not hold the values"}
			if id, ok := applied[a.Seq]; ok {
				o = state.Outcome{Seq: a.Seq, State: state.Done, TargetID: id, ErrorMessage: "reconciled: the record holds the values"}
				out.Done++
			} else {
				out.NotApplied++
			}
			outs = append(outs, o)
		}
		planned, err := st.ActionsInState(ctx, run.ID, state.Planned)
		if err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		for _, a := range planned {
			outs = append(outs, state.Outcome{Seq: a.Seq, State: state.Superseded})
		}
		out.Superseded += len(planned)
		if err := st.Record(ctx, run.ID, outs); err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		if !opts.KeepIngestJobs {
			// Every job journalled with an open action has ended (whichApplied
			// waited for it) and its actions' outcomes are on disk now.
			var jobs []string
			for _, a := range open {
				if a.JobID != "" && !slices.Contains(jobs, a.JobID) {
					jobs = append(jobs, a.JobID)
				}
			}
			deleteIngestJobs(ctx, r, jobs, log)
		}
		// Quota reservations of the killed run: confirmed for the contacts
		// found, released for the rest.
		if _, _, err := st.SettleFromJournal(ctx, run.ID); err != nil {
			return out, fmt.Errorf("reconcile run %s: quota: %w", run.ID, err)
		}
		counts, err := st.Counts(ctx, run.ID)
		if err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		run.Ended = now()
		run.Status = "interrupted"
		run.Writes = counts[state.Done]
		run.Failed = counts[state.Failed]
		// A run that ended incomplete keeps the error that stopped it.
		if run.Error == "" {
			run.Error = "the process stopped during the run; reconciled by the next run"
		} else {
			run.Error += " (reconciled by the next run)"
		}
		if err := st.EndRun(ctx, run); err != nil {
			return out, fmt.Errorf("reconcile run %s: %w", run.ID, err)
		}
		out.Runs = append(out.Runs, run.ID)
		log.Info("killed run reconciled", "run_id", run.ID, "applied", out.Done, "not_applied", out.NotApplied, "superseded", len(planned))
	}
	return out, nil
}

// runContacts maps lead ids to the Contacts run runID created (its done
// create_contact actions), when an open contact role needs its Contact:
// the journal plans a role before its Contact exists, so the role's own
// fields do not name it.
func runContacts(ctx context.Context, st reconcileStore, runID string, open []state.Action) (map[string]string, error) {
	if !slices.ContainsFunc(open, func(a state.Action) bool { return a.Kind == KindCreateContactRole && a.Fields["ContactId"] == "" }) {
		return nil, nil
	}
	done, err := st.ActionsInState(ctx, runID, state.Done)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, a := range done {
		if a.Kind == KindCreateContact && a.TargetID != "" {
			m[a.LeadID] = a.TargetID
		}
	}
	return m, nil
}

// whichApplied returns, by Seq, the open actions that were applied, with
// the record they wrote: a writeback whose record holds its values, a
// Contact found by the value it wrote into extField, a contact role found
// by its Contact (contacts: the run's created Contacts by lead id, see
// runContacts) and Opportunity.
func whichApplied(ctx context.Context, r RecordReader, open []state.Action, extField string, contacts map[string]string) (map[int]string, error) {
	applied := map[int]string{}
	// Ingest jobs first: wait for each job to end (an Open job is aborted:
	// its upload never completed, so it applied nothing), so that no job
	// is still writing while the records are read.
	jobs := map[string]bool{}
	for _, a := range open {
		if a.JobID != "" && !jobs[a.JobID] {
			jobs[a.JobID] = true
			if _, err := r.IngestJobResults(ctx, a.JobID, ""); err != nil {
				return nil, fmt.Errorf("ingest job %s: %w", a.JobID, err)
			}
		}
	}
	byObject := map[string][]state.Action{}
	var creates, roles []state.Action
	for _, a := range open {
		switch {
		case a.Kind == KindCreateContact:
			creates = append(creates, a)
		case a.Kind == KindCreateContactRole:
			roles = append(roles, a)
		case a.TargetID == "" || len(a.Fields) == 0:
		default:
			byObject[a.Object] = append(byObject[a.Object], a)
		}
	}
	if err := createdContacts(ctx, r, creates, extField, applied); err != nil {
		return nil, err
	}
	if contacts == nil {
		contacts = map[string]string{}
	}
	for _, a := range creates {
		if id, ok := applied[a.Seq]; ok {
			contacts[a.LeadID] = id
		}
	}
	if err := createdRoles(ctx, r, roles, contacts, applied); err != nil {
		return nil, err
	}
	for object, acts := range byObject {
		fieldSet := map[string]bool{}
		for _, a := range acts {
			for f := range a.Fields {
				fieldSet[f] = true
			}
		}
		fields := []string{"Id"}
		for f := range fieldSet {
			fields = append(fields, f)
		}
		slices.Sort(fields[1:])
		const chunk = 150 // ids per query: well under the REST URI limit
		for start := 0; start < len(acts); start += chunk {
			part := acts[start:min(start+chunk, len(acts))]
			ids := make([]string, len(part))
			for i, a := range part {
				ids[i] = a.TargetID
			}
			soql, err := sfbulk.Select(fields...).From(object).Where(sfbulk.InStrings("Id", ids)).Build()
			if err != nil {
				return nil, err
			}
			recs, err := r.QueryRecords(ctx, soql)
			if err != nil {
				return nil, fmt.Errorf("read back %s: %w", object, err)
			}
			byID := make(map[string]sfbulk.Record, len(recs))
			for _, rec := range recs {
				byID[fieldString(rec["Id"])] = rec
			}
			for _, a := range part {
				rec := byID[a.TargetID]
				if rec == nil {
					continue
				}
				ok := true
				for f, v := range a.Fields {
					ok = ok && strings.TrimSpace(fieldString(lookupField(rec, f))) == v
				}
				if ok {
					applied[a.Seq] = a.TargetID
				}
			}
		}
	}
	return applied, nil
}

// lookupField finds a field case-insensitively (Salesforce answers with the
// field's canonical case).
func lookupField(rec sfbulk.Record, f string) any {
	if v, ok := rec[f]; ok {
		return v
	}
	for k, v := range rec {
		if strings.EqualFold(k, f) {
			return v
		}
	}
	return nil
}

func fieldString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// fieldValue is fields[name], the name compared case-insensitively (API
// names ignore case; the config may spell a field otherwise than the
// writeback mapping that filled it).
func fieldValue(fields map[string]string, name string) string {
	if v, ok := fields[name]; ok {
		return v
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// maxLookupSOQL bounds the SOQL of a look-up by values (encoded as a query
// parameter), under sfbulk's REST URI limit of 14,000 bytes: profile URLs
// are long, 150 of them would not fit.
const maxLookupSOQL = 12000

// createdContacts finds the Contacts of open create_contact actions by the
// value each wrote into extField (journalled in its fields: the lead id,
// or what the writeback mapping fills that field from). An action that
// wrote no value there cannot be found by it.
func createdContacts(ctx context.Context, r RecordReader, acts []state.Action, extField string, applied map[int]string) error {
	if len(acts) == 0 {
		return nil
	}
	if extField == "" {
		return fmt.Errorf("contacts to reconcile but no lead id field configured")
	}
	var part []state.Action
	var values []string
	size := 0
	flush := func() error {
		if len(part) == 0 {
			return nil
		}
		soql, err := sfbulk.Select("Id", extField).From("Contact").Where(sfbulk.InStrings(extField, values)).Build()
		if err != nil {
			return err
		}
		recs, err := r.QueryRecords(ctx, soql)
		if err != nil {
			return fmt.Errorf("read back Contacts: %w", err)
		}
		byValue := map[string]string{}
		for _, rec := range recs {
			byValue[strings.TrimSpace(fieldString(lookupField(rec, extField)))] = fieldString(rec["Id"])
		}
		for _, a := range part {
			if id, ok := byValue[strings.TrimSpace(fieldValue(a.Fields, extField))]; ok {
				applied[a.Seq] = id
			}
		}
		part, values, size = part[:0], values[:0], 0
		return nil
	}
	const chunk = 150
	for _, a := range acts {
		v := strings.TrimSpace(fieldValue(a.Fields, extField))
		if v == "" {
			continue
		}
		// Each value takes its quotes and a separator, escaped.
		n := len(url.QueryEscape("'" + v + "', "))
		if len(part) == chunk || len(part) > 0 && size+n > maxLookupSOQL {
			if err := flush(); err != nil {
				return err
			}
		}
		part, values, size = append(part, a), append(values, v), size+n
	}
	return flush()
}

// createdRoles finds the OpportunityContactRoles of open actions by their
// Contact (in their fields, or the Contact their lead's create_contact
// created: contacts) and Opportunity. A role whose Contact was not created
// was never sent.
func createdRoles(ctx context.Context, r RecordReader, acts []state.Action, contacts map[string]string, applied map[int]string) error {
	type pair struct {
		seq  int
		c, o string
	}
	var pairs []pair
	var ids []string
	for _, a := range acts {
		c, o := cmp.Or(a.Fields["ContactId"], contacts[a.LeadID]), a.Fields["OpportunityId"]
		if c == "" || o == "" {
			continue
		}
		pairs = append(pairs, pair{a.Seq, c, o})
		ids = append(ids, id18(c))
	}
	slices.Sort(ids)
	inOrg, err := contactRoles(ctx, r, slices.Compact(ids))
	if err != nil {
		return fmt.Errorf("read back OpportunityContactRole: %w", err)
	}
	for _, p := range pairs {
		if id, ok := inOrg[id18(p.c)+"/"+id18(p.o)]; ok {
			applied[p.seq] = id
		}
	}
	return nil
}

// contactRoles looks up the OpportunityContactRoles of the Contacts ids
// (150 a query, well under the REST URI limit), by "contact/opportunity"
// (18-character ids) to the role's id.
func contactRoles(ctx context.Context, r interface {
	QueryRecords(ctx context.Context, soql string) ([]sfbulk.Record, error)
}, ids []string) (map[string]string, error) {
	inOrg := map[string]string{}
	const chunk = 150
	for start := 0; start < len(ids); start += chunk {
		soql, err := sfbulk.Select("Id", "ContactId", "OpportunityId").From("OpportunityContactRole").
			Where(sfbulk.InStrings("ContactId", ids[start:min(start+chunk, len(ids))])).Build()
		if err != nil {
			return nil, err
		}
		recs, err := r.QueryRecords(ctx, soql)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			inOrg[id18(fieldString(rec["ContactId"]))+"/"+id18(fieldString(rec["OpportunityId"]))] = fieldString(rec["Id"])
		}
	}
	return inOrg, nil
}
