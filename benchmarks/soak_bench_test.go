package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

var soakFlag = flag.Duration("soak", 0, "how long BenchmarkSimSoak runs (default 2m; or NAVSYNC_SOAK)")

// soakDuration is -soak, else NAVSYNC_SOAK, else 2 minutes.
func soakDuration(b *testing.B) time.Duration {
	if *soakFlag > 0 {
		return *soakFlag
	}
	if v := os.Getenv("NAVSYNC_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("NAVSYNC_SOAK=%q: want a positive duration like 30s or 5m", v)
		}
		return d
	}
	return 2 * time.Minute
}

// The soak's org and load. Each worker owns soakKeys Contacts that carry an
// external id (soak<w>-<i>), so its writes never race another worker's and
// every write updates an existing record: the org keeps its size, and the
// heap has no reason to grow.
const (
	soakWorkers  = 8
	soakContacts = 20_000
	soakKeys     = 1_000
	soakExtField = "Sales_Navigator_Lead_Id__c"
	// soakFaults: every fault kind, at rates (with soakRetry's 4 attempts)
	// that make some calls outlive their retries, so the classification
	// of errors is exercised, not only the retries. NAVSYNC_SOAK_FAULTS
	// replaces it.
	soakFaults = "unavailable=0.1,lock=0.1,drop=0.03,limit=0.02,latency=2ms,session-expiry=3s,bulk-fail=0.3,seed=9"
)

func soakRetry() sfbulk.RetryPolicy {
	return sfbulk.RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxRetryAfter: 200 * time.Millisecond}
}

func soakExt(w, i int) string        { return fmt.Sprintf("soak%d-%04d", w, i) }
func soakContactID(i int) string     { return sfid.New(sfid.Contact, "5k", uint64(i+1)) }
func soakLastName(i int) string      { return "Soakname" + strconv.Itoa(i%3000) }
func soakUsername(w int) string      { return fmt.Sprintf("soak%d@example.com", w) }
func soakKeyIndex(w, k int) int      { return w*soakKeys + k } // contact index of worker w's key k
func soakTitle(it int) string        { return "Soak title " + strconv.Itoa(it%7) }
func mib(v uint64) float64           { return float64(v) / (1 << 20) }
func soakMedian(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }

// BenchmarkSimSoak runs the simulator (sfsim, served on a loopback listener
// as `navsync sim` serves it) under soakWorkers concurrent sfbulk clients
// with every fault on, for -soak (default 2 minutes; NAVSYNC_SOAK), one
// soak whatever b.N. Half the clients sign in with a refresh token, half
// with JWT bearer, each as its own Standard User. Each loops over Bulk 2.0
// exports of the whole org (result pages of 5,000 rows, job deleted after
// the read), REST queries (its own 1,000 keys by LIKE; or the whole org,
// abandoned after three pages, which leaves a cursor open), sObject
// Collections updates and upserts (400 records) and Bulk 2.0 ingest jobs
// (1,000 records, upsert or update), whose jobs the worker deletes once
// read. Salesforce and the simulator keep a finished job and its results for
// 7 days, so a client that never deletes them grows the simulator's heap
// (about 200 MiB a minute at this load); a sweeper deletes the jobs nobody
// deleted (failed jobs run again, duplicates created after a lost answer,
// deletes the faults refused) 30 s after they ended, or aborts and deletes
// them after 60 s Open (Salesforce deletes no Open job).
// The heap climbs for about the first minute while the simulator's open
// REST query cursors (at most 200, about 25 MiB here) fill up, then stays
// flat.
//
// Every few seconds it takes the heap in use after a full GC and the RSS
// (/proc/self/status). After a warm-up (a sixth of the run, at least two
// samples), the median heap of the last third of the samples is compared
// with the first third's: the benchmark fails when the ratio passes 1.5 or
// the heap grew by more than 64 MiB. Every client error is classified:
// errors sfbulk returns after its retries for a fault that is on
// (ErrUnavailable for 503s and dropped connections, ErrRowLocked,
// ErrConcurrencyLimit, a BulkJobError with the injected UNKNOWN_EXCEPTION)
// are expected; anything else, an export or query with a wrong row count,
// an upsert that created a record, a simulator error log or a Contact count
// that changed fails the benchmark. Both counts are reported.
func BenchmarkSimSoak(b *testing.B) {
	dur := soakDuration(b)
	spec := soakFaults
	if v := os.Getenv("NAVSYNC_SOAK_FAULTS"); v != "" {
		spec = v
	}
	faults, err := sfsim.ParseFaults(spec)
	if err != nil {
		b.Fatal(err)
	}
	serverErrs := &soakLogCounter{}
	s, err := sfsim.New(sfsim.Options{DailyAPILimit: 1 << 30, Logger: slog.New(serverErrs)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	soakLoad(b, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(serveCtx, ln) }()
	defer func() {
		stopServe()
		if err := <-served; err != nil {
			b.Error(err)
		}
	}()
	base := "http://" + ln.Addr().String()
	app := s.ConnectedApp()
	oauth := sfbulk.OAuthConfig{LoginURL: base, ClientID: app.ClientID, ClientSecret: app.ClientSecret, Retry: soakRetry()}
	ctx := context.Background()
	clients := make([]*sfbulk.Client, soakWorkers)
	raws := make([]*soakRaw, soakWorkers) // each worker's own token, to delete its ingest jobs
	for w := range clients {
		var ts sfbulk.TokenSource
		if w%2 == 0 {
			_, rt, err := s.IssueToken(soakUsername(w))
			if err != nil {
				b.Fatal(err)
			}
			if ts, err = sfbulk.NewRefreshTokenSource(oauth, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt, Username: soakUsername(w)})); err != nil {
				b.Fatal(err)
			}
		} else if ts, err = sfbulk.NewJWTSource(oauth, soakUsername(w), app.PrivateKeyPEM); err != nil {
			b.Fatal(err)
		}
		raws[w] = &soakRaw{hc: sfbulk.DefaultHTTPClient(), ts: ts}
		clients[w], err = sfbulk.New(ctx, sfbulk.Config{Retry: soakRetry(), PollInterval: 5 * time.Millisecond,
			MaxPollInterval: 50 * time.Millisecond, ExpectOrgID: s.OrgID()}, ts)
		if err != nil {
			b.Fatal(err)
		}
	}
	_, rt, err := s.IssueToken(s.AdminUser().Username)
	if err != nil {
		b.Fatal(err)
	}
	sweepTS, err := sfbulk.NewRefreshTokenSource(oauth, sfbulk.NewMemoryTokenStore(&sfbulk.Token{RefreshToken: rt}))
	if err != nil {
		b.Fatal(err)
	}
	sweeper := &soakSweeper{raw: soakRaw{hc: sfbulk.DefaultHTTPClient(), ts: sweepTS}}

	interval := min(max(dur/40, 250*time.Millisecond), 3*time.Second)
	warmUp := max(dur/6, 2*interval)
	tally := newSoakTally(faults)
	runtime.GC()
	s.SetFaults(faults)
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w, c := range clients {
		wg.Go(func() { soakWorker(c, raws[w], w, deadline, tally) })
	}
	done := make(chan struct{})
	var samples []soakSample
	var bg sync.WaitGroup
	bg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				samples = append(samples, takeSoakSample(time.Since(start)))
			}
		}
	})
	bg.Go(func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sweeper.sweep(ctx, 30*time.Second, 60*time.Second)
			}
		}
	})
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	bg.Wait()
	b.StopTimer()
	if p := os.Getenv("NAVSYNC_SOAK_HEAPPROFILE"); p != "" { // what the heap holds at the end, before the sweep
		soakHeapProfile(b, p)
	}
	s.SetFaults(sfsim.Faults{})
	retained := sweeper.sweep(ctx, 0, 0) // what the run leaves behind, once no fault stands in the way

	// Memory: the last third against the first third, after the warm-up.
	var post []soakSample
	for _, sm := range samples {
		if sm.at >= warmUp {
			post = append(post, sm)
		}
	}
	if len(post) < 6 {
		b.Fatalf("%d samples after the %s warm-up: run the soak longer (-soak, NAVSYNC_SOAK)", len(post), warmUp)
	}
	third := len(post) / 3
	col := func(part []soakSample, f func(soakSample) uint64) float64 {
		v := make([]float64, len(part))
		for i, sm := range part {
			v[i] = mib(f(sm))
		}
		return soakMedian(v)
	}
	heapOf := func(sm soakSample) uint64 { return sm.heap }
	rssOf := func(sm soakSample) uint64 { return sm.rss }
	heapFirst, heapLast := col(post[:third], heapOf), col(post[len(post)-third:], heapOf)
	rssFirst, rssLast := col(post[:third], rssOf), col(post[len(post)-third:], rssOf)
	heapRatio := heapLast / heapFirst
	slope := soakSlope(post) // MiB per minute, least squares

	var calls, retries, refreshes int64
	for _, c := range clients {
		u := c.Usage()
		calls, retries, refreshes = calls+u.Calls, retries+u.Retries, refreshes+u.Refreshes
	}
	injected := 0
	fc := s.FaultCounts()
	for _, n := range fc {
		injected += n
	}
	ops := tally.ops.Load()
	b.ReportMetric(elapsed.Seconds(), "soak-s")
	b.ReportMetric(float64(ops), "ops")
	b.ReportMetric(float64(calls)/elapsed.Seconds(), "requests/s")
	b.ReportMetric(float64(injected), "injected-faults")
	b.ReportMetric(float64(tally.expected.Load()), "expected-errs")
	b.ReportMetric(float64(tally.unexpected.Load()+serverErrs.n.Load()), "unexpected-errs")
	b.ReportMetric(heapFirst, "heap-first-MiB")
	b.ReportMetric(heapLast, "heap-last-MiB")
	b.ReportMetric(heapRatio, "heap-ratio")
	b.ReportMetric(slope, "heap-MiB/min")
	b.ReportMetric(rssLast/rssFirst, "rss-ratio")
	b.ReportMetric(rssLast, "rss-last-MiB")

	b.Logf("soak %s (warm-up %s, %d samples every %s), faults %s", elapsed.Round(time.Second), warmUp, len(samples), interval, faults)
	b.Logf("ops %d: %s; %d requests (%.0f/s), %d retries, %d token refreshes", ops, tally.opCounts(), calls, float64(calls)/elapsed.Seconds(), retries, refreshes)
	b.Logf("injected faults %d: %v", injected, fc)
	b.Logf("errors (once per operation and class): %d expected %s, %d records behind them; %d operations with unexpected errors; %d simulator error logs",
		tally.expected.Load(), tally.classCounts(), tally.failedRecords, tally.unexpected.Load(), serverErrs.n.Load())
	b.Logf("heap in use after GC: first third %.1f MiB, last third %.1f MiB (ratio %.3f, slope %+.2f MiB/min); RSS %.1f -> %.1f MiB",
		heapFirst, heapLast, heapRatio, slope, rssFirst, rssLast)
	b.Logf("jobs: %d deleted by the sweeper, %d left after the final sweep, %d sweep requests failed (faults)", sweeper.deleted, retained, sweeper.raw.failed)
	// The series on two lines: a benchmark's log is cut after ten lines.
	var heaps, rsss strings.Builder
	for _, sm := range samples {
		fmt.Fprintf(&heaps, " %.1f", mib(sm.heap))
		fmt.Fprintf(&rsss, " %.0f", mib(sm.rss))
	}
	b.Logf("heap MiB every %s:%s", interval, heaps.String())
	b.Logf("RSS MiB every %s:%s", interval, rsss.String())

	var problems []string
	if n := s.Count("Contact"); n != soakContacts {
		problems = append(problems, fmt.Sprintf("the org holds %d Contacts after the soak, want %d (a write created or lost records)", n, soakContacts))
	}
	if tally.unexpected.Load() > 0 {
		problems = append(problems, fmt.Sprintf("%d operations with unexpected errors, first ones:\n\t%s", tally.unexpected.Load(), strings.Join(tally.firstUnexpected(), "\n\t")))
	}
	if n := serverErrs.n.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d simulator error logs, first ones:\n\t%s", n, strings.Join(serverErrs.first(), "\n\t")))
	}
	if heapRatio > 1.5 || heapLast-heapFirst > 64 {
		problems = append(problems, fmt.Sprintf("heap grew from %.1f to %.1f MiB (ratio %.2f; limits 1.5x and +64 MiB)", heapFirst, heapLast, heapRatio))
	}
	if injected == 0 {
		problems = append(problems, "no fault was injected: the soak proves nothing")
	}
	if len(problems) > 0 {
		b.Fatal(strings.Join(problems, "\n"))
	}
}

// soakLoad seeds the org: soakWorkers Standard Users and soakContacts
// Contacts, the first soakWorkers*soakKeys of them with an external id.
func soakLoad(b *testing.B, s *sfsim.Server) {
	b.Helper()
	users := make([][]string, soakWorkers)
	for w := range users {
		u := soakUsername(w)
		users[w] = []string{sfid.New(sfid.User, "5k", uint64(w+1)), u, u, "Soak", "User" + strconv.Itoa(w), "true", sfid.ProfileStandard}
	}
	if err := s.Load("User", []string{"Id", "Username", "Email", "FirstName", "LastName", "IsActive", "ProfileId"}, users); err != nil {
		b.Fatal(err)
	}
	rows := make([][]string, soakContacts)
	for i := range rows {
		ext := ""
		if w := i / soakKeys; w < soakWorkers {
			ext = soakExt(w, i%soakKeys)
		}
		rows[i] = []string{soakContactID(i), "First" + strconv.Itoa(i%997), soakLastName(i), fmt.Sprintf("soak%d@example%d.com", i, i%300),
			soakTitle(0), ext}
	}
	if err := s.Load("Contact", []string{"Id", "FirstName", "LastName", "Email", "Title", soakExtField}, rows); err != nil {
		b.Fatal(err)
	}
}

// soakWorker loops over the operations until deadline; each operation
// finishes normally (no context is cancelled under it).
func soakWorker(c *sfbulk.Client, raw *soakRaw, w int, deadline time.Time, t *soakTally) {
	ctx := context.Background()
	for it := 0; time.Now().Before(deadline); it++ {
		kind := soakOps[(w+it)%len(soakOps)]
		t.op(kind, kind.run(ctx, soakEnv{c, raw, w, it}), w)
	}
}

// soakEnv is what an operation works with: worker w's client, its raw
// HTTP access (to delete its ingest jobs) and the iteration.
type soakEnv struct {
	c     *sfbulk.Client
	raw   *soakRaw
	w, it int
}

type soakOp struct {
	name string
	run  func(ctx context.Context, e soakEnv) []error
}

var soakOps = []soakOp{
	{"bulk-export", func(ctx context.Context, e soakEnv) []error {
		st, err := e.c.BulkQuery(ctx, "SELECT Id, FirstName, LastName, Email, Title, "+soakExtField+" FROM Contact",
			sfbulk.BulkQueryOptions{PageSize: 5000, DeleteJob: true}, func(header, row []string) error { return nil })
		if err != nil {
			return []error{err}
		}
		if st.Rows != soakContacts {
			return []error{fmt.Errorf("export %s read %d rows, want %d", st.JobID, st.Rows, soakContacts)}
		}
		return nil
	}},
	{"rest-query", func(ctx context.Context, e soakEnv) []error {
		if e.it%2 == 0 {
			soql, err := sfbulk.Select("Id", "LastName", "Title", soakExtField).From("Contact").
				Where(sfbulk.Like(soakExtField, sfbulk.HasPrefix(fmt.Sprintf("soak%d-", e.w)))).Build()
			if err != nil {
				return []error{err}
			}
			recs, err := e.c.QueryRecords(ctx, soql)
			if err != nil {
				return []error{err}
			}
			if len(recs) != soakKeys {
				return []error{fmt.Errorf("query of worker %d's keys returned %d records, want %d", e.w, len(recs), soakKeys)}
			}
			return nil
		}
		n := 0
		for _, err := range e.c.Query(ctx, "SELECT Id, LastName, Title FROM Contact") {
			if err != nil {
				return []error{err}
			}
			if n++; n == 3*2000 { // three pages, then walk away from the cursor
				break
			}
		}
		if n != 3*2000 {
			return []error{fmt.Errorf("paged query ended after %d records", n)}
		}
		return nil
	}},
	{"collections-update", func(ctx context.Context, e soakEnv) []error {
		recs := make([]sfbulk.Record, 400)
		for j := range recs {
			recs[j] = sfbulk.Record{"Id": soakContactID(soakKeyIndex(e.w, (e.it*400+j)%soakKeys)), "Title": soakTitle(e.it)}
		}
		res, err := e.c.Update(ctx, "Contact", recs)
		return soakRecordErrs(err, res, false)
	}},
	{"collections-upsert", func(ctx context.Context, e soakEnv) []error {
		recs := make([]sfbulk.Record, 400)
		for j := range recs {
			k := (e.it*400 + j) % soakKeys
			recs[j] = sfbulk.Record{soakExtField: soakExt(e.w, k), "LastName": soakLastName(soakKeyIndex(e.w, k)), "Title": soakTitle(e.it)}
		}
		res, err := e.c.Upsert(ctx, "Contact", soakExtField, recs)
		return soakRecordErrs(err, res, true)
	}},
	{"bulk-ingest", func(ctx context.Context, e soakEnv) []error {
		recs := make([]sfbulk.Record, soakKeys)
		opts := sfbulk.IngestOptions{Operation: "update"}
		upsert := e.it%2 == 0
		if upsert {
			opts = sfbulk.IngestOptions{Operation: "upsert", ExternalIDField: soakExtField}
		}
		for k := range recs {
			if upsert {
				recs[k] = sfbulk.Record{soakExtField: soakExt(e.w, k), "LastName": soakLastName(soakKeyIndex(e.w, k)), "Title": soakTitle(e.it)}
			} else {
				recs[k] = sfbulk.Record{"Id": soakContactID(soakKeyIndex(e.w, k)), "Title": soakTitle(e.it)}
			}
		}
		res, err := e.c.BulkIngest(ctx, "Contact", recs, opts)
		// As a client that runs many jobs should: delete them once read
		// (Salesforce, and the simulator, keep a finished job and its
		// results for 7 days). A delete that fails under the faults is
		// left to the sweeper.
		for _, id := range res.JobIDs() {
			e.raw.do(ctx, http.MethodDelete, "/jobs/ingest/"+id, nil)
		}
		return soakRecordErrs(err, res.Results, upsert)
	}},
}

// soakRecordErrs: the call's error and each failed record's; an upsert that
// created a record is an error too (every key exists). A record of an
// ingest job that BulkIngest aborted because closing it failed carries a
// bare "job Aborted" error: it fails for the call's reason, which is
// classified instead.
func soakRecordErrs(err error, res []sfbulk.RecordResult, upsert bool) []error {
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for i, r := range res {
		var je *sfbulk.BulkJobError
		switch {
		case !r.Success:
			if e := r.Err(); err != nil && errors.As(e, &je) && je.State == "Aborted" && !errors.As(err, new(*sfbulk.BulkJobError)) {
				errs = append(errs, err)
			} else if e != nil {
				errs = append(errs, e)
			} else {
				errs = append(errs, fmt.Errorf("record %d failed without an error (sent %s)", i, r.Sent))
			}
		case upsert && r.Created:
			errs = append(errs, fmt.Errorf("upsert of record %d created %s: the key existed", i, r.ID))
		}
	}
	return errs
}

// soakTally counts operations and classifies their errors. Errors count
// once per operation and class (the 500 records of a job that failed
// count once, as "bulk-fail"), the unexpected ones once per operation.
type soakTally struct {
	faults               sfsim.Faults
	ops                  atomic.Int64
	expected, unexpected atomic.Int64
	mu                   sync.Mutex
	perOp                map[string]int
	perClass             map[string]int
	failedRecords        int // records behind the expected errors
	firstBad             []string
}

func newSoakTally(f sfsim.Faults) *soakTally {
	return &soakTally{faults: f, perOp: map[string]int{}, perClass: map[string]int{}}
}

// op counts one operation of worker w and classifies its errors: expected
// when it is what sfbulk returns, after its retries, for a fault that is
// on; anything else is unexpected.
func (t *soakTally) op(k soakOp, errs []error, w int) {
	t.ops.Add(1)
	classes := map[string]bool{}
	var bad []error
	for _, err := range errs {
		if c := soakExpectedClass(t.faults, err); c != "" {
			classes[c] = true
		} else {
			bad = append(bad, err)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.perOp[k.name]++
	for c := range classes {
		t.perClass[c]++
	}
	t.failedRecords += len(errs) - len(bad)
	t.expected.Add(int64(len(classes)))
	if len(bad) > 0 {
		t.unexpected.Add(1)
		if len(t.firstBad) < 20 {
			msg := fmt.Sprintf("%s (worker %d, %d errors): %v", k.name, w, len(bad), bad[0])
			if errs[0] != bad[0] {
				msg += fmt.Sprintf(" (the call's error: %v)", errs[0])
			}
			t.firstBad = append(t.firstBad, msg)
		}
	}
}

func soakExpectedClass(f sfsim.Faults, err error) string {
	var je *sfbulk.BulkJobError
	switch {
	case errors.As(err, &je):
		// The injected failure's message; a recovered panic in the
		// simulator's job processing says "An unexpected error occurred"
		// without the UNKNOWN_EXCEPTION code.
		if f.BulkFail > 0 && je.State == "Failed" && strings.Contains(je.ErrorMessage, "UNKNOWN_EXCEPTION") {
			return "bulk-fail"
		}
	case errors.Is(err, sfbulk.ErrRowLocked):
		if f.Lock > 0 {
			return "lock"
		}
	case errors.Is(err, sfbulk.ErrConcurrencyLimit):
		if f.Limit > 0 {
			return "limit"
		}
	case errors.Is(err, sfbulk.ErrUnavailable):
		// At the instance, or at the token endpoint (a refresh answered
		// 503 or cut through its retries).
		if f.Unavailable > 0 || f.Drop > 0 {
			return "unavailable-or-drop"
		}
	}
	return ""
}

func (t *soakTally) opCounts() string { t.mu.Lock(); defer t.mu.Unlock(); return soakCounts(t.perOp) }
func (t *soakTally) classCounts() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return soakCounts(t.perClass)
}
func (t *soakTally) firstUnexpected() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.firstBad)
}

func soakCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

type soakSample struct {
	at        time.Duration
	heap, rss uint64
}

func takeSoakSample(at time.Duration) soakSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return soakSample{at: at, heap: ms.HeapInuse, rss: soakRSS()}
}

// soakRSS is VmRSS from /proc/self/status in bytes (0 where there is none).
func soakRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func soakHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// soakSlope is the least-squares slope of the heap in MiB per minute.
func soakSlope(ss []soakSample) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, sm := range ss {
		x, y := sm.at.Minutes(), mib(sm.heap)
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / d
}

// soakLogCounter counts the simulator's error logs (a recovered panic, a
// request that failed without a Salesforce error) and keeps the first ones.
type soakLogCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	msgs []string
}

func (h *soakLogCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *soakLogCounter) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *soakLogCounter) WithGroup(string) slog.Handler                { return h }
func (h *soakLogCounter) Handle(_ context.Context, r slog.Record) error {
	h.n.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.msgs) < 20 {
		var sb strings.Builder
		sb.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
			return true
		})
		h.msgs = append(h.msgs, sb.String())
	}
	return nil
}
func (h *soakLogCounter) first() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

// soakRaw sends plain HTTP requests to the instance with a client's
// token source, under the faults: a request that fails is given up.
type soakRaw struct {
	hc     *http.Client
	ts     sfbulk.TokenSource
	tok    *sfbulk.Token
	failed int
}

// soakSweeper deletes finished Bulk 2.0 jobs as the admin user.
type soakSweeper struct {
	raw     soakRaw
	deleted int
}

// sweep deletes jobs that ended at least doneAge ago and jobs still Open
// after openAge, and returns how many jobs it left.
func (sw *soakSweeper) sweep(ctx context.Context, doneAge, openAge time.Duration) int {
	left := 0
	for _, kind := range []string{"query", "ingest"} {
		var list struct {
			Records []struct {
				ID             string `json:"id"`
				State          string `json:"state"`
				SystemModstamp string `json:"systemModstamp"`
			} `json:"records"`
		}
		if !sw.raw.do(ctx, http.MethodGet, "/jobs/"+kind, &list) {
			continue
		}
		for _, j := range list.Records {
			stamp, err := time.Parse("2006-01-02T15:04:05.000-0700", j.SystemModstamp)
			age := time.Since(stamp)
			var old bool
			switch j.State {
			case "JobComplete", "Failed", "Aborted":
				old = err == nil && age >= doneAge
			case "Open":
				old = err == nil && age >= openAge
			}
			if old && j.State == "Open" {
				// Salesforce deletes no Open job: abort it first.
				old = sw.raw.send(ctx, http.MethodPatch, "/jobs/"+kind+"/"+j.ID, map[string]string{"state": "Aborted"}, nil)
			}
			if old && sw.raw.do(ctx, http.MethodDelete, "/jobs/"+kind+"/"+j.ID, nil) {
				sw.deleted++
				continue
			}
			left++
		}
	}
	return left
}

// do sends one request (three tries, a fresh token after a 401) and
// decodes a JSON answer into out.
func (sw *soakRaw) do(ctx context.Context, method, path string, out any) bool {
	return sw.send(ctx, method, path, nil, out)
}

// send is do with a JSON body (in, when not nil).
func (sw *soakRaw) send(ctx context.Context, method, path string, in, out any) bool {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			panic(err)
		}
		body = b
	}
	for range 3 {
		if sw.tok == nil {
			t, err := sw.ts.Token(ctx)
			if err != nil {
				sw.failed++
				continue
			}
			sw.tok = t
		}
		req, err := http.NewRequestWithContext(ctx, method, sw.tok.InstanceURL+"/services/data/v"+sfbulk.DefaultAPIVersion+path, bytes.NewReader(body))
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer "+sw.tok.AccessToken)
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := sw.hc.Do(req)
		if err != nil {
			sw.failed++
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			sw.failed++
		case resp.StatusCode == http.StatusUnauthorized:
			sw.failed++
			if t, err := sw.ts.Refresh(ctx, sw.tok); err == nil {
				sw.tok = t
			} else {
				sw.tok = nil
			}
		case resp.StatusCode >= 300:
			sw.failed++
		case out == nil:
			return true
		default:
			if json.Unmarshal(body, out) == nil {
				return true
			}
			sw.failed++
		}
	}
	return false
}
