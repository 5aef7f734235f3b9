package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch/input"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

// runDemo is the interim demo (until the full job exists): it generates a
// synthetic world into files, runs the same code as `navsync match` on
// them, scores the result against the world's truth and says where the
// reports are and how to open them.
func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("demo", env)
	out := flags.String("out", filepath.Join("out", "demo"), "`DIR` for the world (crm/, salesnav/, truth/) and its reports (reports/)")
	size := flags.Int("size", 20000, "CRM people in the generated world (Contacts and Leads)")
	seed := flags.Int64("seed", 1, "world seed; the same seed gives the same world")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync demo [--out DIR] [--size N] [--seed S]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *size < 100 {
		return usagef("demo: --size %d: want at least 100 people", *size)
	}

	t := time.Now()
	world, err := fixtures.Generate(fixtures.Options{Seed: *seed, People: *size})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := world.Write(*out); err != nil {
		return fmt.Errorf("demo: write world: %w", err)
	}
	env.log.Info("world written", "dir", *out, "crm_people", *size, "sn_leads", len(world.SNLeads),
		"sn_accounts", len(world.SNAccounts), "took", time.Since(t).Round(time.Millisecond).String())
	fmt.Fprintf(env.stdout, "navsync demo — a synthetic world of %s CRM people (seed %d), generated in %s into %s\n\n",
		num(int64(*size)), *seed, roundDuration(time.Since(t)), *out)

	cfg := matchConfig{
		crmDir:   filepath.Join(*out, "crm"),
		leads:    []string{filepath.Join(*out, "salesnav", "leads.csv")},
		accounts: []string{filepath.Join(*out, "salesnav", "accounts.csv")},
		outDir:   filepath.Join(*out, "reports"),
		runID:    newRunID(time.Now()),
		opts:     matcher.DefaultOptions(),
	}
	res, err := doMatch(ctx, env.log, cfg)
	if err != nil {
		return err
	}
	printMatchSummary(env.stdout, res)

	leadTruth, err := input.ReadLeadTruth(ctx, filepath.Join(*out, "truth", "leads.csv"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	accTruth, err := input.ReadAccountTruth(ctx, filepath.Join(*out, "truth", "accounts.csv"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	q := scoreLeads(res.res.Leads, leadTruth)
	qa := scoreCompanies(res.res.Companies, accTruth)
	fmt.Fprintln(env.stdout)
	printQuality(env.stdout, q, qa)

	matches := filepath.ToSlash(filepath.Join(cfg.outDir, report.MatchesFile))
	fmt.Fprintf(env.stdout, "\nThe reports are Parquet files in %s. Open them with DuckDB, for example:\n", cfg.outDir)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT decision, count(*) FROM '%s' GROUP BY 1\"\n", matches)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT lead_id, crm_id, round(probability, 3) AS p, email_level, last_name_level, current_company_level, reason FROM '%s' WHERE decision = 'possible' LIMIT 10\"\n", matches)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT reason, count(*) FROM '%s' GROUP BY 1\"\n", filepath.ToSlash(filepath.Join(cfg.outDir, report.RejectsFile)))
	return nil
}

// leadQuality scores lead decisions against a world's truth.
type leadQuality struct {
	leads, inOrg     int
	matched          int // decision match
	matchedRight     int // ... to one of the right CRM ids
	foundRight       int // match or possible, to a right id
	falseNotInOrg    int // match for a lead that is not in the org
	possibleNotInOrg int // possible for a lead that is not in the org (review work for nothing)
	accountKnown     int // leads whose company is a CRM Account
	accountRight     int // ... and whose account_id is that Account
	accountSpurious  int // account_id set though the company is not in the org
	scenarios        map[string]*scenarioQuality
	missingFromTruth int
}

type scenarioQuality struct {
	n, matchRight, matchWrong, possibleRight, other int
}

func scoreLeads(results []matcher.LeadResult, truth map[string]input.LeadTruth) leadQuality {
	q := leadQuality{scenarios: map[string]*scenarioQuality{}}
	for _, r := range results {
		t, ok := truth[r.LeadID]
		if !ok {
			q.missingFromTruth++
			continue
		}
		q.leads++
		sq := q.scenarios[t.Scenario]
		if sq == nil {
			sq = &scenarioQuality{}
			q.scenarios[t.Scenario] = sq
		}
		sq.n++
		right := r.CRMID != "" && slices.Contains(t.CRMIDs, r.CRMID)
		if len(t.CRMIDs) > 0 {
			q.inOrg++
		}
		switch {
		case r.Decision == matcher.DecisionMatch && right:
			q.matched++
			q.matchedRight++
			q.foundRight++
			sq.matchRight++
		case r.Decision == matcher.DecisionMatch:
			q.matched++
			sq.matchWrong++
			if len(t.CRMIDs) == 0 {
				q.falseNotInOrg++
			}
		case r.Decision == matcher.DecisionPossible && right:
			q.foundRight++
			sq.possibleRight++
		case r.Decision == matcher.DecisionPossible && len(t.CRMIDs) == 0:
			q.possibleNotInOrg++
			sq.other++
		default:
			sq.other++
		}
		if t.AccountID != "" {
			q.accountKnown++
			if r.AccountID == t.AccountID {
				q.accountRight++
			}
		} else if r.AccountID != "" {
			q.accountSpurious++
		}
	}
	return q
}

// companyQuality scores Sales Navigator account decisions.
type companyQuality struct {
	accounts, inOrg, matched, matchedRight, correct int
}

// scoreCompanies counts a company as correct when it is matched to its
// Account, or not matched when it is not in the org.
func scoreCompanies(results []matcher.CompanyResult, truth map[string]input.AccountTruth) companyQuality {
	var q companyQuality
	for _, r := range results {
		t, ok := truth[r.AccountID]
		if !ok {
			continue
		}
		q.accounts++
		if t.CRMAccountID != "" {
			q.inOrg++
		}
		isMatch := r.Decision == matcher.DecisionMatch
		if isMatch {
			q.matched++
			if r.CRMAccountID == t.CRMAccountID {
				q.matchedRight++
			}
		}
		if (isMatch && r.CRMAccountID == t.CRMAccountID) || (!isMatch && t.CRMAccountID == "") {
			q.correct++
		}
	}
	return q
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func printQuality(w io.Writer, q leadQuality, qa companyQuality) {
	n := func(v int) string { return num(int64(v)) }
	fmt.Fprintf(w, "quality against the world's truth (%s leads, %s of them in the org)\n", num(int64(q.leads)), num(int64(q.inOrg)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  match precision\t%s\t(%s of %s matches right)\n", pct(q.matchedRight, q.matched), n(q.matchedRight), n(q.matched))
	fmt.Fprintf(tw, "  match recall\t%s\t(%s of %s in-org leads matched right)\n", pct(q.matchedRight, q.inOrg), n(q.matchedRight), n(q.inOrg))
	fmt.Fprintf(tw, "  match+possible recall\t%s\t(%s of %s in-org leads found as match or possible)\n", pct(q.foundRight, q.inOrg), n(q.foundRight), n(q.inOrg))
	fmt.Fprintf(tw, "  not-in-org leads matched\t%s\t(and %s flagged possible)\n", n(q.falseNotInOrg), n(q.possibleNotInOrg))
	fmt.Fprintf(tw, "  lead account accuracy\t%s\t(%s of %s leads at a known Account got it; %s got one though their company is not in the org)\n",
		pct(q.accountRight, q.accountKnown), n(q.accountRight), n(q.accountKnown), n(q.accountSpurious))
	if qa.accounts > 0 {
		fmt.Fprintf(tw, "  account accuracy\t%s\t(%s of %s Sales Navigator accounts right; %s of %s matches right)\n",
			pct(qa.correct, qa.accounts), n(qa.correct), n(qa.accounts), n(qa.matchedRight), n(qa.matched))
	}
	tw.Flush()
	if q.missingFromTruth > 0 {
		fmt.Fprintf(w, "  (%d leads are not in the truth file)\n", q.missingFromTruth)
	}

	names := make([]string, 0, len(q.scenarios))
	for s := range q.scenarios {
		names = append(names, s)
	}
	slices.Sort(names)
	fmt.Fprintln(w, "\nper scenario")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tleads\tmatch right\tmatch wrong\tpossible right\tother\t")
	for _, s := range names {
		sq := q.scenarios[s]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", s, sq.n, sq.matchRight, sq.matchWrong, sq.possibleRight, sq.other)
	}
	tw.Flush()
}
