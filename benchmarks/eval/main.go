// Command eval measures the matcher's quality on fresh generated worlds of
// several seeds, beside a simple baseline computed in the same run:
// precision of "match", recall of "match", recall of "match"+"possible",
// F1, a per-scenario table and account-match accuracy. make eval runs it.
//
//	go run ./benchmarks/eval [--seeds 1,2,3] [--size 20000] [--mix default|holdout] [--train] [--params FILE]
//	go run ./benchmarks/eval --holdout   # the held-back worlds: seeds 101-103, 50,000 people, the holdout mix
//
// The matcher is tuned on the default worlds (seeds 1-3, 20,000 people,
// fixtures.DefaultMix); --holdout evaluates on worlds of other seeds, size
// and scenario mix (fixtures.HoldoutMix), kept out of the tuning.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/navsync/navsync/benchmarks/internal/worldinput"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/matcher"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		if errors.Is(err, errTargets) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

var errTargets = errors.New("quality targets missed")

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(out)
	seeds := fs.String("seeds", "1,2,3", "comma-separated world seeds")
	size := fs.Int("size", 20000, "CRM people per world")
	mixName := fs.String("mix", "default", "scenario mix of the worlds: default (tuning) or holdout")
	holdout := fs.Bool("holdout", false, "the held-back worlds: seeds "+holdoutSeeds+", "+strconv.Itoa(holdoutSize)+" people, the holdout mix (flags given explicitly win)")
	train := fs.Bool("train", false, "estimate m/u by EM on each world before matching (as navsync match --train)")
	paramsFile := fs.String("params", "", "JSON file of matcher parameters (default: the shipped ones)")
	explain := fs.String("explain", "", "print the explanations of up to 10 leads of this scenario that are not correct matches")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the matching to this file")
	saveParams := fs.String("save-params", "", "with --train: write the parameters trained on the first world to this JSON file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *holdout {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["seeds"] {
			*seeds = holdoutSeeds
		}
		if !set["size"] {
			*size = holdoutSize
		}
		if !set["mix"] {
			*mixName = "holdout"
		}
	}
	mix, err := fixtures.MixByName(*mixName)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var seedList []int64
	for s := range strings.SplitSeq(*seeds, ",") {
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("bad --seeds %q: %w", *seeds, err)
		}
		seedList = append(seedList, v)
	}
	opts := matcher.DefaultOptions()
	if *paramsFile != "" {
		b, err := os.ReadFile(*paramsFile)
		if err != nil {
			return fmt.Errorf("read params: %w", err)
		}
		var p matcher.Params
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("parse params %s: %w", *paramsFile, err)
		}
		opts.Params = &p
	}
	total := newReport()
	for _, seed := range seedList {
		rep, err := evalWorld(ctx, fixtures.Options{Seed: seed, People: *size, Mix: mix}, opts, *train, *explain, *saveParams, out)
		*saveParams = ""
		if err != nil {
			return err
		}
		total.merge(rep)
	}
	fmt.Fprintf(out, "\n=== all seeds %v, %d CRM people each, mix %s ===\n", seedList, *size, mix.Name)
	total.print(out)
	if miss := total.meetsTargets(); len(miss) > 0 {
		fmt.Fprintf(out, "\nMISSED: %s\n", strings.Join(miss, "; "))
		return errTargets
	}
	fmt.Fprintln(out, "\nall quality targets met")
	return nil
}

// The held-back worlds (--holdout).
const (
	holdoutSeeds = "101,102,103"
	holdoutSize  = 50000
)

func evalWorld(ctx context.Context, wo fixtures.Options, opts matcher.Options, train bool, explain, saveParams string, out io.Writer) (*report, error) {
	seed := wo.Seed
	t0 := time.Now()
	w, err := fixtures.Generate(wo)
	if err != nil {
		return nil, fmt.Errorf("generate world %d: %w", seed, err)
	}
	in := worldinput.FromWorld(w)
	tGen := time.Since(t0)
	t1 := time.Now()
	if train {
		p, err := matcher.Train(ctx, in, opts)
		if err != nil {
			return nil, fmt.Errorf("train on world %d: %w", seed, err)
		}
		opts.Params = p
		if saveParams != "" {
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return nil, fmt.Errorf("encode params: %w", err)
			}
			if err := os.WriteFile(saveParams, append(b, '\n'), 0o644); err != nil {
				return nil, fmt.Errorf("save params: %w", err)
			}
		}
	}
	res, err := matcher.Match(ctx, in, opts)
	if err != nil {
		return nil, fmt.Errorf("match world %d: %w", seed, err)
	}
	tMatch := time.Since(t1)
	rep, err := score(w, res, baseline(&in))
	if err != nil {
		return nil, fmt.Errorf("world %d: %w", seed, err)
	}
	if explain != "" {
		printExplanations(out, w, &in, res, explain)
	}
	for _, set := range []struct {
		name  string
		stats []matcher.BlockStats
	}{{"lead", res.Stats.LeadBlocks}, {"company", res.Stats.CompanyBlocks}} {
		var b strings.Builder
		for _, s := range set.stats {
			fmt.Fprintf(&b, " %s=%d", s.Key, s.Pairs)
			if s.CappedBlocks > 0 {
				fmt.Fprintf(&b, " (capped %d blocks, %d records)", s.CappedBlocks, s.CappedRecords)
			}
		}
		fmt.Fprintf(out, "  %s blocking pairs:%s\n", set.name, b.String())
	}
	fmt.Fprintf(out, "seed %d: %d people, %d accounts, %d leads, %d companies; generated in %v, matched in %v (%d candidate pairs); precision %.4f recall %.4f recall+possible %.4f F1 %.4f (baseline F1 %.4f)\n",
		seed, len(in.People), len(in.Accounts), len(in.Leads), len(in.Companies), tGen.Round(time.Millisecond), tMatch.Round(time.Millisecond),
		res.Stats.CandidatePairs, rep.Leads.Total.Precision(), rep.Leads.Total.Recall(), rep.Leads.Total.RecallPossible(), rep.Leads.Total.F1(), rep.Baseline.Total.F1())
	return rep, nil
}

// printExplanations shows leads of one scenario that are not correct
// matches, with their explanation, for tuning.
func printExplanations(out io.Writer, w *fixtures.World, in *matcher.Input, res *matcher.Result, scenario string) {
	people := make(map[string]*matcher.Person, len(in.People))
	for i := range in.People {
		people[in.People[i].ID] = &in.People[i]
	}
	shown := 0
	for i, t := range w.LeadTruth {
		lr := res.Leads[i]
		if t.Scenario != scenario || (lr.Decision == matcher.DecisionMatch && t.IsRight(lr.CRMID)) ||
			(!t.InOrg() && lr.Decision != matcher.DecisionMatch) {
			continue
		}
		if shown++; shown > 10 {
			return
		}
		l := in.Leads[i]
		fmt.Fprintf(out, "\n%s %s: %s %s p=%.4f w=%.2f runner-up %s p=%.4f reason %q truth %v keys %v\n", t.Scenario, l.LeadID, lr.Decision, lr.CRMID,
			lr.Probability, lr.MatchWeight, lr.RunnerUpID, lr.RunnerUpProbability, lr.Reason, t.CRMIDs, lr.BlockingKeys)
		fmt.Fprintf(out, "  lead: %q %q %q %q %q %q past %q %q\n", l.FirstName, l.LastName, l.Email, l.Phone, l.CurrentCompany, l.CurrentTitle, l.PastCompanies, l.PastTitles)
		for _, id := range append([]string{lr.CRMID, lr.RunnerUpID}, t.CRMIDs...) {
			if p := people[id]; p != nil {
				fmt.Fprintf(out, "  crm %s %s: %q %q %q %q/%q %q %q conv=%v\n", id, p.Object, p.FirstName, p.LastName, p.Email, p.Phone, p.MobilePhone, p.Company, p.Title, p.IsConverted)
			}
		}
		var b strings.Builder
		for _, f := range lr.Fields {
			fmt.Fprintf(&b, " %s=%s(%+.2f)", f.Field, f.Level, f.Weight)
		}
		fmt.Fprintf(out, " %s\n", b.String())
	}
}
