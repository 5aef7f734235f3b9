package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// runDemo runs the whole job against the embedded simulator org, the way an
// admin would run it against a real org: it generates a synthetic world,
// serves its org records from the simulator on a loopback port (with an
// active Lead assignment rule, as many orgs have), writes a navsync.yaml
// pointing at it (as navsync sim --write-config does), and then runs
// navsync run three times from that config: a dry run, the real run, and a
// second real run that has nothing left to write. It scores the matches and
// the writebacks against the world's truth and says where the reports are.
func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("demo", env)
	out := flags.String("out", filepath.Join("out", "demo"), "`DIR` for the config, the world's exports and truth, the state store, work folders and reports")
	size := flags.Int("size", 20000, "CRM people in the generated world (Contacts and Leads)")
	seed := flags.Int64("seed", 1, "world seed; the same seed gives the same world")
	faultSpec := flags.String("faults", "", "`SPEC` of the faults the simulator org injects (syntax of navsync sim --faults), e.g. 'unavailable=0.05,lock=0.02,drop=0.02,bulk-fail=0.2,session-expiry=2s,seed=7'")
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
	// A demo folder holds one demo: a rerun starts from a fresh org, so
	// the previous state store, work folders and reports go.
	for _, d := range []string{"reports", "work", "tokens", "navsync.db", "navsync.db-wal", "navsync.db-shm"} {
		os.RemoveAll(filepath.Join(*out, d))
	}

	began := time.Now()
	world, err := fixtures.Generate(fixtures.Options{Seed: *seed, People: *size})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := writeDemoExports(world, *out); err != nil {
		return fmt.Errorf("demo: write world: %w", err)
	}
	fmt.Fprintf(env.stdout, "navsync demo — a synthetic world of %s CRM people (seed %d), generated in %s; Sales Navigator exports and truth in %s\n",
		num(int64(*size)), *seed, roundDuration(time.Since(began)), *out)

	// The simulator org on a loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := sfsim.New(sfsim.Options{Logger: env.log.With("component", "sim"), Faults: faults, BaseURL: base,
		LeadAssignmentRule: sfsim.LeadQueue})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: simulator: %w", err)
	}
	defer srv.Close()
	if err := seedSimWorld(srv, world); err != nil {
		ln.Close()
		return fmt.Errorf("demo: simulator: %w", err)
	}
	simCtx, stopSim := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(simCtx, ln) }()
	defer func() { stopSim(); <-served }()
	owners := leadOwners(srv)

	// The config, as navsync sim --write-config writes it.
	admin := srv.AdminUser().Username
	_, refresh, err := srv.IssueToken(admin) // the integration user's one-time consent
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	app := srv.ConnectedApp()
	cfgPath := filepath.Join(*out, "navsync.yaml")
	if err := writeSimConfig(ctx, cfgPath, simConfig{loginURL: base, orgID: srv.OrgID(), clientID: app.ClientID,
		clientSecret: app.ClientSecret, username: admin, refreshToken: refresh, worldDir: *out, srv: srv}); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg, err := batch.Load(cfgPath)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(env.stdout, "org       simulator org %s at %s with an active Lead assignment rule (faults: %s)\n", srv.OrgID(), base, faultText(faults))
	fmt.Fprintf(env.stdout, "config    %s (the integration user signs in through the OAuth refresh-token flow)\n", cfgPath)

	runs := []struct {
		title string
		dry   bool
	}{
		{"1. navsync run --dry-run: every stage, every report, no write", true},
		{"2. navsync run: the real run writes the matches back", false},
		{"3. navsync run again: nothing is sent twice", false},
	}
	var real *batch.RunResult
	for i, r := range runs {
		fmt.Fprintf(env.stdout, "\n── %s\n", r.title)
		res, err := runDemoJob(ctx, env, cfg, r.dry)
		if res != nil && res.Match != nil {
			printRunSummary(env.stdout, res)
		}
		if err != nil {
			return fmt.Errorf("demo: run %d: %w", i+1, err)
		}
		if i == 1 {
			real = res
		}
		if i == 0 && cfg.Contacts.Enabled {
			if err := seedNearQuota(ctx, env.stdout, cfg, res); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
	}

	fmt.Fprintln(env.stdout)
	truth := world.Truth()
	printQuality(env.stdout, fixtures.ScoreLeads(real.Match.Leads, truth), fixtures.ScoreCompanies(real.Match.Companies, truth))
	printWritebackCheck(env.stdout, real, truth, srv, owners)

	reports := displayPath(cfg.Reports.Dir)
	fmt.Fprintf(env.stdout, "\nThe reports are Hive-partitioned Parquet under %s (one folder per run). Open them with DuckDB, for example:\n", reports)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT run_id, dry_run, action, status, count(*) FROM read_parquet('%s/*/*/actions.parquet', hive_partitioning=true) GROUP BY ALL ORDER BY 1\"\n", reports)
	fmt.Fprintf(env.stdout, "  duckdb -c \"SELECT lead_id, crm_id, round(probability, 3) AS p, email_level, last_name_level, current_company_level, reason FROM '%s/matches.parquet' WHERE decision = 'possible' LIMIT 10\"\n", displayPath(real.ReportDir))
	fmt.Fprintf(env.stdout, "The review page (charts, the possible pairs to settle by hand, reviews.csv for the next run's --reviews): %s\n",
		displayPath(filepath.Join(real.ReportDir, batch.PageFile)))
	fmt.Fprintf(env.stdout, "Run it yourself against the same kind of org: navsync sim --write-config my.yaml, then navsync run --config my.yaml --dry-run\n")
	fmt.Fprintf(env.stdout, "\nnavsync demo finished in %s\n", roundDuration(time.Since(began)))
	return nil
}

// runDemoJob is one navsync run of the demo, logging like navsync run.
func runDemoJob(ctx context.Context, env *cmdEnv, cfg *batch.Config, dry bool) (*batch.RunResult, error) {
	return batch.Run(ctx, batch.RunOptions{Config: cfg, DryRun: dry, Command: "demo", Log: env.log, Progress: progressFor(env)})
}

// leadOwners is every Lead's owner, to show the assignment rule changed none.
func leadOwners(srv *sfsim.Server) map[string]string {
	m := map[string]string{}
	for _, r := range srv.Records("Lead") {
		m[r["Id"]] = r["OwnerId"]
	}
	return m
}

// printWritebackCheck checks the real run's writebacks against the truth
// and the org: each on a right record, none twice, no Lead owner changed.
func printWritebackCheck(w io.Writer, res *batch.RunResult, truth *fixtures.Truth, srv *sfsim.Server, owners map[string]string) {
	var links []fixtures.Link
	redirected := 0
	for i, a := range res.Actions {
		if a.Kind != batch.KindWriteback || a.Skip || res.Outcomes[i].Status != batch.StatusDone {
			continue
		}
		links = append(links, fixtures.Link{CRMID: a.TargetID, LeadID: a.LeadID})
		if a.MatchedID != a.TargetID {
			redirected++
		}
	}
	c := truth.CheckLinks(links)
	changed := 0
	for id, owner := range leadOwners(srv) {
		if owners[id] != owner {
			changed++
		}
	}
	fmt.Fprintf(w, "\nwritebacks against the truth and the org\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  written back\t%s\t(%s of them to the Contact a converted Lead became)\n", num(int64(c.Links)), num(int64(redirected)))
	fmt.Fprintf(tw, "  on the right record\t%s\t(%s of %s; %s wrong, %s records carrying two leads)\n", pct(c.Right, c.Links), num(int64(c.Right)),
		num(int64(c.Links)), num(int64(len(c.Wrong))), num(int64(len(c.Shared))))
	fmt.Fprintf(tw, "  Lead owners changed\t%s\t(the org's Lead assignment rule is active; navsync sends Sforce-Auto-Assign: FALSE)\n", num(int64(changed)))
	tw.Flush()

	// Contacts created on behalf of owners: on the lead's Account, created
	// by the lead's owner, one per lead.
	var made, rightAccount, rightOwner, notInOrg int
	perLead := map[string]int{}
	for i, a := range res.Actions {
		if a.Kind != batch.KindCreateContact || res.Outcomes[i].Status != batch.StatusDone {
			continue
		}
		made++
		lt := truth.Leads[a.LeadID]
		rec, _ := srv.Get("Contact", a.TargetID)
		if rec["AccountId"] == lt.AccountID {
			rightAccount++
		}
		if rec["CreatedById"] == lt.OwnerUserID && rec["OwnerId"] == lt.OwnerUserID {
			rightOwner++
		}
		if !lt.InOrg() {
			notInOrg++
		}
		perLead[a.LeadID]++
	}
	if made > 0 {
		dupes := 0
		for _, r := range srv.Records("Contact") {
			if id := r["Sales_Navigator_Lead_Id__c"]; id != "" {
				if perLead[id]++; perLead[id] > 2 {
					dupes++
				}
			}
		}
		fmt.Fprintf(w, "\ncontacts created on behalf of their owners\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  created\t%s\t(%s for leads not in the org; %s for leads the org holds as a record the matcher did not find)\n", num(int64(made)), num(int64(notInOrg)), num(int64(made-notInOrg)))
		fmt.Fprintf(tw, "  on the right Account\t%s\t(%s of %s)\n", pct(rightAccount, made), num(int64(rightAccount)), num(int64(made)))
		fmt.Fprintf(tw, "  created by their owner\t%s\t(%s of %s: CreatedById and OwnerId are the lead owner's User)\n", pct(rightOwner, made), num(int64(rightOwner)), num(int64(made)))
		fmt.Fprintf(tw, "  leads with two Contacts\t%s\t\n", num(int64(dupes)))
		tw.Flush()
	}
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

func faultText(f sfsim.Faults) string {
	if s := f.String(); s != "" {
		return s
	}
	return "none"
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

// seedNearQuota makes the owner with the most contacts to create start the
// month 3 short of the monthly quota, as if earlier runs had created the
// rest, so the real run shows quota_exceeded: 3 are created, the rest wait
// for next month.
func seedNearQuota(ctx context.Context, w io.Writer, cfg *batch.Config, dry *batch.RunResult) error {
	per := map[string]int{}
	for i, a := range dry.Actions {
		if a.Kind == batch.KindCreateContact && dry.Outcomes[i].Status == batch.StatusWouldCreate {
			per[a.OnBehalfOf]++
		}
	}
	owner := ""
	for u, n := range per {
		if n > per[owner] || n == per[owner] && u < owner {
			owner = u
		}
	}
	if per[owner] <= 3 {
		return nil
	}
	st, err := state.Open(ctx, cfg.State.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	loc, _ := time.LoadLocation(cfg.Contacts.OrgTimeZone)
	month, _ := state.MonthDay(time.Now(), loc)
	if err := st.AddContactsCreated(ctx, owner, month, cfg.Contacts.MonthlyQuota-3); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n(owner %s starts %s with %s Contacts created by earlier runs: 3 of its %d are created, the rest are quota_exceeded until next month)\n",
		owner, month, num(int64(cfg.Contacts.MonthlyQuota-3)), per[owner])
	return nil
}
