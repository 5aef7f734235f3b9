// Package state is navsync's state store: one SQLite file (through the
// pure-Go modernc.org/sqlite, which no other package imports) holding the
// run history, the action journal, the quota ledger of contact creation and
// the lock that lets one run at a time use the store. The schema is
// versioned (PRAGMA user_version) and an older store is upgraded in place
// when opened (schema.go).
//
// The journal is what makes a run safe to kill: every write the plan
// intends is an Action, journalled as sent (MarkSent) and committed to disk
// before the call that carries it, and its outcome recorded (Record) after;
// a rerun finds the actions a killed run left sent or unknown, has them
// reconciled before anything is sent again, and so neither writes twice nor
// loses an action (the state machine is documented at Planned).
//
// The quota ledger (quota.go) keeps, per Salesforce user, the Contacts
// created on the user's behalf per calendar month and the API calls made
// with the user's token per day, the month and day taken in the org's time
// zone (MonthDay). A create is reserved before its call and settled after
// it, in this order around the journal:
//
//	ReserveContacts   grants a prefix of the creates within the month's limit (the rest: quota_exceeded)
//	MarkSent          the granted ones only
//	(the call)        AddAPICalls for every call made with the user's token
//	Record
//	SettleContacts    done: confirmed; failed, not applied: released; unknown: neither, still held
//
// The limit is checked against created plus held reservations inside the
// transaction that reserves, so runs reserving at once never pass it
// together, and a held reservation counts until it is settled, so a run
// killed after reserving cannot let a later run pass the limit. The run
// that reconciles a killed run settles its reservations once its actions'
// outcomes are known (OpenReservations lists them; SettleFromJournal
// settles them from the journal's states).
//
// The reviews (reviews.go, schema version 3) are the verdicts a person gave
// on report.html, one per lead and CRM record: same_person or
// different_people. ImportReviews stores a reviews file's verdicts
// idempotently (the same file imported by every run changes nothing; a
// newer verdict on a pair replaces an older one), and every run reads them
// all back to settle its pairs.
package state
