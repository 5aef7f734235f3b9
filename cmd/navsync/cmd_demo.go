package main

import (
	"context"
	"errors"
)

// runDemo is filled in by its issue; until then the command says so.
func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	return errors.New("demo: not built yet")
}
