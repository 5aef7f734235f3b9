package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/navsync/navsync/batch/input"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "indep:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("indep", flag.ContinueOnError)
	seed := fl.Uint64("seed", 1, "world seed")
	n := fl.Int("leads", 5000, "Sales Navigator leads (the org holds about 1.6 people a lead)")
	missed := fl.String("missed", "", "also print up to 10 leads of this `CASE` not matched to their person (of the org) or given a CRM record (not of the org)")
	out := fl.String("out", "", "`DIR` to keep the world's files in (default: a temporary folder, removed)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *n < 100 {
		return fmt.Errorf("--leads %d: want at least 100", *n)
	}
	dir := *out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "indep-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	s, in, err := evaluate(ctx, *seed, *n, dir, stdout)
	if err != nil {
		return err
	}
	if *missed != "" {
		s.printMissed(stdout, in, *missed, 40)
	}
	return nil
}

// evaluate generates a world into dir, matches it and prints the scores.
func evaluate(ctx context.Context, seed uint64, n int, dir string, stdout io.Writer) (*summary, *input.Inputs, error) {
	t := time.Now()
	w := build(seed, n)
	w.makeLeads(n)
	if err := w.write(dir); err != nil {
		return nil, nil, fmt.Errorf("write: %w", err)
	}
	gen := time.Since(t)
	t = time.Now()
	in, res, err := readAndMatch(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(stdout, "independent world: seed %d, %d leads, %d CRM people (%d records), %d accounts; generated in %s, read+matched in %s\n",
		seed, n, len(w.people), len(w.records), len(w.accounts), gen.Round(time.Millisecond), time.Since(t).Round(time.Millisecond))
	s := score(w, in, res)
	s.print(stdout, in)
	return s, in, nil
}
