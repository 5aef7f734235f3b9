package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The quota ledger of contact creation (DESIGN.md "Actions", issue 11
// "Quotas and budgets"): per Salesforce user, the contacts created in a
// calendar month and the API calls made with the user's token in a day, both
// in the org's time zone (MonthDay computes the keys).
//
// A contact creation is reserved before its call and settled after it. A
// reservation is a row keyed by the action it is for (run, seq), in one of
// three states:
//
//	(none)   -> held       ReserveContacts, while created + held < limit
//	released -> held       ReserveContacts: a retry of a create that failed
//	held     -> confirmed  SettleContacts: the Contact was created; created + 1
//	held     -> released   SettleContacts: it was not (failed, not applied, never sent)
//
// Settling again to the same state changes nothing; any other change is
// refused with an error wrapping ErrReservationState, and nothing of that
// call is written. The limit is checked against created plus held, in the
// transaction that reserves, so two processes reserving at once never pass
// it together; a held reservation counts until it is settled, so a run
// killed between its reservation and its answer cannot let a later run pass
// the limit either: the later run reconciles the killed run's actions and
// settles their reservations (OpenReservations, SettleFromJournal).

// Reservation states.
const (
	ReservationHeld      = "held"
	ReservationConfirmed = "confirmed"
	ReservationReleased  = "released"
)

// ErrNoReservation is wrapped by the errors of SettleContacts given an
// action that holds no reservation.
var ErrNoReservation = errors.New("no contact reservation")

// ErrReservationState is wrapped by the errors of a refused reservation
// change: reserving an action whose contact was created (confirmed), or one
// held for another user or month; releasing a confirmed reservation;
// confirming a released one.
var ErrReservationState = errors.New("illegal contact reservation change")

// MonthDay are the ledger's keys for time t in the org's time zone loc
// (nil: UTC): the calendar month ("2026-12") and day ("2026-12-03").
func MonthDay(t time.Time, loc *time.Location) (month, day string) {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return t.Format(monthLayout), t.Format(dayLayout)
}

const (
	monthLayout = "2006-01"
	dayLayout   = "2006-01-02"
)

// checkKey refuses a user id that is empty or a key not in layout (a day
// given as a month, say, would silently start a quota of its own).
func checkKey(userID, key, layout string) error {
	if userID == "" {
		return errors.New("empty user id")
	}
	return checkLayout(key, layout)
}

func checkLayout(key, layout string) error {
	if t, err := time.Parse(layout, key); err != nil || t.Format(layout) != key {
		return fmt.Errorf("bad key %q (want the form %s, from MonthDay)", key, layout)
	}
	return nil
}

// Reservation is a contact creation reserved for action Seq of run RunID,
// on behalf of user UserID in month Month.
type Reservation struct {
	RunID      string
	Seq        int
	UserID     string
	Month      string
	ReservedAt time.Time
}

// ReserveContacts reserves up to len(seqs) contact creations for userID in
// month for the actions seqs of run runID, in order, never letting created
// plus held reservations of userID in month pass limit, and returns the seqs
// granted: a prefix of seqs (empty when none is left). Call it, and let it
// return, before the call that creates them, and send only the granted ones;
// the rest are over quota. It is one immediate transaction: processes
// reserving at once (several Stores on one file) wait for each other and
// never pass the limit together.
//
// The run must have begun (BeginRun). A seq whose reservation is already held
// for this user and month is granted again without counting twice; one
// released earlier (a create that failed, retried) is reserved anew. A seq
// whose creation is confirmed, or held for another user or month, is an
// error (wrapping ErrReservationState), and then nothing is reserved. Seqs
// after the first one refused for quota are not granted, and left as they
// were. A create counts in the month it was reserved in, even when its
// answer comes after midnight on the month's last day.
func (s *Store) ReserveContacts(ctx context.Context, runID, userID, month string, seqs []int, limit int) (granted []int, err error) {
	if err := checkKey(userID, month, monthLayout); err != nil {
		return nil, fmt.Errorf("state: ReserveContacts %s: %w", runID, err)
	}
	if limit < 0 {
		return nil, fmt.Errorf("state: ReserveContacts %s: negative limit %d", runID, limit)
	}
	if err := noDuplicates(seqs, func(i int) int { return seqs[i] }); err != nil {
		return nil, fmt.Errorf("state: ReserveContacts %s: %w", runID, err)
	}
	now := micros(s.now())
	err = s.tx(ctx, func(tx *sql.Tx) error {
		granted = granted[:0]
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		var created, held int
		if err := tx.QueryRowContext(ctx, contactQuotaQuery, userID, month).Scan(&created, &held); err != nil {
			return err
		}
		used := created + held // counted up as reservations are added
		get, err := tx.PrepareContext(ctx, `SELECT state, user_id, month FROM contact_reservations WHERE run = ? AND seq = ?`)
		if err != nil {
			return err
		}
		defer get.Close()
		// A new reservation, or a released one reserved anew: one
		// statement. Anything else is looked at only when put changed
		// nothing.
		put, err := tx.PrepareContext(ctx, `INSERT INTO contact_reservations (run, seq, user_id, month, state, reserved_at)
			VALUES (?1, ?2, ?3, ?4, 'held', ?5)
			ON CONFLICT (run, seq) DO UPDATE SET user_id = ?3, month = ?4, state = 'held', reserved_at = ?5, settled_at = NULL
			WHERE state = 'released'`)
		if err != nil {
			return err
		}
		defer put.Close()
		for _, seq := range seqs {
			if seq < 0 || seq > maxSeq {
				return fmt.Errorf("action %d: seq out of range [0, %d]", seq, maxSeq)
			}
			if used < limit {
				res, err := put.ExecContext(ctx, run, seq, userID, month, now)
				if err != nil {
					return fmt.Errorf("action %d: %w", seq, err)
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 1 {
					used++
					granted = append(granted, seq)
					continue
				}
			}
			// The quota is spent, or seq has a reservation not released.
			var state, u, m string
			err := get.QueryRowContext(ctx, run, seq).Scan(&state, &u, &m)
			switch {
			case errors.Is(err, sql.ErrNoRows), err == nil && state == ReservationReleased:
				return nil // over quota: this seq and the rest are not granted
			case err != nil:
				return err
			case state == ReservationHeld && u == userID && m == month:
				granted = append(granted, seq) // already counted
			default:
				return fmt.Errorf("action %d: %w: it is %s for user %s in %s", seq, ErrReservationState, state, u, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: ReserveContacts %s: %w", runID, err)
	}
	return granted, nil
}

// SettleContacts settles reservations of run runID after the call: those of
// the seqs confirmed become created contacts (counted in their user's
// month), those of the seqs released are freed. It is one transaction: a seq
// with no reservation (ErrNoReservation), listed in both, or whose change is
// refused (ErrReservationState: a confirmed one released, a released one
// confirmed) is an error, and then nothing is written. Settling a seq again
// to the state it is in changes nothing. A create whose outcome is unknown is
// in neither list: its reservation stays held, and counts, until a later
// SettleContacts after reconciliation. It writes even when ctx is already
// cancelled (the call has happened; only ctx's values are used).
func (s *Store) SettleContacts(ctx context.Context, runID string, confirmed, released []int) error {
	all := append(append(make([]int, 0, len(confirmed)+len(released)), confirmed...), released...)
	if err := noDuplicates(all, func(i int) int { return all[i] }); err != nil {
		return fmt.Errorf("state: SettleContacts %s: %w", runID, err)
	}
	if len(all) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	now := micros(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		return settle(ctx, tx, run, confirmed, released, now)
	})
	if err != nil {
		return fmt.Errorf("state: SettleContacts %s: %w", runID, err)
	}
	return nil
}

// settle settles reservations of run number run in transaction tx: each
// list in one statement, and the seqs it did not change looked at one by
// one.
func settle(ctx context.Context, tx *sql.Tx, run int64, confirmed, released []int, now any) error {
	type userMonth struct{ user, month string }
	created := map[userMonth]int{}
	for _, l := range []struct {
		seqs []int
		to   string
	}{{confirmed, ReservationConfirmed}, {released, ReservationReleased}} {
		if len(l.seqs) == 0 {
			continue
		}
		list, err := json.Marshal(l.seqs)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE contact_reservations SET state = ?, settled_at = ?
			WHERE run = ? AND seq IN (SELECT value FROM json_each(?)) AND state = 'held' RETURNING seq, user_id, month`,
			l.to, now, run, string(list))
		if err != nil {
			return err
		}
		changed := make(map[int]bool, len(l.seqs))
		for rows.Next() {
			var seq int
			var um userMonth
			if err := rows.Scan(&seq, &um.user, &um.month); err != nil {
				rows.Close()
				return err
			}
			changed[seq] = true
			if l.to == ReservationConfirmed {
				created[um]++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, seq := range l.seqs {
			if changed[seq] {
				continue
			}
			// Not held: settled already, or not settleable.
			var state string
			err = tx.QueryRowContext(ctx, `SELECT state FROM contact_reservations WHERE run = ? AND seq = ?`, run, seq).Scan(&state)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("action %d: %w (ReserveContacts before its call)", seq, ErrNoReservation)
			case err != nil:
				return err
			case state != l.to:
				return fmt.Errorf("action %d: %w: %s -> %s", seq, ErrReservationState, state, l.to)
			}
		}
	}
	for um, n := range created {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts_created (month, user_id, created) VALUES (?1, ?2, ?3)
			ON CONFLICT (month, user_id) DO UPDATE SET created = created + ?3`, um.month, um.user, n); err != nil {
			return err
		}
	}
	return nil
}

// SettleFromJournal settles the held reservations of run runID from its
// actions' journalled states, and returns how many it confirmed and
// released: done is confirmed; failed, not_applied, skipped, superseded and
// planned (never sent) are released, as is a reservation whose action is
// not in the journal (nothing was sent for it: MarkSent needs the action);
// sent and unknown stay held until reconciled and Recorded. Call it only for
// a run no live process works on (a killed run, after its reconciliation, as
// for MarkUnknown), or after a run's last Record: on a live run it would
// release reservations made for calls about to be sent.
func (s *Store) SettleFromJournal(ctx context.Context, runID string) (confirmed, released int, err error) {
	now := micros(s.now())
	err = s.tx(ctx, func(tx *sql.Tx) error {
		run, err := runNo(ctx, tx, runID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT r.seq, coalesce(a.state, '') FROM contact_reservations r
			LEFT JOIN actions a ON a.id = ((r.run << 32) | r.seq)
			WHERE r.run = ? AND r.state = 'held' ORDER BY r.seq`, run)
		if err != nil {
			return err
		}
		var conf, rel []int
		for rows.Next() {
			var seq int
			var state string
			if err := rows.Scan(&seq, &state); err != nil {
				rows.Close()
				return err
			}
			switch state {
			case Done:
				conf = append(conf, seq)
			case Sent, Unknown:
			default:
				rel = append(rel, seq)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		confirmed, released = len(conf), len(rel)
		return settle(ctx, tx, run, conf, rel, now)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("state: SettleFromJournal %s: %w", runID, err)
	}
	return confirmed, released, nil
}

// OpenReservations are the reservations run runID still holds, in seq order
// (none for a run the store does not have): after a kill, those of actions
// whose outcome is to be reconciled, or reserved and never sent. They count
// against their user's limit until settled.
func (s *Store) OpenReservations(ctx context.Context, runID string) ([]Reservation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, user_id, month, reserved_at FROM contact_reservations
		WHERE run = (SELECT no FROM runs WHERE id = ?) AND state = 'held' ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("state: OpenReservations %s: %w", runID, err)
	}
	defer rows.Close()
	var rs []Reservation
	for rows.Next() {
		r := Reservation{RunID: runID}
		var at sql.NullInt64
		if err := rows.Scan(&r.Seq, &r.UserID, &r.Month, &at); err != nil {
			return nil, fmt.Errorf("state: OpenReservations %s: %w", runID, err)
		}
		r.ReservedAt = fromMicros(at)
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: OpenReservations %s: %w", runID, err)
	}
	return rs, nil
}

// contactQuotaQuery reads created and held of (?1 user, ?2 month) in one
// statement, so in one snapshot.
const contactQuotaQuery = `SELECT
	coalesce((SELECT created FROM contacts_created WHERE month = ?2 AND user_id = ?1), 0),
	(SELECT count(*) FROM contact_reservations WHERE state = 'held' AND month = ?2 AND user_id = ?1)`

// ContactQuota is what userID has used of month's contact quota: contacts
// created (confirmed, plus AddContactsCreated) and reservations held. What is
// left is limit - created - reserved.
func (s *Store) ContactQuota(ctx context.Context, userID, month string) (created, reserved int, err error) {
	if err := checkKey(userID, month, monthLayout); err != nil {
		return 0, 0, fmt.Errorf("state: ContactQuota: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, contactQuotaQuery, userID, month).Scan(&created, &reserved); err != nil {
		return 0, 0, fmt.Errorf("state: ContactQuota: %w", err)
	}
	return created, reserved, nil
}

// AddContactsCreated adds n (which may be negative) to the contacts created
// for userID in month, never going below 0: contacts created outside
// navsync's reservations (seeded from another system, or a correction).
func (s *Store) AddContactsCreated(ctx context.Context, userID, month string, n int) error {
	if err := checkKey(userID, month, monthLayout); err != nil {
		return fmt.Errorf("state: AddContactsCreated: %w", err)
	}
	_, err := s.exec(ctx, `INSERT INTO contacts_created (month, user_id, created) VALUES (?1, ?2, max(?3, 0))
		ON CONFLICT (month, user_id) DO UPDATE SET created = max(created + ?3, 0)`, month, userID, n)
	if err != nil {
		return fmt.Errorf("state: AddContactsCreated: %w", err)
	}
	return nil
}

// AddAPICalls counts n (>= 0) API calls made with userID's token on day. It
// writes even when ctx is already cancelled: the calls have been made.
func (s *Store) AddAPICalls(ctx context.Context, userID, day string, n int) error {
	if err := checkKey(userID, day, dayLayout); err != nil {
		return fmt.Errorf("state: AddAPICalls: %w", err)
	}
	if n < 0 {
		return fmt.Errorf("state: AddAPICalls: negative count %d", n)
	}
	_, err := s.exec(context.WithoutCancel(ctx), `INSERT INTO api_calls (day, user_id, calls) VALUES (?1, ?2, ?3)
		ON CONFLICT (day, user_id) DO UPDATE SET calls = calls + ?3`, day, userID, n)
	if err != nil {
		return fmt.Errorf("state: AddAPICalls: %w", err)
	}
	return nil
}

// TakeAPICalls counts n API calls for userID on day only if that keeps the
// day's count within budget, and reports whether it did: a check and count
// in one transaction, for a caller that counts calls before making them
// (two processes taking at once never pass the budget together).
func (s *Store) TakeAPICalls(ctx context.Context, userID, day string, n, budget int) (bool, error) {
	if err := checkKey(userID, day, dayLayout); err != nil {
		return false, fmt.Errorf("state: TakeAPICalls: %w", err)
	}
	if n < 0 {
		return false, fmt.Errorf("state: TakeAPICalls: negative count %d", n)
	}
	res, err := s.exec(ctx, `INSERT INTO api_calls (day, user_id, calls) SELECT ?1, ?2, ?3 WHERE ?3 <= ?4
		ON CONFLICT (day, user_id) DO UPDATE SET calls = calls + ?3 WHERE calls + ?3 <= ?4`, day, userID, n, budget)
	if err != nil {
		return false, fmt.Errorf("state: TakeAPICalls: %w", err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("state: TakeAPICalls: %w", err)
	}
	return k == 1, nil
}

// APICalls is the number of API calls counted for userID on day.
func (s *Store) APICalls(ctx context.Context, userID, day string) (int, error) {
	if err := checkKey(userID, day, dayLayout); err != nil {
		return 0, fmt.Errorf("state: APICalls: %w", err)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT calls FROM api_calls WHERE day = ? AND user_id = ?), 0)`,
		day, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("state: APICalls: %w", err)
	}
	return n, nil
}

// UserQuota is one user's use of the quotas, a row of quota.parquet.
type UserQuota struct {
	UserID   string
	Month    string
	Created  int // contacts created in Month
	Reserved int // reservations held in Month
	Day      string
	APICalls int // API calls made with the user's token on Day
}

// QuotaReport is one row per user with any activity in month or on day
// (contacts created or reservations held in month, API calls on day), by
// user id; read in one snapshot.
func (s *Store) QuotaReport(ctx context.Context, month, day string) ([]UserQuota, error) {
	if err := checkLayout(month, monthLayout); err != nil {
		return nil, fmt.Errorf("state: QuotaReport: %w", err)
	}
	if err := checkLayout(day, dayLayout); err != nil {
		return nil, fmt.Errorf("state: QuotaReport: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `WITH users AS (
			SELECT user_id FROM contacts_created WHERE month = ?1 AND created > 0
			UNION SELECT user_id FROM contact_reservations WHERE month = ?1 AND state = 'held'
			UNION SELECT user_id FROM api_calls WHERE day = ?2 AND calls > 0)
		SELECT u.user_id,
			coalesce((SELECT created FROM contacts_created c WHERE c.month = ?1 AND c.user_id = u.user_id), 0),
			(SELECT count(*) FROM contact_reservations r WHERE r.state = 'held' AND r.month = ?1 AND r.user_id = u.user_id),
			coalesce((SELECT calls FROM api_calls a WHERE a.day = ?2 AND a.user_id = u.user_id), 0)
		FROM users u ORDER BY u.user_id`, month, day)
	if err != nil {
		return nil, fmt.Errorf("state: QuotaReport: %w", err)
	}
	defer rows.Close()
	var qs []UserQuota
	for rows.Next() {
		q := UserQuota{Month: month, Day: day}
		if err := rows.Scan(&q.UserID, &q.Created, &q.Reserved, &q.APICalls); err != nil {
			return nil, fmt.Errorf("state: QuotaReport: %w", err)
		}
		qs = append(qs, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: QuotaReport: %w", err)
	}
	return qs, nil
}
