package main

import (
	"context"
	"errors"
)

// runSim is filled in by its issue; until then the command says so.
func runSim(ctx context.Context, env *cmdEnv, args []string) error {
	return errors.New("sim: not built yet")
}
