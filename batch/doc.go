// Package batch is the navsync job: configuration, the stages extract →
// match → plan → apply → report, the state store (action journal and quota
// ledger), scheduling and progress.
package batch
