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
// Planned next: version 2, the quota ledger (DESIGN.md "Actions": contacts
// created per user per calendar month and API calls per user per day,
// reserved in the same transaction as the action's MarkSent and confirmed or
// released by its Record, so that a killed run neither loses nor double
// counts a reservation). It is a migration here and its methods in a
// quota.go beside journal.go.
var migrations = []string{
	// 1: run history, the action journal and the run lock.
	`
CREATE TABLE runs (
	id            TEXT PRIMARY KEY,
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

CREATE TABLE actions (
	run_id        TEXT NOT NULL REFERENCES runs (id),
	seq           INTEGER NOT NULL,
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
	updated_at    INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX actions_by_state ON actions (run_id, state, seq);

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
}

// schemaVersion is the schema version this binary writes and understands.
var schemaVersion = len(migrations)

// migrate brings the file to schemaVersion, each step in its own
// transaction (so that two processes opening a new file at once do not both
// create it), or refuses a file this binary cannot use.
func (s *Store) migrate(ctx context.Context) error {
	for {
		done := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var version, appID, objects int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
				return describeOpenErr(err)
			}
			if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects); err != nil {
				return err
			}
			switch {
			case appID != 0 && appID != applicationID,
				appID == 0 && (version != 0 || objects != 0):
				return fmt.Errorf("not a navsync state store (a SQLite database of another program: application_id %#x, user_version %d, %d schema objects)", appID, version, objects)
			case version > schemaVersion:
				return fmt.Errorf("schema version %d is newer than this navsync knows (%d): the store was written by a newer navsync; run that version, or point the config's state store at another file", version, schemaVersion)
			case version == schemaVersion:
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
				return fmt.Errorf("migrating the schema from version %d to %d: %w", version, version+1, err)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID))
			return err
		})
		if err != nil || done {
			return err
		}
	}
}
