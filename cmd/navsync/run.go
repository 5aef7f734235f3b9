package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/sfbulk"
	"golang.org/x/term"
)

// Exit codes, documented in the README ("Exit codes").
const (
	exitOK          = 0   // the command did what it was asked
	exitFailure     = 1   // any other failure
	exitUsage       = 2   // bad flags or arguments
	exitAuthRevoked = 3   // a refresh token or login was refused: re-consent needed
	exitLimits      = 4   // a Salesforce API limit or a configured budget is spent
	exitBadInput    = 5   // a config, schema or input file is wrong; nothing was written
	exitBrake       = 6   // the safety brake stopped an oversized plan; nothing was written
	exitLocked      = 7   // another navsync process holds the state store's lock
	exitInterrupted = 130 // SIGINT/SIGTERM stopped the run
)

// usageError marks an error as a command-line mistake (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// inputError marks an error as bad configuration or input (exit code 5).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err: err}
}

// command is one navsync subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what every subcommand gets: its output streams and a logger.
type cmdEnv struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

var commands = map[string]command{
	"sim":      {"run the simulator org as a standalone server", runSim},
	"fixtures": {"write a synthetic world (org CSVs, Sales Navigator exports, truth) to files", runFixtures},
	"match":    {"offline matching of an org snapshot against Sales Navigator exports", runMatch},
	"demo":     {"run the whole job (dry run, real run, rerun) against an embedded simulator org", runDemo},
	"run":      {"run the job once from a config: extract, match, plan, write back, report (--dry-run writes nothing)", runRun},
	"schedule": {"stay up and run the job on the config's cron schedule", runSchedule},
	"auth":     {"lead owners' sign-in for contact creation: login, list, revoke (refresh tokens, 0600)", runAuth},
	"doctor":   {"preflight checks of a config against the org, each with its fix (exit 1 when one fails)", runDoctor},
}

// Run parses the global flags and runs one subcommand.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("navsync", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	logFormat := global.String("log-format", "", "log format: text or json (default text on a terminal, json otherwise)")
	logLevel := global.String("log-level", "info", "log level: debug, info, warn, error")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil
		}
		return usagef("%v", err)
	}
	rest := global.Args()
	if len(rest) == 0 {
		printUsage(stderr)
		return usagef("no command given")
	}
	name := rest[0]
	if name == "help" || name == "-h" || name == "--help" {
		printUsage(stdout)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		printUsage(stderr)
		return usagef("unknown command %q", name)
	}
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	return cmd.run(ctx, &cmdEnv{stdout: stdout, stderr: stderr, log: logger}, rest[1:])
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", format)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: navsync [--log-format text|json] [--log-level L] <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'navsync <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set for a subcommand that reports errors as
// usage errors and prints its help on -h.
func newFlagSet(name string, env *cmdEnv) *flag.FlagSet {
	fs := flag.NewFlagSet("navsync "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// parseFlags parses a subcommand's flags; -h yields flag.ErrHelp, which Run's
// caller maps to exit 0.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// stringList is a repeatable flag (--leads a.csv --leads b.csv, or --leads a.csv,b.csv).
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// exitCode maps an error from Run to the documented exit codes and prints it.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "navsync:", err)
	var ue *usageError
	var ie *inputError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, sfbulk.ErrAuthRevoked):
		return exitAuthRevoked
	case errors.Is(err, sfbulk.ErrLimitExhausted), errors.Is(err, sfbulk.ErrBudgetExhausted):
		return exitLimits
	case errors.As(err, &ie), errors.Is(err, batch.ErrConfig), errors.Is(err, batch.ErrBadInput), errors.Is(err, batch.ErrMissingField):
		return exitBadInput
	case errors.Is(err, batch.ErrBrake):
		return exitBrake
	case errors.Is(err, state.ErrLocked):
		return exitLocked
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}
