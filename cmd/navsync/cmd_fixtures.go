package main

import (
	"context"
	"fmt"
	"time"

	"github.com/navsync/navsync/fixtures"
)

// runFixtures writes a synthetic world (org CSVs, Sales Navigator exports,
// ground truth) into a folder.
func runFixtures(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("fixtures", env)
	size := fs.Int("size", 20000, "number of CRM people (Contacts + Leads)")
	seed := fs.Int64("seed", 1, "random seed; the same seed and sizes give the same files")
	out := fs.String("out", "", "output folder (created if missing; files in it are replaced)")
	snLeads := fs.Int("sn-leads", 0, "Sales Navigator leads (default size/2)")
	accounts := fs.Int("accounts", 0, "Accounts (default size/10, at least 5)")
	snAccounts := fs.Int("sn-accounts", 0, "Sales Navigator accounts (default accounts/4)")
	users := fs.Int("users", 0, "Users (default max(12, size/2000))")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync fixtures --size N --seed S --out DIR [--sn-leads N] [--accounts N] [--sn-accounts N] [--users N]")
		fmt.Fprintln(env.stderr, "\nWrites crm/{Account,Contact,Lead,User,Opportunity}.csv (Bulk 2.0 CSV), salesnav/leads.csv,")
		fmt.Fprintln(env.stderr, "salesnav/accounts.csv and truth/{leads,accounts}.csv.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("fixtures: --out is required")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"size", *size}, {"sn-leads", *snLeads}, {"accounts", *accounts}, {"sn-accounts", *snAccounts}, {"users", *users}} {
		if f.v < 0 {
			return usagef("fixtures: --%s must not be negative", f.name)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	w, err := fixtures.Generate(fixtures.Options{
		Seed: *seed, People: *size, Accounts: *accounts, SNLeads: *snLeads, SNAccounts: *snAccounts, Users: *users,
	})
	if err != nil {
		return usagef("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.Write(*out); err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	env.log.Debug("fixtures written", "seconds", time.Since(start).Seconds())
	fmt.Fprintf(env.stdout, "fixtures: seed %d: %d accounts, %d contacts, %d leads, %d users, %d opportunities, %d Sales Navigator leads (%d in the org), %d Sales Navigator accounts -> %s\n",
		*seed, len(w.Accounts), len(w.Contacts), len(w.Leads), len(w.Users), len(w.Opportunities),
		len(w.SNLeads), w.InOrgLeads(), len(w.SNAccounts), *out)
	return nil
}
