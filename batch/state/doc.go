// Package state is navsync's state store: one SQLite file (through the
// pure-Go modernc.org/sqlite, which no other package imports) holding the
// run history, the action journal and the lock that lets one run at a time
// use the store. The journal is what makes a run safe to kill: every write
// the plan intends is an Action, journalled as sent (MarkSent) and committed
// to disk before the call that carries it, and its outcome recorded (Record)
// after; a rerun finds the actions a killed run left sent or unknown, has
// them reconciled before anything is sent again, and so neither writes twice
// nor loses an action (the state machine is documented at Planned). The
// store is also where the quota ledger of contact creation will live (see
// migrations in schema.go).
package state
