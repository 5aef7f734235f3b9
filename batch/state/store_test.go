package state

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCreatesPrivateFileAndFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b", "c?d#e")
	path := filepath.Join(dir, "state.db")
	s := openTest(t, path)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	// Write something so that the WAL file exists.
	if err := s.BeginRun(context.Background(), Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("folder mode %v, want 0700", m)
	}
}

func TestOpenPragmas(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// Check each pragma on several pool connections at once: the DSN must
	// configure every connection, not just the first.
	conns := make([]*sql.Conn, maxOpenConns)
	for i := range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		for _, tc := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds())},
			{"foreign_keys", "1"},
			{"synchronous", "2"}, // FULL
			{"user_version", fmt.Sprint(len(migrations))},
			{"application_id", fmt.Sprint(applicationID)},
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, tc.pragma, got, tc.want)
			}
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	beginWithActions(t, s, "r1", 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path)
	as, err := s.Actions(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 10 {
		t.Errorf("after reopening: %d actions, want 10", len(as))
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    []string
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				s := openTest(t, path)
				if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{fmt.Sprintf("schema version %d is newer than this navsync knows (%d)", len(migrations)+1, len(migrations))},
		},
		{
			name: "another program's database",
			prepare: func(t *testing.T, path string) {
				db, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"not a navsync state store"},
		},
		{
			name: "not a database",
			prepare: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte(strings.Repeat("this is not SQLite\n", 100)), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"not a navsync state store?"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			tc.prepare(t, path)
			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Processes opening a new store at once all succeed, with one schema: the
// switch to WAL is retried when SQLite refuses it without waiting, the
// version is read in one snapshot, and each migration step is one
// transaction that reads the version again. Repeated: the races are narrow.
func TestConcurrentOpenOfNewStore(t *testing.T) {
	ctx := context.Background()
	for range 20 {
		path := filepath.Join(t.TempDir(), "state.db")
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				s, err := Open(ctx, path)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}
