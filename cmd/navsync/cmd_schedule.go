package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/navsync/navsync/batch"
	"github.com/navsync/navsync/batch/state"
	"github.com/robfig/cron/v3"
)

// runSchedule is `navsync schedule`: stay up and run the job on the
// config's cron schedule. Each run takes the state store's lock like
// `navsync run`, so a run started by hand (or by another scheduler) makes
// the tick skip, and a tick never overlaps the previous one
// (SkipIfStillRunning). SIGINT/SIGTERM stop it after the running run's
// in-flight call.
func runSchedule(ctx context.Context, env *cmdEnv, args []string) error {
	flags := newFlagSet("schedule", env)
	configPath := flags.String("config", "navsync.yaml", "configuration `FILE` (YAML); its schedule key says when to run")
	dryRun := flags.Bool("dry-run", false, "every scheduled run is a dry run")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: navsync schedule [--config FILE] [--dry-run]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	cfg, err := batch.Load(*configPath)
	if err != nil {
		return err
	}
	if cfg.Schedule == "" {
		return badInput(fmt.Errorf("schedule: %s has no schedule key (e.g. schedule: \"CRON_TZ=Europe/Paris 0 2 * * *\")", *configPath))
	}
	log := env.log.With("component", "schedule")
	tick := func() {
		// The config is read again at every tick, so an edit applies to
		// the next run without a restart; a broken edit skips the tick.
		cfg, err := batch.Load(*configPath)
		if err != nil {
			log.Error("configuration invalid; run skipped", "err", err)
			return
		}
		res, err := batch.Run(ctx, batch.RunOptions{Config: cfg, DryRun: *dryRun, Command: "schedule", Log: env.log,
			Progress: batch.NewLogProgress(env.log, 30*time.Second)})
		switch {
		case errors.Is(err, state.ErrLocked):
			log.Warn("another navsync run holds the state store; run skipped", "err", err)
		case err != nil:
			log.Error("run failed", "err", err)
		default:
			log.Info("run finished", "run_id", res.Summary.RunID, "reports", res.ReportDir)
		}
		if res != nil && res.Match != nil {
			printRunSummary(env.stdout, res)
		}
	}
	c, id, err := newScheduler(cfg, log, tick)
	if err != nil {
		return err
	}
	c.Start()
	log.Info("scheduled", "schedule", cfg.Schedule, "next", c.Entry(id).Next.Format(time.RFC3339))
	<-ctx.Done()
	log.Info("stopping: waiting for a running run to stop after its in-flight call")
	<-c.Stop().Done()
	return ctx.Err()
}

// newScheduler schedules tick on cfg.Schedule, in its CRON_TZ zone or UTC
// (as the config documents; cron's own default would be the machine's
// local zone), never two at once (SkipIfStillRunning), a panic logged
// rather than fatal (Recover).
func newScheduler(cfg *batch.Config, log *slog.Logger, tick func()) (*cron.Cron, cron.EntryID, error) {
	sched, err := cfg.CronSchedule()
	if err != nil {
		return nil, 0, badInput(fmt.Errorf("schedule: %q: %w", cfg.Schedule, err))
	}
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	return c, c.Schedule(sched, cron.FuncJob(tick)), nil
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, "err", err)...)
}
