package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// writeTestConfig writes a config for a simulator org serving at url, as
// navsync sim --write-config does (contact creation on when contacts is
// set), with extra YAML appended. It returns the file and the integration
// user's refresh token.
func writeTestConfig(t *testing.T, srv *sfsim.Server, url string, world *fixtures.World, contacts bool, extra string) (path, refreshToken string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "navsync.yaml")
	admin := srv.AdminUser().Username
	_, rt, err := srv.IssueToken(admin)
	if err != nil {
		t.Fatal(err)
	}
	app := srv.ConnectedApp()
	sc := simConfig{loginURL: url, orgID: srv.OrgID(), clientID: app.ClientID, clientSecret: app.ClientSecret,
		username: admin, refreshToken: rt, world: world}
	if contacts {
		sc.srv = srv
	}
	if err := writeSimConfig(context.Background(), path, sc); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, extra...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path, rt
}
