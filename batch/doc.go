// Package batch is the navsync job: configuration, the stages extract →
// match → plan → apply → report, the state store (action journal and quota
// ledger), scheduling and progress.
//
// Built so far: the extract stage. Extract describes Contact, Lead,
// Account, Opportunity and User, refuses an org that lacks a field the
// snapshot needs (ErrMissingField), and pulls the org snapshot through Bulk
// API 2.0 query jobs into <work dir>/crm/<Object>.csv, the files
// batch/input.ReadSnapshot and `navsync match --crm` read, and deletes its
// query jobs. It needs only the methods of BulkQuerier, which
// *sfbulk.Client has.
package batch
