package state

import (
	"context"
	"database/sql"
	"fmt"
)

// applicationID marks a SQLite file as a navsync state store (PRAGMA
// application_id, "navs"), so that Open refuses another program's database.
const applicationID = 0x6e617673

// migrations[i] takes the schema from version i to version i+1; the schema
// version is the file's PRAGMA user_version. A new version is a new entry at
// the end, never an edit of an old one: stores in the field are at every
// version already released.
//
// A migration only adds: a store is upgraded in place when a newer navsync
// opens it (TestUpgradeFromVersion1), and an older navsync refuses a newer
// store.
var migrations = []string{
	// 1: run history, the action journal and the run lock.
	`
CREATE TABLE runs (
	no            INTEGER PRIMARY KEY,    -- the run's key in actions: an integer compares faster than id
	id            TEXT NOT NULL UNIQUE,
	started       INTEGER NOT NULL,       -- Unix microseconds, UTC
	ended         INTEGER,                -- NULL while running
	dry_run       INTEGER NOT NULL,
	status        TEXT NOT NULL,
	planned       INTEGER NOT NULL DEFAULT 0,
	writes        INTEGER NOT NULL DEFAULT 0,
	failed        INTEGER NOT NULL DEFAULT 0,
	config_digest TEXT NOT NULL DEFAULT '',
	report_dir    TEXT NOT NULL DEFAULT '',
	error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_status ON runs (status, dry_run, started);
CREATE INDEX runs_by_started ON runs (started);

-- The key is run << 32 | seq: the journal is written row by row by key (an
-- insert, and two updates per action), and an integer rowid is the fastest
-- key SQLite has (measured: updates about 30% cheaper than a (run, seq)
-- WITHOUT ROWID key). run and seq read back as columns. No index on state:
-- searching by state (reconciliation, once per rerun) scans one run's key
-- range, cheaper than keeping an index through every update.
CREATE TABLE actions (
	id            INTEGER PRIMARY KEY,
	run           INTEGER GENERATED ALWAYS AS (id >> 32) VIRTUAL REFERENCES runs (no),
	seq           INTEGER GENERATED ALWAYS AS (id & 4294967295) VIRTUAL,
	lead_id       TEXT NOT NULL,
	kind          TEXT NOT NULL,
	object        TEXT NOT NULL,
	target_id     TEXT NOT NULL DEFAULT '',
	on_behalf_of  TEXT NOT NULL DEFAULT '',
	fields        TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
	state         TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	error_code    TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	job_id        TEXT NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	attempted_at  INTEGER,
	updated_at    INTEGER NOT NULL
);

-- At most one row: the process that holds the store.
CREATE TABLE lock (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	token     TEXT NOT NULL,   -- random per Acquire: "still ours" means this token
	host_key  TEXT NOT NULL,   -- host name, PID namespace, boot: where pid can be checked
	run_id    TEXT NOT NULL,
	command   TEXT NOT NULL,
	host      TEXT NOT NULL,
	pid       INTEGER NOT NULL,
	since     INTEGER NOT NULL,
	heartbeat INTEGER NOT NULL
);
`,
	// 2: the quota ledger of contact creation (quota.go). Month and day
	// keys are "2026-12" and "2026-12-03" in the org's time zone.
	`
-- Contacts created per user and month: confirmed reservations, and
-- AddContactsCreated.
CREATE TABLE contacts_created (
	month   TEXT NOT NULL,
	user_id TEXT NOT NULL,     -- the Salesforce User the contacts were created on behalf of
	created INTEGER NOT NULL CHECK (created >= 0),
	PRIMARY KEY (month, user_id)
) WITHOUT ROWID;

-- One row per create_contact action that reserved quota: held until
-- settled (confirmed or released). Held rows count against the limit.
-- Settled rows stay (a confirmed action is never reserved again) until
-- PruneActions removes them with their run's journal.
CREATE TABLE contact_reservations (
	run         INTEGER NOT NULL REFERENCES runs (no),
	seq         INTEGER NOT NULL,
	user_id     TEXT NOT NULL,
	month       TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('held', 'confirmed', 'released')),
	reserved_at INTEGER NOT NULL,  -- Unix microseconds, UTC
	settled_at  INTEGER,
	PRIMARY KEY (run, seq)
) WITHOUT ROWID;
CREATE INDEX contact_reservations_held ON contact_reservations (month, user_id) WHERE state = 'held';

-- API calls made with each user's token, per day.
CREATE TABLE api_calls (
	day     TEXT NOT NULL,
	user_id TEXT NOT NULL,
	calls   INTEGER NOT NULL CHECK (calls >= 0),
	PRIMARY KEY (day, user_id)
) WITHOUT ROWID;
`,
	// 3: reviewed pairs (reviews.go): the verdicts an admin gave on the
	// review page, honoured by every later run.
	`
CREATE TABLE reviews (
	lead_id     TEXT NOT NULL,         -- Sales Navigator lead id
	crm_id      TEXT NOT NULL,         -- Contact or Lead id, 18 characters
	verdict     TEXT NOT NULL CHECK (verdict IN ('same_person', 'different_people')),
	reviewer    TEXT NOT NULL DEFAULT '',
	reviewed_at INTEGER,               -- Unix microseconds, UTC; NULL when the file gave none
	imported_at INTEGER NOT NULL,      -- when this verdict was first stored
	run_id      TEXT NOT NULL DEFAULT '', -- the run that imported it
	source      TEXT NOT NULL DEFAULT '', -- file:line it came from
	PRIMARY KEY (lead_id, crm_id)
) WITHOUT ROWID;
`,
}

// schemaVersion is the schema version this binary writes and understands.
var schemaVersion = len(migrations)

// migrate brings the file to schemaVersion, each step in its own
// transaction (so that two processes opening a new file at once do not both
// create it), or refuses a file this binary cannot use. A file already at
// schemaVersion is only read: opening a store never waits for another
// process's write transaction.
func (s *Store) migrate(ctx context.Context) error {
	if done, err := checkVersion(ctx, s.db); err != nil || done {
		return err
	}
	for {
		var done bool
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var version int
			var err error
			if done, err = checkVersion(ctx, tx); err != nil || done {
				return err
			}
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
				return fmt.Errorf("migrating the schema from version %d to %d: %w", version, version+1, err)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID))
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// checkVersion reports whether the file is a navsync state store at
// schemaVersion (true), one to migrate, or new (false), and refuses anything
// else.
func checkVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	// One statement, so one snapshot: read outside a transaction, three
	// statements could see another process's migration half way.
	var version, appID, objects int
	if err := q.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version),
		(SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_schema)`).
		Scan(&version, &appID, &objects); err != nil {
		return false, describeOpenErr(err)
	}
	switch {
	case appID != 0 && appID != applicationID,
		appID == 0 && (version != 0 || objects != 0):
		return false, fmt.Errorf("not a navsync state store (a SQLite database of another program: application_id %#x, user_version %d, %d schema objects)", appID, version, objects)
	case version > schemaVersion:
		return false, fmt.Errorf("schema version %d is newer than this navsync knows (%d): the store was written by a newer navsync; run that version, or point the config's state store at another file", version, schemaVersion)
	}
	return version == schemaVersion, nil
}
