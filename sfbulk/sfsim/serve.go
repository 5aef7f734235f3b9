package sfsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Limits of the HTTP server Serve runs.
const (
	// maxHeaderBytes: Salesforce caps the URI plus headers at 16,384 bytes
	// (431 beyond; net/http allows a little slack over this value).
	maxHeaderBytes = 16384
	// readHeaderTimeout bounds a client that opens a connection and sends
	// its headers slowly.
	readHeaderTimeout = 30 * time.Second
	// idleTimeout closes keep-alive connections nobody uses.
	idleTimeout = 2 * time.Minute
)

// shutdownGrace is how long Serve lets in-flight requests finish once its
// context is done before it closes their connections (a variable so tests
// can shorten it).
var shutdownGrace = 5 * time.Second

// Serve answers on ln with the org's Handler until ctx is done, then shuts
// down gracefully: it stops accepting, lets requests in flight finish for up
// to 5 seconds and then closes the connections still open (a client
// streaming a large result, say). It returns nil after a shutdown asked for
// by ctx, or the error that stopped serving before that. ln is closed on
// return; the Server itself is not (call Close).
//
// The HTTP server has a 30-second header read timeout, caps the request
// line plus headers at 16,384 bytes as Salesforce does (431 beyond) and
// closes idle keep-alive connections after 2 minutes; its own errors go to
// Options.Logger at debug level. Request bodies are read under the
// Handler's own deadline (30 seconds, then at least 64 KiB/s on average;
// 408 beyond), so a client that stalls in its body cannot hold a
// connection, while a 112 MB Bulk upload may take half an hour.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		// Serve never returns nil; ErrServerClosed cannot happen here as
		// nothing else shuts hs down.
		return fmt.Errorf("sfsim: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("sfsim: requests still running at shutdown; closing their connections", "grace", shutdownGrace.String())
		_ = hs.Close() // its only error is closing the listener Shutdown closed
		err = nil
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("sfsim: shutdown: %w", err)
	}
	return nil
}
