package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Holder is who holds a store's lock.
type Holder struct {
	RunID   string
	Command string // "run", "schedule"
	Host    string // os.Hostname() when left empty
	PID     int    // os.Getpid() when left 0
	Since   time.Time
	// Heartbeat is the holder's last sign of life; a lock whose heartbeat is
	// older than the acquirer's staleAfter is taken over.
	Heartbeat time.Time
}

func (h Holder) String() string {
	cmd := h.Command
	if cmd == "" {
		cmd = "(unknown command)"
	}
	return fmt.Sprintf("navsync %s (run %s) on host %s, pid %d, since %s, last heartbeat %s",
		cmd, h.RunID, h.Host, h.PID, h.Since.Format(time.RFC3339), h.Heartbeat.Format(time.RFC3339))
}

// ErrLocked is matched (errors.Is) by *LockedError.
var ErrLocked = errors.New("state store is locked by another navsync process")

// LockedError is Acquire's error when a live process holds the store.
type LockedError struct {
	Holder     Holder
	Path       string
	StaleAfter time.Duration // the acquirer's staleness limit
	Now        time.Time     // when the lock was found held
}

func (e *LockedError) Error() string {
	age := e.Now.Sub(e.Holder.Heartbeat).Round(time.Second)
	return fmt.Sprintf("%v: state store %s is held by %s (%s ago). "+
		"Wait for that run to finish, or stop that process; a lock whose process is gone is taken over "+
		"at once on the same host, or from anywhere once its heartbeat is older than %s",
		ErrLocked, e.Path, e.Holder, age, e.StaleAfter)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// heldTokens are the tokens of the locks this process holds, so that a lock
// row naming this host and this PID can be told apart: ours (held), or an
// earlier process's whose PID this process now has (a restarted container's
// PID 1, say), which is gone.
var heldTokens sync.Map

// Lock is a held store lock. It heartbeats in a goroutine until Release.
type Lock struct {
	s          *Store
	holder     Holder
	token      string
	staleAfter time.Duration
	prev       *Holder
	reason     string

	lost    chan struct{}
	lostErr error // set before lost is closed

	stop, done chan struct{}
	release    sync.Once
	releaseErr error
}

// Acquire takes the store's lock for h, or returns a *LockedError naming
// the live holder. h.Since defaults to now; h.Heartbeat is now. The current
// holder's lock is taken over (and returned by the Lock's Previous and
// TakeoverReason, for the log) when
//   - its heartbeat is older than staleAfter, or
//   - it was taken on this host (same host name, PID namespace and boot) by
//     a process that no longer exists (killed, even with SIGKILL), or that
//     had this process's PID but is not this process.
//
// A lock held by a live process is never taken over, not even one in this
// process: one run at a time per store.
//
// The Lock writes a heartbeat every staleAfter/4 until Release. If a
// heartbeat finds the lock taken over by someone else, or no heartbeat has
// succeeded for staleAfter (a takeover may then be under way), Lost is
// closed and Err says why: stop writing.
func (s *Store) Acquire(ctx context.Context, h Holder, staleAfter time.Duration) (*Lock, error) {
	if staleAfter <= 0 {
		return nil, fmt.Errorf("state: Acquire: staleAfter must be positive, not %s", staleAfter)
	}
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	now := s.now()
	if h.Since.IsZero() {
		h.Since = now
	}
	h.Heartbeat = now
	l := &Lock{s: s, holder: h, token: rand.Text(), staleAfter: staleAfter,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	// Registered before the row is written, so that no other Acquire in this
	// process ever sees our row without knowing it is live.
	heldTokens.Store(l.token, struct{}{})
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := readLockRow(ctx, tx)
		if err != nil {
			return err
		}
		if cur != nil {
			l.reason = s.takeoverReason(*cur, now, staleAfter)
			if l.reason == "" {
				return &LockedError{Holder: cur.Holder, Path: s.path, StaleAfter: staleAfter, Now: now}
			}
			l.prev = &cur.Holder
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO lock (id, token, host_key, run_id, command, host, pid, since, heartbeat)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`, l.token, s.hostKey, h.RunID, h.Command, h.Host, h.PID, micros(h.Since), micros(now))
		return err
	})
	if err != nil {
		heldTokens.Delete(l.token)
		var le *LockedError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, fmt.Errorf("state: Acquire %s: %w", s.path, err)
	}
	s.mu.Lock()
	s.locks[l] = struct{}{}
	s.mu.Unlock()
	go l.heartbeat(max(staleAfter/4, time.Millisecond))
	return l, nil
}

type lockRow struct {
	Holder
	token, hostKey string
}

func readLockRow(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (*lockRow, error) {
	var r lockRow
	var since, hb sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT token, host_key, run_id, command, host, pid, since, heartbeat FROM lock WHERE id = 1`).
		Scan(&r.token, &r.hostKey, &r.RunID, &r.Command, &r.Host, &r.PID, &since, &hb)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.Since, r.Heartbeat = fromMicros(since), fromMicros(hb)
	return &r, nil
}

// takeoverReason says why the lock row cur may be taken over, "" when it
// may not.
func (s *Store) takeoverReason(cur lockRow, now time.Time, staleAfter time.Duration) string {
	if age := now.Sub(cur.Heartbeat); age > staleAfter {
		return fmt.Sprintf("its last heartbeat is %s old (stale after %s)", age.Round(time.Millisecond), staleAfter)
	}
	if cur.hostKey == "" || cur.hostKey != s.hostKey {
		return "" // another host: only the heartbeat can tell
	}
	if cur.PID == os.Getpid() {
		if _, live := heldTokens.Load(cur.token); live {
			return ""
		}
		return fmt.Sprintf("pid %d on this host is this process now, which does not hold it: its holder is gone", cur.PID)
	}
	if !processAlive(cur.PID) {
		return fmt.Sprintf("pid %d on this host no longer exists", cur.PID)
	}
	return ""
}

// localHostKey identifies where PIDs mean the same process: the host name, and
// on Linux the PID namespace and the boot. Two holders with one hostKey can
// check each other's PIDs.
func localHostKey() string {
	name, _ := os.Hostname()
	key := name
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		key += " " + ns
	}
	if boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		key += " boot:" + strings.TrimSpace(string(boot))
	}
	return key
}

// Holder is who this lock says holds the store.
func (l *Lock) Holder() Holder { return l.holder }

// Previous is the holder whose lock Acquire took over, nil if there was
// none. A takeover is worth a log line (with TakeoverReason): the previous
// run died, and its journal may need reconciling.
func (l *Lock) Previous() *Holder { return l.prev }

// TakeoverReason says why the previous holder's lock was taken over, "" if
// there was none.
func (l *Lock) TakeoverReason() string { return l.reason }

// Lost is closed when the lock is no longer ours (see Acquire).
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err says why Lost was closed, nil while it is not.
func (l *Lock) Err() error {
	select {
	case <-l.lost:
		return l.lostErr
	default:
		return nil
	}
}

func (l *Lock) heartbeat(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.staleAfter)
		res, err := l.s.exec(ctx, `UPDATE lock SET heartbeat = ? WHERE id = 1 AND token = ?`, micros(l.s.now()), l.token)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		cancel()
		switch {
		case err == nil && n == 1:
			lastOK = time.Now()
		case err == nil:
			l.lostErr = l.takenOver()
			close(l.lost)
			return
		case time.Since(lastOK) >= l.staleAfter:
			l.lostErr = fmt.Errorf("state store %s: lock lost: no heartbeat written for %s: %w", l.s.path, l.staleAfter, err)
			close(l.lost)
			return
		}
	}
}

// takenOver describes who has the lock now.
func (l *Lock) takenOver() error {
	ctx, cancel := context.WithTimeout(context.Background(), BusyTimeout)
	defer cancel()
	cur, err := readLockRow(ctx, l.s.db)
	switch {
	case err != nil:
		return fmt.Errorf("state store %s: lock taken over (reading the new holder: %v)", l.s.path, err)
	case cur == nil:
		return fmt.Errorf("state store %s: lock taken over and released since", l.s.path)
	}
	return fmt.Errorf("state store %s: lock taken over by %s", l.s.path, cur.Holder)
}

// Release stops the heartbeat and gives the lock up, if it is still ours
// (after a takeover the new holder's lock is left alone). It may be called
// more than once; later calls return the first call's result. It writes even
// after ctx cancellation: it takes none.
func (l *Lock) Release() error {
	l.release.Do(func() {
		close(l.stop)
		<-l.done
		ctx, cancel := context.WithTimeout(context.Background(), 2*BusyTimeout)
		defer cancel()
		if _, err := l.s.exec(ctx, `DELETE FROM lock WHERE id = 1 AND token = ?`, l.token); err != nil {
			l.releaseErr = fmt.Errorf("state store %s: releasing the lock: %w", l.s.path, err)
		}
		heldTokens.Delete(l.token)
		l.s.mu.Lock()
		delete(l.s.locks, l)
		l.s.mu.Unlock()
	})
	return l.releaseErr
}
