package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/navsync/navsync/batch"
)

// runDoctor is `navsync doctor --config F [--json]`: the preflight checks
// of batch.Doctor, each printed with its status, what was found and the
// fix. Exit 0 when no check fails (warnings and skips do not fail it), 1
// when one does, 5 when the config itself cannot be loaded.
func runDoctor(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("doctor", env)
	configPath := fs.String("config", "navsync.yaml", "configuration `FILE`")
	asJSON := fs.Bool("json", false, "print the results as one JSON object (checks: name, title, status, detail, fix)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rep := batch.Doctor(ctx, *configPath, batch.DoctorOptions{Log: env.log})
	var err error
	if *asJSON {
		err = printDoctorJSON(env.stdout, rep)
	} else {
		err = printDoctor(env.stdout, rep)
	}
	if err != nil {
		return fmt.Errorf("doctor: write stdout: %w", err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("doctor: %w", ctx.Err())
	}
	if rep.ConfigErr != nil {
		return badInput(fmt.Errorf("doctor: the config cannot be loaded (the problems are listed above): %w", batch.ErrConfig))
	}
	if failed := rep.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, c := range failed {
			names[i] = c.Name
		}
		return fmt.Errorf("doctor: %d check(s) failed: %s", len(failed), strings.Join(names, ", "))
	}
	return nil
}

func printDoctorJSON(w io.Writer, rep *batch.DoctorReport) error {
	out := struct {
		*batch.DoctorReport
		OK bool `json:"ok"`
	}{rep, rep.ConfigErr == nil && len(rep.Failed()) == 0}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printDoctor prints one block per check: status, name and what it
// checks, then what it found and, for a failure or a warning, the fix.
func printDoctor(w io.Writer, rep *batch.DoctorReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "navsync doctor: %s\n", rep.Config)
	var about []string
	if rep.LoginURL != "" {
		about = append(about, "login_url "+rep.LoginURL)
	}
	if rep.OrgID != "" {
		about = append(about, "org "+rep.OrgID)
	}
	if rep.HostAddress != "" {
		about = append(about, "this host "+rep.HostAddress)
	}
	if len(about) > 0 {
		fmt.Fprintf(&b, "  %s\n", strings.Join(about, ", "))
	}
	b.WriteString("\n")
	counts := map[string]int{}
	for _, c := range rep.Checks {
		counts[c.Status]++
		fmt.Fprintf(&b, "%-4s  %-17s %s\n", strings.ToUpper(c.Status), c.Name, c.Title)
		for _, line := range strings.Split(c.Detail, "\n") {
			fmt.Fprintf(&b, "      %s\n", line)
		}
		if c.Fix != "" && (c.Status == batch.CheckFail || c.Status == batch.CheckWarn) {
			fmt.Fprintf(&b, "      fix: %s\n", c.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d checks: %d passed, %d failed, %d warned, %d skipped.\n", len(rep.Checks),
		counts[batch.CheckPass], counts[batch.CheckFail], counts[batch.CheckWarn], counts[batch.CheckSkip])
	if rep.OwnersFile != "" || rep.TokensFile != "" {
		var files []string
		for _, f := range []string{rep.OwnersFile, rep.TokensFile} {
			if f != "" {
				files = append(files, f)
			}
		}
		fmt.Fprintf(&b, "Who is behind the owners' counts (email addresses, usernames; mode 0600): %s\n", strings.Join(files, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
