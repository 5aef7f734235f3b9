// Package input reads a matching run's files: Sales Navigator lead and
// account exports (RFC 4180 CSV with any column order, or Parquet with the
// same column names) and the org snapshot (one Bulk 2.0 CSV per object:
// Contact, Lead, Account, and optionally User and Opportunity). Files are
// streamed, repeated strings interned, and a row that cannot be used (wrong
// column count, invalid UTF-8, broken quoting, empty or duplicate id) becomes
// a Reject with its file and physical line while the run goes on (a value
// of the wrong type in an optional column is left out of a row that is
// kept, and reported as a Reject of reason invalid_value); a file
// that cannot be used at all (missing, no header, missing required column)
// is an error wrapping ErrSchema, so the caller stops before writing
// anything. The org snapshot's objects, files and columns are the contract
// of package internal/snapshot.
package input
