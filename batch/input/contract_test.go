package input

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/snapshot"
)

// recordLookups makes every column lookup of the readers land in the
// returned map (file base name → names), until the test ends.
func recordLookups(t *testing.T) func() map[string][]string {
	t.Helper()
	var mu sync.Mutex
	asked := map[string][]string{}
	columnLookup = func(file, name string) {
		mu.Lock()
		defer mu.Unlock()
		asked[filepath.Base(file)] = append(asked[filepath.Base(file)], name)
	}
	t.Cleanup(func() { columnLookup = nil })
	return func() map[string][]string {
		mu.Lock()
		defer mu.Unlock()
		return asked
	}
}

// writeContractFiles writes one file per snapshot object in the Bulk 2.0
// result format with the contract's fields as the header and one row,
// leaving out skip (a file name) and dropping column drop of file dropIn.
func writeContractFiles(t *testing.T, dir, skip, dropIn, drop string) {
	t.Helper()
	for _, o := range snapshot.Objects(nil) {
		if o.File() == skip {
			continue
		}
		var hdr, row []string
		for _, f := range o.Fields {
			if o.File() == dropIn && f == drop {
				continue
			}
			hdr = append(hdr, `"`+f+`"`)
			v := "x"
			switch f {
			case "Id":
				v = "id-" + o.Name
			case "IsConverted", "IsClosed":
				v = "false"
			case "IsActive":
				v = "true"
			case "NumberOfEmployees":
				v = "10"
			}
			row = append(row, `"`+v+`"`)
		}
		body := strings.Join(hdr, ",") + "\n" + strings.Join(row, ",") + "\n"
		if err := os.WriteFile(filepath.Join(dir, o.File()), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkLookups fails when a reader looked up a column the contract does
// not query: Extract would never bring it, so the reader would always find
// it missing.
func checkLookups(t *testing.T, asked map[string][]string) {
	t.Helper()
	if len(asked) == 0 {
		t.Fatal("no column lookups recorded")
	}
	for _, o := range snapshot.Objects(nil) {
		for _, name := range asked[o.File()] {
			if !slices.ContainsFunc(o.Fields, func(f string) bool { return strings.EqualFold(f, name) }) {
				t.Errorf("the reader of %s reads column %s, which is not a field of the snapshot contract", o.File(), name)
			}
		}
	}
}

// ReadSnapshot reads exactly what the snapshot contract defines: files of
// the contract's names with its fields read without a reject, only the
// contract's columns looked up, its required files and columns required
// and the rest optional.
func TestReadSnapshotContract(t *testing.T) {
	lookups := recordLookups(t)
	dir := t.TempDir()
	writeContractFiles(t, dir, "", "", "")
	snap, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Rejects) != 0 || len(snap.People) != 2 || len(snap.Accounts) != 1 || len(snap.Users) != 1 || len(snap.Opportunities) != 1 {
		t.Fatalf("read %d people, %d accounts, %d users, %d opportunities, rejects %+v",
			len(snap.People), len(snap.Accounts), len(snap.Users), len(snap.Opportunities), snap.Rejects)
	}
	if p := snap.People[0]; p.Object != snapshot.Contact || p.LinkedLeadID != "x" || p.Country != "x" || p.Company != "x" {
		t.Errorf("contact %+v", p)
	}
	var files []string
	for _, f := range snap.Files {
		files = append(files, filepath.Base(f.Path))
	}
	if want := []string{snapshot.FileContact, snapshot.FileLead, snapshot.FileAccount, snapshot.FileUser, snapshot.FileOpportunity}; !slices.Equal(files, want) {
		t.Errorf("files read %q, want %q", files, want)
	}
	checkLookups(t, lookups())

	for _, o := range snapshot.Objects(nil) {
		// A missing file: an error exactly when the contract requires it.
		dir := t.TempDir()
		writeContractFiles(t, dir, o.File(), "", "")
		_, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
		if o.Optional && err != nil {
			t.Errorf("without optional %s: %v", o.File(), err)
		}
		if !o.Optional && (!errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), o.File())) {
			t.Errorf("without required %s: err = %v", o.File(), err)
		}
		// A missing column: an error exactly when the contract requires it.
		for _, f := range o.Fields {
			dir := t.TempDir()
			writeContractFiles(t, dir, "", o.File(), f)
			_, err := ReadSnapshot(context.Background(), dir, SnapshotOptions{})
			required := slices.Contains(o.Required, f)
			if !required && err != nil {
				t.Errorf("%s without optional column %s: %v", o.File(), f, err)
			}
			if required && (!errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), `missing required column "`+f+`"`)) {
				t.Errorf("%s without required column %s: err = %v", o.File(), f, err)
			}
		}
	}
}

// The CRM files of a generated world are read without a reject, and the
// reader looks up only the contract's columns in them.
func TestReadSnapshotWorld(t *testing.T) {
	w, err := fixtures.Generate(fixtures.Options{Seed: 5, People: 300})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := w.Write(dir); err != nil {
		t.Fatal(err)
	}
	lookups := recordLookups(t)
	snap, err := ReadSnapshot(context.Background(), filepath.Join(dir, "crm"), SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Rejects) != 0 || len(snap.People) != len(w.Contacts)+len(w.Leads) || len(snap.Accounts) != len(w.Accounts) ||
		len(snap.Users) != len(w.Users) || len(snap.Opportunities) != len(w.Opportunities) {
		t.Errorf("read %d people, %d accounts, %d users, %d opportunities, %d rejects from the world",
			len(snap.People), len(snap.Accounts), len(snap.Users), len(snap.Opportunities), len(snap.Rejects))
	}
	linked := 0
	for _, p := range snap.People {
		if p.LinkedLeadID != "" {
			linked++
		}
	}
	if linked == 0 {
		t.Error("no writeback value read from the world's default writeback field")
	}
	checkLookups(t, lookups())
}
