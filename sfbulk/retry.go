package sfbulk

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// RetryPolicy is exponential backoff with full jitter. The zero value means
// DefaultRetryPolicy().
type RetryPolicy struct {
	// MaxAttempts counts the first attempt (so 6 means up to 5 retries).
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps a server's Retry-After (default MaxDelay*4).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 6 attempts, 500ms doubling up to 30s, Retry-After
// honoured up to 2 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 6, BaseDelay: 500 * time.Millisecond, MaxDelay: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.BaseDelay > 0 {
		d.BaseDelay = p.BaseDelay
	}
	if p.MaxDelay > 0 {
		d.MaxDelay = p.MaxDelay
	}
	if d.MaxDelay < d.BaseDelay {
		d.MaxDelay = d.BaseDelay
	}
	d.MaxRetryAfter = p.MaxRetryAfter
	if d.MaxRetryAfter <= 0 {
		d.MaxRetryAfter = 4 * d.MaxDelay
	}
	return d
}

// Backoff returns the delay before retry number n (1 for the first retry):
// a uniformly random duration in [d/2, d] with d = BaseDelay*2^(n-1) capped at
// MaxDelay. A positive retryAfter from the server wins when it is longer
// (capped at MaxRetryAfter).
func (p RetryPolicy) Backoff(n int, retryAfter time.Duration) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	d = half + time.Duration(rand.Int64N(int64(half)+1))
	if retryAfter > d {
		d = min(retryAfter, p.MaxRetryAfter)
	}
	return d
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After header: delta seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transientNetErr reports whether a transport error is worth retrying:
// connection resets and refusals, unexpected EOFs, timeouts. Context
// cancellation is not.
func transientNetErr(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // timeouts and other network-level failures
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
