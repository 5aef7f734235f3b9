package sfsim

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults are failures injected on demand. Probabilities are per request
// (0 off, 1 always).
type Faults struct {
	Unavailable   float64       // 503 SERVER_UNAVAILABLE
	Lock          float64       // UNABLE_TO_LOCK_ROW on writes (REST, collections, each 200-row chunk of an ingest job)
	Drop          float64       // connection closed mid-response
	BulkFail      float64       // share of Bulk 2.0 query and ingest jobs that end Failed
	Limit         float64       // 403 REQUEST_LIMIT_EXCEEDED (ConcurrentPerOrgLongTxn)
	Latency       time.Duration // added to every request
	SessionExpiry time.Duration // access tokens expire this long after issue
	Seed          uint64        // seeds the dice (0: fixed default seed)
}

// ErrFaultSpec is wrapped by ParseFaults errors.
var ErrFaultSpec = errors.New("bad fault spec")

// ParseFaults reads the --faults syntax:
// "unavailable=0.05,lock=0.02,latency=20ms,drop=0.01,session-expiry=30s,bulk-fail=0.1,limit=0.01,seed=7".
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Faults{}, fmt.Errorf("%w: %q: want key=value", ErrFaultSpec, part)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		prob := func(dst *float64) error {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p < 0 || p > 1 {
				return fmt.Errorf("%w: %s=%q: want a probability between 0 and 1", ErrFaultSpec, k, v)
			}
			*dst = p
			return nil
		}
		dur := func(dst *time.Duration) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%w: %s=%q: want a duration such as 20ms", ErrFaultSpec, k, v)
			}
			*dst = d
			return nil
		}
		var err error
		switch k {
		case "unavailable":
			err = prob(&f.Unavailable)
		case "lock":
			err = prob(&f.Lock)
		case "drop":
			err = prob(&f.Drop)
		case "bulk-fail":
			err = prob(&f.BulkFail)
		case "limit":
			err = prob(&f.Limit)
		case "latency":
			err = dur(&f.Latency)
		case "session-expiry":
			err = dur(&f.SessionExpiry)
			if err == nil && f.SessionExpiry == 0 {
				err = fmt.Errorf("%w: session-expiry must be positive", ErrFaultSpec)
			}
		case "seed":
			f.Seed, err = strconv.ParseUint(v, 10, 64)
			if err != nil {
				err = fmt.Errorf("%w: seed=%q: want an unsigned integer", ErrFaultSpec, v)
			}
		default:
			err = fmt.Errorf("%w: unknown fault %q (want unavailable, lock, latency, drop, session-expiry, bulk-fail, limit, seed)", ErrFaultSpec, k)
		}
		if err != nil {
			return Faults{}, err
		}
	}
	return f, nil
}

// String renders the spec ParseFaults reads.
func (f Faults) String() string {
	var parts []string
	add := func(k string, p float64) {
		if p > 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	add("unavailable", f.Unavailable)
	add("lock", f.Lock)
	add("drop", f.Drop)
	add("bulk-fail", f.BulkFail)
	add("limit", f.Limit)
	if f.Latency > 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	if f.SessionExpiry > 0 {
		parts = append(parts, "session-expiry="+f.SessionExpiry.String())
	}
	if f.Seed != 0 {
		parts = append(parts, "seed="+strconv.FormatUint(f.Seed, 10))
	}
	return strings.Join(parts, ",")
}

type faultState struct {
	mu     sync.Mutex
	f      Faults
	rng    *rand.Rand
	counts map[string]int // injected faults by kind
}

func newFaultState(f Faults) *faultState {
	fs := &faultState{counts: map[string]int{}}
	fs.set(f)
	return fs
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
	seed := f.Seed
	if seed == 0 {
		seed = 0x5f5f
	}
	fs.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// roll draws once against the probability pick selects, counting hits.
func (fs *faultState) roll(kind string, pick func(*Faults) float64) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	p := pick(&fs.f)
	hit := p >= 1 || (p > 0 && fs.rng.Float64() < p)
	if hit {
		fs.counts[kind]++
	}
	return hit
}

func (fs *faultState) count(kind string) {
	fs.mu.Lock()
	fs.counts[kind]++
	fs.mu.Unlock()
}

// FaultCounts reports how many faults of each kind were injected so far
// (keys as in the --faults spec: unavailable, lock, drop, bulk-fail, limit,
// latency, session-expiry).
func (s *Server) FaultCounts() map[string]int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make(map[string]int, len(s.faults.counts))
	for k, v := range s.faults.counts {
		out[k] = v
	}
	return out
}

// SetFaults replaces the injected faults (and reseeds the dice).
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

// Faults returns the faults in force.
func (s *Server) Faults() Faults { return s.faults.get() }

// applyFaults adds latency, answers 503 or arms a connection drop. It
// returns the writer to use and whether to go on.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, bool) {
	f := s.faults.get()
	if f.Latency > 0 {
		s.faults.count("latency")
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return w, false
		}
	}
	if s.faults.roll("unavailable", func(f *Faults) float64 { return f.Unavailable }) {
		w.Header().Set("Retry-After", "1")
		writeAPIError(w, &apiError{status: 503, code: "SERVER_UNAVAILABLE", message: "Server Unavailable", noField: true})
		return w, false
	}
	if s.faults.roll("drop", func(f *Faults) float64 { return f.Drop }) {
		return &dropWriter{ResponseWriter: w}, true
	}
	return w, true
}

// dropWriter lets the status line and part of the first body write through,
// then closes the connection (panic(http.ErrAbortHandler)), so the client
// sees a truncated body or no response at all.
type dropWriter struct {
	http.ResponseWriter
	wroteHeader bool
	status      int
}

func (d *dropWriter) WriteHeader(code int) {
	if d.wroteHeader {
		return
	}
	d.wroteHeader = true
	d.status = code
	if code == http.StatusNoContent || code == http.StatusNotModified || code < 200 {
		d.abort()
	}
	// Never announce a length: the body will be cut.
	d.ResponseWriter.Header().Del("Content-Length")
	d.ResponseWriter.WriteHeader(code)
}

func (d *dropWriter) Write(p []byte) (int, error) {
	if !d.wroteHeader {
		d.WriteHeader(http.StatusOK)
	}
	half := len(p) / 2
	if half > 0 {
		_, _ = d.ResponseWriter.Write(p[:half])
	}
	if fl, ok := d.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
	d.abort()
	return 0, nil
}

func (d *dropWriter) abort() {
	// net/http closes the connection on this panic after flushing what was
	// written, without the chunked terminator.
	panic(http.ErrAbortHandler)
}

// Flush passes through (streamed results).
func (d *dropWriter) Flush() {
	if fl, ok := d.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Hijack is not offered to handlers.
func (d *dropWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("sfsim: hijack not supported")
}
