// Command navsync keeps a Salesforce org and LinkedIn Sales Navigator in step.
//
// main is a shim: it sets up the signal context, calls Run and maps the
// returned error to one of the exit codes documented in the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(ctx, err, os.Stderr))
}
