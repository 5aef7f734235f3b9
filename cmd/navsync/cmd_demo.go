package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/report"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// runDemo runs the job as far as it is built, the way the real job runs:
// it generates a synthetic world, serves its org records from the
// simulator org on a loopback port, signs in as the admin integration user
// through the OAuth refresh-token flow, extracts the org snapshot through
// Bulk API 2.0 (stage extract), runs the same matching as `navsync match`
// on the extracted snapshot and the world's Sales Navigator exports,
// scores the result against the world's truth and says where the reports
// are and how to open them.
func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("demo", env)
	out := flags.String("out", filepath.Join("out", "demo"), "`DIR` for the extracted org snapshot (crm/), the world's exports and truth (salesnav/, truth/) and the reports (reports/)")
	size := flags.Int("size", 20000, "CRM people in the generated world (Contacts and Leads)")
	seed := flags.Int64("seed", 1, "world seed; the same seed gives the same world")
	faultSpec := flags.String("faults", "", "`SPEC` of the faults the simulator org injects (syntax of navsync sim --faults), e.g. 'unavailable=0.05,drop=0.02,bulk-fail=0.2,session-expiry=2s,seed=7'")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync demo [--out DIR] [--size N] [--seed S] [--faults SPEC]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *size < 100 {
		return usagef("demo: --size %d: want at least 100 people", *size)
	}
	faults, err := sfsim.ParseFaults(*faultSpec)
	if err != nil {
		return usagef("demo: --faults: %v", err)
	}

	began := time.Now()
	t := began
	world, err := fixtures.Generate(fixtures.Options{Seed: *seed, People: *size})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := writeDemoExports(world, *out); err != nil {
		return fmt.Errorf("demo: write world: %w", err)
	}
	env.log.Info("world generated", "dir", *out, "crm_people", *size, "sn_leads", len(world.SNLeads),
		"sn_accounts", len(world.SNAccounts), "took", time.Since(t).Round(time.Millisecond).String())
	fmt.Fprintf(env.stdout, "navsync demo — a synthetic world of %s CRM people (seed %d), generated in %s; Sales Navigator exports and truth in %s\n\n",
		num(int64(*size)), *seed, roundDuration(time.Since(t)), *out)

	t = time.Now()
	org, err := startDemoOrg(env, world, faults)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer org.close()
	seeded := time.Since(t)
	sf, err := org.connect(ctx, env)
	if err != nil {
		return fmt.Errorf("demo: sign in: %w", err)
	}
	fmt.Fprintf(env.stdout, "org       simulator org %s at %s, seeded in %s (faults: %s)\n", sf.Identity().OrgID, org.url, roundDuration(seeded), faultText(faults))
	fmt.Fprintf(env.stdout, "          signed in as the admin integration user through the OAuth refresh-token flow\n\n")

	ex, err := batch.Extract(ctx, sf, batch.ExtractOptions{Dir: *out, Logger: env.log, JobAttempts: 5})
	if err != nil {
		return extractError("demo", err)
	}
	printExtractSummary(env.stdout, ex, sf.Usage(), org.srv.FaultCounts())
	fmt.Fprintln(env.stdout)

	cfg := matchConfig{
		crmDir:   ex.Dir,
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

	truth := world.Truth()
	q := fixtures.ScoreLeads(res.res.Leads, truth)
	qa := fixtures.ScoreCompanies(res.res.Companies, truth)
	fmt.Fprintln(env.stdout)
	printQuality(env.stdout, q, qa)

	matches := filepath.ToSlash(filepath.Join(cfg.outDir, report.MatchesFile))
	fmt.Fprintf(env.stdout, "\nThe reports are Parquet files in %s. Open them with DuckDB, for example:\n", cfg.outDir)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT decision, count(*) FROM '%s' GROUP BY 1\"\n", matches)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT lead_id, crm_id, round(probability, 3) AS p, email_level, last_name_level, current_company_level, reason FROM '%s' WHERE decision = 'possible' LIMIT 10\"\n", matches)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT reason, count(*) FROM '%s' GROUP BY 1\"\n", filepath.ToSlash(filepath.Join(cfg.outDir, report.RejectsFile)))
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT IsConverted, count(*) FROM '%s' GROUP BY 1\"\n",
		filepath.ToSlash(filepath.Join(ex.Dir, "Lead.csv")))
	fmt.Fprintf(env.stdout, "\nnavsync demo finished in %s\n", roundDuration(time.Since(began)))
	return nil
}

// extractError gives an extract failure its exit code: a field missing in
// the org is bad input (5); auth and limit errors map through sfbulk's
// sentinels.
func extractError(cmd string, err error) error {
	err = fmt.Errorf("%s: %w", cmd, err)
	if errors.Is(err, batch.ErrMissingField) {
		return badInput(err)
	}
	return err
}

// writeDemoExports writes the world's Sales Navigator exports and truth into
// out/salesnav/ and out/truth/. Its org records are not written: the demo
// gets them from the simulator org by extract, as the job does.
func writeDemoExports(w *fixtures.World, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(out, ".world-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := w.Write(tmp); err != nil {
		return err
	}
	for _, f := range fixtures.Files() {
		if strings.HasPrefix(f, "crm/") {
			continue
		}
		dst := filepath.Join(out, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(f)), dst); err != nil {
			return err
		}
	}
	return nil
}

// demoOrg is the simulator org serving on a loopback port.
type demoOrg struct {
	srv *sfsim.Server
	hs  *http.Server
	url string
	tok string // folder of the token store
}

// startDemoOrg seeds a simulator org with the world and serves it on
// 127.0.0.1 (a free port).
func startDemoOrg(env *cmdEnv, w *fixtures.World, faults sfsim.Faults) (*demoOrg, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := sfsim.New(sfsim.Options{Logger: env.log.With("component", "sim"), Faults: faults, BaseURL: base})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if err := seedSimWorld(srv, w); err != nil {
		ln.Close()
		srv.Close()
		return nil, fmt.Errorf("simulator: %w", err)
	}
	o := &demoOrg{srv: srv, url: base,
		hs: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: 16384}}
	go o.hs.Serve(ln)
	env.log.Info("simulator org serving", "url", base, "contacts", srv.Count("Contact"), "leads", srv.Count("Lead"),
		"accounts", srv.Count("Account"), "users", srv.Count("User"), "faults", faults.String())
	return o, nil
}

// connect signs in as the org's admin integration user the way a scheduled
// run does: a refresh token from a consent done once sits in a file token
// store (here a temporary folder), and the client mints access tokens from
// it through the OAuth token endpoint.
func (o *demoOrg) connect(ctx context.Context, env *cmdEnv) (*sfbulk.Client, error) {
	admin := o.srv.AdminUser().Username
	_, refresh, err := o.srv.IssueToken(admin) // the one-time consent
	if err != nil {
		return nil, err
	}
	if o.tok, err = os.MkdirTemp("", "navsync-demo-tokens-*"); err != nil {
		return nil, err
	}
	store := sfbulk.UserTokenStore(o.tok, admin)
	if err := store.Save(ctx, &sfbulk.Token{RefreshToken: refresh, Username: admin}); err != nil {
		return nil, err
	}
	app := o.srv.ConnectedApp()
	retry := sfbulk.RetryPolicy{MaxAttempts: 8, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}
	ts, err := sfbulk.NewRefreshTokenSource(sfbulk.OAuthConfig{LoginURL: o.url, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		Logger: env.log, Retry: retry}, store)
	if err != nil {
		return nil, err
	}
	return sfbulk.New(ctx, sfbulk.Config{Logger: env.log, Retry: retry, ExpectOrgID: o.srv.OrgID(),
		PollInterval: 50 * time.Millisecond, MaxPollInterval: time.Second}, ts)
}

func (o *demoOrg) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.hs.Shutdown(ctx); err != nil {
		o.hs.Close()
	}
	o.srv.Close()
	if o.tok != "" {
		os.RemoveAll(o.tok)
	}
}

func faultText(f sfsim.Faults) string {
	if s := f.String(); s != "" {
		return s
	}
	return "none"
}

// printExtractSummary prints rows, Bulk jobs, pages and time per object, the
// API calls the client spent and the faults the org injected.
func printExtractSummary(w io.Writer, ex *batch.ExtractResult, u sfbulk.Usage, faults map[string]int) {
	fmt.Fprintf(w, "extract   %s — Bulk API 2.0 query jobs, %d objects at a time, %s\n", ex.Dir, ex.Concurrency, roundDuration(ex.Took))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  object      \trows\tBulk jobs\tpages\tpage retries\ttook\t")
	var pages, retries int
	for _, o := range ex.Objects {
		fmt.Fprintf(tw, "  %-12s\t%s\t%d\t%d\t%d\t%s\t\n", o.Object, num(o.Rows), o.Jobs, o.Pages, o.PageRetries, roundDuration(o.Took))
		pages += o.Pages
		retries += o.PageRetries
	}
	fmt.Fprintf(tw, "  %-12s\t%s\t%d\t%d\t%d\t%s\t\n", "total", num(ex.Rows()), ex.Jobs(), pages, retries, roundDuration(ex.Took))
	tw.Flush()
	fmt.Fprintf(w, "API calls %s sent (%s retried, %s token refreshes); the org's daily usage at the last answer: %s of %s\n",
		num(u.Calls), num(u.Retries), num(u.Refreshes), num(int64(u.Org.Used)), num(int64(u.Org.Max)))
	if len(faults) > 0 {
		keys := make([]string, 0, len(faults))
		for k := range faults {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, faults[k])
		}
		fmt.Fprintf(w, "faults    injected by the org and ridden through: %s\n", strings.Join(parts, ", "))
	}
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// printQuality prints the quality of the lead and account decisions
// against the world's truth, and the leads per scenario.
func printQuality(w io.Writer, lq fixtures.LeadQuality, aq fixtures.CompanyQuality) {
	n := func(v int) string { return num(int64(v)) }
	q, qa := lq.Total, aq.Total
	fmt.Fprintf(w, "quality against the world's truth (%s leads, %s of them in the org)\n", num(int64(q.Leads)), num(int64(q.InOrg)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  match precision\t%s\t(%s of %s matches right)\n", pct(q.MatchRight, q.Match), n(q.MatchRight), n(q.Match))
	fmt.Fprintf(tw, "  match recall\t%s\t(%s of %s in-org leads matched right)\n", pct(q.MatchRight, q.InOrg), n(q.MatchRight), n(q.InOrg))
	fmt.Fprintf(tw, "  match+possible recall\t%s\t(%s of %s in-org leads found as match or possible)\n", pct(q.Found(), q.InOrg), n(q.Found()), n(q.InOrg))
	fmt.Fprintf(tw, "  not-in-org leads matched\t%s\t(and %s flagged possible)\n", n(q.MatchNotInOrg), n(q.PossibleNotInOrg))
	fmt.Fprintf(tw, "  lead account accuracy\t%s\t(%s of %s leads at a known Account got it; %s got one though their company is not in the org)\n",
		pct(q.AccountRight, q.AccountKnown), n(q.AccountRight), n(q.AccountKnown), n(q.AccountSpurious))
	if qa.Accounts > 0 {
		fmt.Fprintf(tw, "  account accuracy\t%s\t(%s of %s Sales Navigator accounts right; %s of %s matches right)\n",
			pct(qa.Correct, qa.Accounts), n(qa.Correct), n(qa.Accounts), n(qa.MatchRight), n(qa.Match))
	}
	tw.Flush()
	if lq.NotInTruth > 0 {
		fmt.Fprintf(w, "  (%d leads are not in the truth file)\n", lq.NotInTruth)
	}

	names := slices.Sorted(maps.Keys(lq.ByScenario))
	fmt.Fprintln(w, "\nper scenario")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tleads\tmatch right\tmatch wrong\tpossible right\tother\t")
	for _, s := range names {
		sq := lq.ByScenario[s]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", s, sq.Leads, sq.MatchRight, sq.MatchWrong(), sq.PossibleRight, sq.Other())
	}
	tw.Flush()
}
