package sfsim

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// served is a Server answering through Serve on a loopback listener for the
// length of one test (what httptest.Server gave the tests before).
type served struct {
	URL string
	hc  *http.Client
}

// Client is an HTTP client for the server, closed with the test.
func (s *served) Client() *http.Client { return s.hc }

// serve runs s.Serve until the test ends and checks it stops cleanly.
func serve(t testing.TB, s *Server) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		tr.CloseIdleConnections()
	})
	return &served{URL: "http://" + ln.Addr().String(), hc: &http.Client{Transport: tr}}
}

func TestServe(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	get := func(path string, hdr http.Header) (int, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		_, err = io.Copy(io.Discard, res.Body)
		return res.StatusCode, err
	}
	if code, err := get("/services/data", nil); err != nil || code != 200 {
		t.Fatalf("versions: %d %v", code, err)
	}
	// Headers past Salesforce's 16,384 bytes (plus net/http's slack) get 431.
	if code, err := get("/services/data", http.Header{"X-Big": {strings.Repeat("a", 24<<10)}}); err != nil || code != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized headers: %d %v, want 431", code, err)
	}

	// A request in flight when ctx ends is answered before Serve returns.
	s.SetFaults(Faults{Latency: 300 * time.Millisecond})
	inflight := make(chan int, 1)
	go func() {
		code, err := get("/services/data", nil)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		inflight <- code
	}()
	waitFor(t, func() bool { return s.FaultCounts()["latency"] > 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after a clean shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx was done")
	}
	if code := <-inflight; code != 200 {
		t.Fatalf("in-flight request: %d", code)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("the listener still accepts after Serve returned")
	}
}

// TestServeShutdownBounded: a request that does not finish cannot hold
// Serve past its grace period.
func TestServeShutdownBounded(t *testing.T) {
	old := shutdownGrace
	shutdownGrace = 100 * time.Millisecond
	defer func() { shutdownGrace = old }()
	s, err := New(Options{Faults: Faults{Latency: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	reqErr := make(chan error, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/services/data")
		if err == nil {
			res.Body.Close()
		}
		reqErr <- err
	}()
	waitFor(t, func() bool { return s.FaultCounts()["latency"] > 0 })
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve waited for a request that never ends")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with a %v grace", d, shutdownGrace)
	}
	if err := <-reqErr; err == nil {
		t.Error("the hanging request got an answer; want its connection closed")
	}
}

// TestServeListenerError: Serve reports a listener that fails.
func TestServeListenerError(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), ln) }()
	ln.Close()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve on a closed listener: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not notice its listener closing")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
