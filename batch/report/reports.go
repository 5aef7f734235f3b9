package report

import (
	"context"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/matcher"
)

// Report file names.
const (
	MatchesFile  = "matches.parquet"
	AccountsFile = "accounts.parquet"
	RejectsFile  = "rejects.parquet"
)

// fieldIndex finds a named field score, trying position k first (the
// matcher keeps report order), -1 when absent.
func fieldIndex(fs []matcher.FieldScore, k int, name string) int {
	if k < len(fs) && fs[k].Field == name {
		return k
	}
	for i := range fs {
		if fs[i].Field == name {
			return i
		}
	}
	return -1
}

// MatchColumns are the columns of matches.parquet, one row per Sales
// Navigator lead. Values that do not exist are null: crm_object, crm_id,
// probability, match_weight and the per-field columns when the lead had no
// candidate; the runner-up columns when there was none; account columns
// when no Account matched; reason for a plain match.
func MatchColumns(runID string) []Column[matcher.LeadResult] {
	type R = matcher.LeadResult
	hasCandidate := func(r *R) bool { return r.CRMID != "" }
	cols := []Column[R]{
		String("run_id", func(*R) string { return runID }),
		String("lead_id", func(r *R) string { return r.LeadID }).Plain(),
		String("decision", func(r *R) string { return string(r.Decision) }),
		OptString("crm_object", func(r *R) string { return r.CRMObject }),
		OptString("crm_id", func(r *R) string { return r.CRMID }).Plain(),
		OptFloat64("probability", func(r *R) (float64, bool) { return r.Probability, hasCandidate(r) }),
		OptFloat64("match_weight", func(r *R) (float64, bool) { return r.MatchWeight, hasCandidate(r) }),
		OptString("runner_up_id", func(r *R) string { return r.RunnerUpID }).Plain(),
		OptFloat64("runner_up_probability", func(r *R) (float64, bool) { return r.RunnerUpProbability, r.RunnerUpID != "" }),
	}
	cols = append(cols, fieldColumns(matcher.LeadFields, func(r *R) []matcher.FieldScore { return r.Fields })...)
	return append(cols,
		StringList("blocking_keys", func(r *R) []string { return r.BlockingKeys }),
		Bool("job_change", func(r *R) bool { return r.JobChange }),
		Bool("converted", func(r *R) bool { return r.Converted }),
		OptString("converted_contact_id", func(r *R) string { return r.ConvertedContactID }).Plain(),
		OptString("account_id", func(r *R) string { return r.AccountID }).Plain(),
		OptFloat64("account_probability", func(r *R) (float64, bool) { return r.AccountProbability, r.AccountID != "" }),
		OptString("reason", func(r *R) string { return r.Reason }),
	)
}

// AccountColumns are the columns of accounts.parquet, one row per Sales
// Navigator account, with the same null rules as MatchColumns.
func AccountColumns(runID string) []Column[matcher.CompanyResult] {
	type R = matcher.CompanyResult
	hasCandidate := func(r *R) bool { return r.CRMAccountID != "" }
	cols := []Column[R]{
		String("run_id", func(*R) string { return runID }),
		String("account_id", func(r *R) string { return r.AccountID }).Plain(),
		String("decision", func(r *R) string { return string(r.Decision) }),
		OptString("crm_account_id", func(r *R) string { return r.CRMAccountID }).Plain(),
		OptFloat64("probability", func(r *R) (float64, bool) { return r.Probability, hasCandidate(r) }),
		OptFloat64("match_weight", func(r *R) (float64, bool) { return r.MatchWeight, hasCandidate(r) }),
		OptString("runner_up_id", func(r *R) string { return r.RunnerUpID }).Plain(),
		OptFloat64("runner_up_probability", func(r *R) (float64, bool) { return r.RunnerUpProbability, r.RunnerUpID != "" }),
	}
	cols = append(cols, fieldColumns(matcher.CompanyFields, func(r *R) []matcher.FieldScore { return r.Fields })...)
	return append(cols,
		StringList("blocking_keys", func(r *R) []string { return r.BlockingKeys }),
		OptString("reason", func(r *R) string { return r.Reason }),
	)
}

// RejectColumns are the columns of rejects.parquet, one row per input row
// left out: where it was (file as given, line), the lead_id when readable,
// the reason code, a human detail, and the raw record (valid UTF-8, at
// most input.MaxRawBytes).
func RejectColumns(runID string) []Column[input.Reject] {
	type R = input.Reject
	return []Column[R]{
		String("run_id", func(*R) string { return runID }),
		String("file", func(r *R) string { return r.File }),
		Int64("line", func(r *R) int64 { return int64(r.Line) }),
		OptString("lead_id", func(r *R) string { return r.LeadID }).Plain(),
		String("reason", func(r *R) string { return r.Reason }),
		OptString("detail", func(r *R) string { return r.Detail }),
		String("raw", func(r *R) string { return r.Raw }).Plain(),
	}
}

func meta(runID, report string) map[string]string {
	return map[string]string{"navsync.run_id": runID, "navsync.report": report, "navsync.schema_version": "1"}
}

// WriteMatches writes matches.parquet.
func WriteMatches(ctx context.Context, path, runID string, rows []matcher.LeadResult) error {
	return commit(PrepareMatches(ctx, path, runID, rows))
}

// WriteAccounts writes accounts.parquet.
func WriteAccounts(ctx context.Context, path, runID string, rows []matcher.CompanyResult) error {
	return commit(PrepareAccounts(ctx, path, runID, rows))
}

// WriteRejects writes rejects.parquet.
func WriteRejects(ctx context.Context, path, runID string, rows []input.Reject) error {
	return commit(PrepareRejects(ctx, path, runID, rows))
}

func commit(p Pending, err error) error {
	if err != nil {
		return err
	}
	return p.Commit()
}

// PrepareMatches writes matches.parquet under its temporary name.
func PrepareMatches(ctx context.Context, path, runID string, rows []matcher.LeadResult) (Pending, error) {
	return Prepare(ctx, path, MatchColumns(runID), rows, Options{Metadata: meta(runID, "matches")})
}

// PrepareAccounts writes accounts.parquet under its temporary name.
func PrepareAccounts(ctx context.Context, path, runID string, rows []matcher.CompanyResult) (Pending, error) {
	return Prepare(ctx, path, AccountColumns(runID), rows, Options{Metadata: meta(runID, "accounts")})
}

// PrepareRejects writes rejects.parquet under its temporary name.
func PrepareRejects(ctx context.Context, path, runID string, rows []input.Reject) (Pending, error) {
	return Prepare(ctx, path, RejectColumns(runID), rows, Options{Metadata: meta(runID, "rejects")})
}

// fieldColumns are the <field>_level and <field>_weight columns of an
// explanation, one pair per name in report order; a field the result does
// not carry is null.
func fieldColumns[R any](names []string, fields func(*R) []matcher.FieldScore) []Column[R] {
	cols := make([]Column[R], 0, 2*len(names))
	for k, name := range names {
		cols = append(cols,
			OptString(name+"_level", func(r *R) string {
				f := fields(r)
				if i := fieldIndex(f, k, name); i >= 0 {
					return f[i].Level
				}
				return ""
			}),
			OptFloat64(name+"_weight", func(r *R) (float64, bool) {
				f := fields(r)
				if i := fieldIndex(f, k, name); i >= 0 {
					return f[i].Weight, true
				}
				return 0, false
			}))
	}
	return cols
}
