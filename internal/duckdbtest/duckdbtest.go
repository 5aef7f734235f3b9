// Package duckdbtest runs SQL with DuckDB for Node in tests, so reports
// can be read back with a third-party Parquet reader. It is the one DuckDB
// harness of the repository: batch/report's tests use it for single files,
// batch's for Hive-partitioned run folders.
//
// DuckDB (package.json, pinned by package-lock.json) is installed with npm
// into the git-ignored .cache/duckdb/<hash of the three files> at the
// repository root, once; later runs reuse it.
package duckdbtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

//go:embed package.json package-lock.json query.mjs
var files embed.FS

// hashed are the files whose contents name the install, in this order.
var hashed = []string{"package.json", "package-lock.json", "query.mjs"}

// Query installs DuckDB for Node if needed and returns a function that runs
// SQL statements and returns their rows: one slice per statement, one map
// per row, values as DuckDB's JSON conversion gives them (BIGINT and DATE
// as strings, NULL as nil). It skips the test when npm or node is missing,
// when npm cannot install, or when NAVSYNC_DUCKDB=off.
func Query(t testing.TB) func(sql ...string) [][]map[string]any {
	t.Helper()
	if os.Getenv("NAVSYNC_DUCKDB") == "off" {
		t.Skip("NAVSYNC_DUCKDB=off")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: install Node.js and npm to cross-check the reports with DuckDB")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	h := sha256.New()
	contents := map[string][]byte{}
	for _, f := range hashed {
		b, err := files.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents[f] = b
		h.Write(b)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(root, ".cache", "duckdb")
	dir := filepath.Join(base, hex.EncodeToString(h.Sum(nil)[:8]))
	if _, err := os.Stat(filepath.Join(dir, ".installed")); err != nil {
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(base, "tmp-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for f, b := range contents {
			if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("installing @duckdb/node-api with npm into %s (first run only)", dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("npm install failed (no network to the npm registry?): %v\n%s", err, out)
		}
		os.WriteFile(filepath.Join(tmp, ".installed"), nil, 0o644)
		if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
			if _, statErr := os.Stat(filepath.Join(dir, ".installed")); statErr != nil { // not a concurrent install
				t.Fatal(err)
			}
		}
	}
	return func(sql ...string) [][]map[string]any {
		t.Helper()
		cmd := exec.Command(node, append([]string{filepath.Join(dir, "query.mjs")}, sql...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("duckdb: %v\n%s", err, stderr.String())
		}
		var res [][]map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(line), &rows); err != nil {
				t.Fatalf("duckdb output %q: %v", line, err)
			}
			res = append(res, rows)
		}
		return res
	}
}

// Lit is path as a SQL string literal (forward slashes, quotes doubled).
func Lit(path string) string {
	return "'" + strings.ReplaceAll(filepath.ToSlash(path), "'", "''") + "'"
}

// moduleRoot is the folder holding go.mod, from the test's working folder
// (its package folder) up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("duckdbtest: no go.mod above the working folder")
		}
		dir = parent
	}
}
