package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a statement waits for another connection or
// process to finish its write transaction before it fails with SQLITE_BUSY.
// Write transactions here are short (the longest, AddActions of a 200,000
// action plan, takes about 2 s on a 2-core machine), so 10 s is a wide
// margin.
const BusyTimeout = 10 * time.Second

// maxOpenConns bounds the connection pool. WAL lets readers run beside the
// one writer, and a Store's writers take turns (Store.writing), so more
// connections would only add memory.
const maxOpenConns = 4

// Store is navsync's state store: run history, the action journal and the
// run lock, in one SQLite file. It is safe for concurrent use by several
// goroutines, and several processes may open the same file.
type Store struct {
	db   *sql.DB
	path string

	now     func() time.Time // the clock; tests replace it
	hostKey string           // localHostKey(); tests replace it to play another host

	// writing is held by the one writer of this Store at a time. SQLite lets
	// one connection write at a time, and its busy handler polls with a
	// backoff: it serves waiters in no order, and a writer can starve behind
	// others writing in a loop. Waiters on a channel are served first come,
	// first served, so a Store's writers (the heartbeat too) take turns and
	// only one of them at a time waits in SQLite, for other processes.
	writing chan struct{}

	mu    sync.Mutex
	locks map[*Lock]struct{} // live locks taken through this Store, released by Close
}

// Open opens the state store at path, creating it (mode 0600, with its
// parent folders, mode 0700) when it does not exist, and creates or
// migrates its schema. A store written by a newer navsync, whose schema this
// binary does not know, is refused with an error naming the file, as is a
// SQLite file that is not a navsync state store.
//
// Every connection runs with:
//   - journal_mode=WAL: readers never block the writer, and a commit is one
//     append to the write-ahead log.
//   - busy_timeout=BusyTimeout, and every transaction begins IMMEDIATE, so a
//     writer waits for another writer (a second goroutine, the lock
//     heartbeat, another process) instead of failing with SQLITE_BUSY; a
//     deferred transaction that reads and then writes could fail at once
//     with SQLITE_BUSY_SNAPSHOT whatever the timeout.
//   - foreign_keys=ON: an action belongs to a run of the store (checked on
//     insert).
//   - synchronous=FULL. The journal's promise is that an action marked sent
//     before a call is still marked sent after anything that can stop the
//     process. WAL with synchronous=NORMAL keeps every committed transaction
//     across a crash or SIGKILL of the process (the commit is in the WAL file,
//     in the operating system's cache), but a power loss or kernel panic can
//     lose the last commits, because the WAL is only synced at checkpoints.
//     Losing a "sent" row that way makes the rerun send the call again: for a
//     writeback that rewrites the same values, but for a create it is a
//     duplicate Contact. FULL syncs the WAL at every commit, which closes
//     that gap, and costs one fsync per transaction: the journal commits once
//     before and once after an API call of up to 200 records (a round trip of
//     tens to hundreds of milliseconds), and once per plan, so the fsyncs are
//     noise beside the calls they protect.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("state store: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("state store %s: %w", abs, err)
	}
	// SQLite creates a new database file with mode 0644 (less the umask);
	// create it first so that it is private from the start. The -wal and
	// -shm files SQLite creates later take the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("state store %s: %w", abs, err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", abs, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	s := &Store{db: db, path: abs, now: time.Now, hostKey: localHostKey(),
		writing: make(chan struct{}, 1), locks: map[*Lock]struct{}{}}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state store %s: %w", abs, err)
	}
	return s, nil
}

// dsn is the modernc.org/sqlite data source name for the file at abs: a
// file: URI (so that any character in the path is escaped) with the
// per-connection pragmas. journal_mode is persistent in the file and set once
// by init.
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows volume: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// init switches the file to WAL and creates or migrates the schema.
func (s *Store) init(ctx context.Context) error {
	// Switching a file to WAL takes an exclusive lock, and SQLite answers
	// SQLITE_BUSY at once, without its busy handler, when another
	// connection is switching the same new file (processes opening a new
	// store together): retry within the busy timeout.
	var mode string
	deadline := time.Now().Add(BusyTimeout)
	for {
		err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			break
		}
		if code, _ := sqliteCode(err); code&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return describeOpenErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("cannot switch to WAL mode (journal_mode is %q; is the file on a network filesystem?)", mode)
	}
	return s.migrate(ctx)
}

// describeOpenErr adds a hint to the errors a file that is not a SQLite
// database gives.
func describeOpenErr(err error) error {
	if code, ok := sqliteCode(err); ok && code&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("%w (not a navsync state store?)", err)
	}
	return err
}

// isConstraint reports whether err is a duplicate key: a primary key or a
// unique constraint.
func isConstraint(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

// sqliteCode is the extended SQLite result code of err, if it has one.
func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// Path is the absolute path of the store's file.
func (s *Store) Path() string { return s.path }

// Close releases the locks still held through this Store, then closes the
// database. The store's data is all committed already: every method commits
// before it returns.
func (s *Store) Close() error {
	s.mu.Lock()
	locks := make([]*Lock, 0, len(s.locks))
	for l := range s.locks {
		locks = append(locks, l)
	}
	s.mu.Unlock()
	var errs []error
	for _, l := range locks {
		errs = append(errs, l.Release())
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// startWrite waits for this Store's turn to write; the returned func ends
// it.
func (s *Store) startWrite(ctx context.Context) (func(), error) {
	select {
	case s.writing <- struct{}{}:
		return func() { <-s.writing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tx runs fn in one write transaction (BEGIN IMMEDIATE) and commits it, or
// rolls it back when fn fails.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	done, err := s.startWrite(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// exec runs one writing statement in its own transaction.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	done, err := s.startWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.db.ExecContext(ctx, query, args...)
}

// micros is t as Unix microseconds for an INTEGER column, NULL for the zero
// time. Times are stored with microsecond precision (as the reports are).
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros, in UTC.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
