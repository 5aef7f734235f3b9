package main

import (
	"context"
	"errors"
)

// runFixtures is filled in by its issue; until then the command says so.
func runFixtures(ctx context.Context, env *cmdEnv, args []string) error {
	return errors.New("fixtures: not built yet")
}
