package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navsync/navsync/fixtures"
)

func TestFixturesCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "world")
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"fixtures", "--size", "600", "--seed", "3", "--out", dir, "--sn-leads", "250"}, &out, &errb)
	if err != nil {
		t.Fatalf("fixtures: %v\n%s", err, errb.String())
	}
	summary := out.String()
	if strings.Count(summary, "\n") != 1 || !strings.Contains(summary, dir) || !strings.Contains(summary, "250 Sales Navigator leads") {
		t.Errorf("summary: %q", summary)
	}
	for _, f := range fixtures.Files() {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil || len(rows) < 2 {
			t.Errorf("%s: %d rows, %v", f, len(rows), err)
		}
	}
	// The files are the world of the same options.
	w, err := fixtures.Generate(fixtures.Options{Seed: 3, People: 600, SNLeads: 250})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tb := w.CRMTables()[1]
	if err := fixtures.WriteCSV(&buf, tb.Header, tb.Rows); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "crm", "Contact.csv"))
	if !bytes.Equal(got, buf.Bytes()) {
		t.Error("crm/Contact.csv is not the generated world's")
	}
	// Running again over the same folder replaces the files.
	out.Reset()
	if err := Run(context.Background(), []string{"fixtures", "--size", "300", "--seed", "4", "--out", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "150 Sales Navigator leads") {
		t.Errorf("second summary: %q", out.String())
	}
}

func TestFixturesCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"fixtures"}, // no --out
		{"fixtures", "--out", t.TempDir(), "--size", "-5"}, // negative size
		{"fixtures", "--out", t.TempDir(), "--sn-leads", "-1"},
		{"fixtures", "--out", t.TempDir(), "--size", "ten"},
		{"fixtures", "--out", t.TempDir(), "extra"},
		{"fixtures", "--out", t.TempDir(), "--users", "2"},
	} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), args, &out, &errb)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		if code := exitCode(context.Background(), err, &errb); code != exitUsage {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"fixtures", "-h"}, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb.String(), "--size") {
		t.Errorf("-h: %v\n%s", err, errb.String())
	}
}

func TestFixturesCommandUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"fixtures", "--size", "50", "--out", filepath.Join(file, "sub")}, &out, &errb)
	if err == nil {
		t.Fatal("writing under a file succeeded")
	}
	if code := exitCode(context.Background(), err, &errb); code != exitFailure {
		t.Errorf("exit %d", code)
	}
}
