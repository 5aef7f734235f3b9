package batch

import (
	"context"
	"fmt"
	"log/slog"
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
	// ExtField is the Contact field holding the lead id, by which the
	// Contacts of create_contact actions are found.
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
		applied, err := whichApplied(ctx, r, open, opts.ExtField)
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

// whichApplied returns, by Seq, the open actions that were applied, with
// the record they wrote: a writeback whose record holds its values, a
// Contact found by its lead id, a contact role found by its Contact and
// Opportunity.
func whichApplied(ctx context.Context, r RecordReader, open []state.Action, extField string) (map[int]string, error) {
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
	if err := createdRoles(ctx, r, roles, extField, applied); err != nil {
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

// createdContacts finds the Contacts of open create_contact actions by
// their lead id field.
func createdContacts(ctx context.Context, r RecordReader, acts []state.Action, extField string, applied map[int]string) error {
	if len(acts) == 0 {
		return nil
	}
	if extField == "" {
		return fmt.Errorf("contacts to reconcile but no lead id field configured")
	}
	const chunk = 150
	for start := 0; start < len(acts); start += chunk {
		part := acts[start:min(start+chunk, len(acts))]
		ids := make([]string, len(part))
		for i, a := range part {
			ids[i] = a.LeadID
		}
		soql, err := sfbulk.Select("Id", extField).From("Contact").Where(sfbulk.InStrings(extField, ids)).Build()
		if err != nil {
			return err
		}
		recs, err := r.QueryRecords(ctx, soql)
		if err != nil {
			return fmt.Errorf("read back Contacts: %w", err)
		}
		byLead := map[string]string{}
		for _, rec := range recs {
			byLead[strings.TrimSpace(fieldString(lookupField(rec, extField)))] = fieldString(rec["Id"])
		}
		for _, a := range part {
			if id, ok := byLead[a.LeadID]; ok {
				applied[a.Seq] = id
			}
		}
	}
	return nil
}

// createdRoles finds the OpportunityContactRoles of open actions by their
// Contact and Opportunity.
func createdRoles(ctx context.Context, r RecordReader, acts []state.Action, extField string, applied map[int]string) error {
	for _, a := range acts {
		c, o := a.Fields["ContactId"], a.Fields["OpportunityId"]
		if c == "" && extField != "" {
			// The journal planned the role before its Contact existed:
			// find the Contact by the lead id.
			found := map[int]string{}
			if err := createdContacts(ctx, r, []state.Action{a}, extField, found); err != nil {
				return err
			}
			c = found[a.Seq]
		}
		if c == "" || o == "" {
			continue
		}
		soql, err := sfbulk.Select("Id").From("OpportunityContactRole").Where(sfbulk.Eq("ContactId", c), sfbulk.Eq("OpportunityId", o)).Build()
		if err != nil {
			return err
		}
		recs, err := r.QueryRecords(ctx, soql)
		if err != nil {
			return fmt.Errorf("read back OpportunityContactRole: %w", err)
		}
		if len(recs) > 0 {
			applied[a.Seq] = fieldString(recs[0]["Id"])
		}
	}
	return nil
}
