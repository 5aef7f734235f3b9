package main

import (
	"context"
	"errors"
)

// runMatch is filled in by its issue; until then the command says so.
func runMatch(ctx context.Context, env *cmdEnv, args []string) error {
	return errors.New("match: not built yet")
}
