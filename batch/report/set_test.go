package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// writeSet stages a set at dir and writes the three reports (and
// params.json when train) holding the text "run <id> <name>".
func writeSet(t *testing.T, dir, id string, train bool) *Set {
	t.Helper()
	s, err := Stage(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{MatchesFile, AccountsFile, RejectsFile}
	if train {
		names = append(names, "params.json")
	}
	for _, n := range names {
		if err := os.WriteFile(s.Path(n), []byte("run "+id+" "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// readSet returns the run each report at dir belongs to ("" when missing).
func readSet(dir string) map[string]string {
	out := map[string]string{}
	for _, n := range []string{MatchesFile, AccountsFile, RejectsFile, "params.json"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			out[n] = ""
			continue
		}
		f := strings.Fields(string(b))
		if len(f) != 3 || f[2] != n {
			out[n] = "garbled"
			continue
		}
		out[n] = f[1]
	}
	return out
}

func wantSet(t *testing.T, dir, id string, train bool) {
	t.Helper()
	got := readSet(dir)
	want := map[string]string{MatchesFile: id, AccountsFile: id, RejectsFile: id, "params.json": ""}
	if train {
		want["params.json"] = id
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
}

// storeEntries lists the store beside dir.
func storeEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".runs"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestSetPublishReplacesWhole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	for i, id := range []string{"r1", "r2", "r3", "r3"} {
		train := i == 0
		s := writeSet(t, dir, id, train)
		if _, err := os.Lstat(dir); i == 0 && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the folder exists before the first set is published: %v", err)
		}
		if err := s.Publish(); err != nil {
			t.Fatal(err)
		}
		wantSet(t, dir, id, train) // params.json of r1 is not in later sets
		target, err := os.Readlink(dir)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.IsAbs(target) || !strings.HasPrefix(target, ".reports.runs"+string(filepath.Separator)) {
			t.Errorf("link target %q, want a relative path into .reports.runs", target)
		}
	}
	// The current set and the one before it; older ones are gone.
	if got, want := storeEntries(t, dir), []string{".lock", "r3", "r3.2"}; !slices.Equal(got, want) {
		t.Errorf("store holds %q, want %q", got, want)
	}
}

// TestSetSwitchFailureKeepsPrevious: when the switch fails, the folder
// still shows the previous set, whole, and nothing of the failed run is
// left.
func TestSetSwitchFailureKeepsPrevious(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	if err := writeSet(t, dir, "r1", true).Publish(); err != nil {
		t.Fatal(err)
	}
	renameLink = func(string, string) error { return errors.New("disk on fire") }
	defer func() { renameLink = os.Rename }()
	s := writeSet(t, dir, "r2", false)
	if err := s.Publish(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Publish: %v", err)
	}
	s.Abort() // safe after a failed Publish
	wantSet(t, dir, "r1", true)
	if got, want := storeEntries(t, dir), []string{".lock", "r1"}; !slices.Equal(got, want) {
		t.Errorf("store holds %q, want %q", got, want)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 2 {
		t.Errorf("%d entries beside the reports, want the link and the store", len(ents))
	}
	renameLink = os.Rename
	if err := writeSet(t, dir, "r3", false).Publish(); err != nil {
		t.Fatal(err)
	}
	wantSet(t, dir, "r3", false)
}

// TestSetStaleLeftovers: a run killed while writing leaves its folder (and
// perhaps the new link under its temporary name); the next run removes
// them. A folder of reports from before sets becomes the previous set,
// without its writer's temporary files; its params.json is not in the new
// set.
func TestSetStaleLeftovers(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "reports")
	os.MkdirAll(dir, 0o755)
	for _, n := range []string{MatchesFile, AccountsFile, RejectsFile, "params.json"} {
		os.WriteFile(filepath.Join(dir, n), []byte("run old "+n), 0o644)
	}
	os.WriteFile(filepath.Join(dir, ".matches.parquet.tmp-123"), []byte("half"), 0o644)

	killed := writeSet(t, dir, "killed", false)
	killed.unlock() // the process died: its lock is gone, its folder stays
	os.Symlink("nowhere", filepath.Join(parent, ".reports.link-0123"))

	s := writeSet(t, dir, "r1", false)
	if _, err := os.Stat(killed.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed run's folder is still there: %v", err)
	}
	if err := s.Publish(); err != nil {
		t.Fatal(err)
	}
	wantSet(t, dir, "r1", false)
	ents, _ := os.ReadDir(parent)
	if len(ents) != 2 {
		t.Errorf("beside the reports: %v, want the link and the store", ents)
	}
	store := storeEntries(t, dir)
	if want := []string{".lock", "before-sets", "r1"}; !slices.Equal(store, want) {
		t.Fatalf("store holds %q, want %q", store, want)
	}
	before := filepath.Join(parent, ".reports.runs", "before-sets")
	wantSet(t, before, "old", true)
	if _, err := os.Stat(filepath.Join(before, ".matches.parquet.tmp-123")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old writer's temporary file was kept: %v", err)
	}
}

// TestSetRefuses: a path that is not a report folder is refused before
// anything is created.
func TestSetRefuses(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	other := filepath.Join(parent, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	withDir := filepath.Join(parent, "withdir")
	os.MkdirAll(filepath.Join(withDir, MatchesFile), 0o755)
	link := filepath.Join(parent, "link")
	os.Symlink(other, link)
	before, _ := os.ReadDir(parent)
	for _, tc := range []struct{ dir, want string }{
		{file, "is a file"},
		{filepath.Join(file, "sub"), "not a directory"},
		{other, "holds notes.txt"},
		{withDir, "holds matches.parquet"},
		{link, "symbolic link"},
		{"/", "name a folder"},
	} {
		s, err := Stage(tc.dir, "r1")
		if err == nil {
			s.Abort()
			t.Errorf("Stage(%s) accepted", tc.dir)
			continue
		}
		if !errors.Is(err, ErrOutDir) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Stage(%s) = %v, want ErrOutDir saying %q", tc.dir, err, tc.want)
		}
	}
	if after, _ := os.ReadDir(parent); len(after) != len(before) {
		t.Errorf("entries %v, were %v", after, before)
	}
}

// TestSetAbortRemovesCreated: Abort leaves the file system as Stage found
// it, folders it created included.
func TestSetAbortRemovesCreated(t *testing.T) {
	parent := t.TempDir()
	s := writeSet(t, filepath.Join(parent, "a", "b", "reports"), "r1", true)
	s.Abort()
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
	// Folders that were there stay, with the sets in them.
	dir := filepath.Join(parent, "reports")
	if err := writeSet(t, dir, "r1", false).Publish(); err != nil {
		t.Fatal(err)
	}
	writeSet(t, dir, "r2", false).Abort()
	wantSet(t, dir, "r1", false)
	if got := storeEntries(t, dir); !slices.Equal(got, []string{".lock", "r1"}) {
		t.Errorf("store %q", got)
	}
}

func TestSetBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	s := writeSet(t, dir, "r1", false)
	if _, err := Stage(dir, "r2"); !errors.Is(err, ErrBusy) {
		t.Fatalf("a second Stage while the first writes: %v, want ErrBusy", err)
	}
	if err := s.Publish(); err != nil {
		t.Fatal(err)
	}
	if err := writeSet(t, dir, "r2", false).Publish(); err != nil {
		t.Fatal(err)
	}
	wantSet(t, dir, "r2", false)
}

// TestSetReadersSeeOneRun: while sets are published one after another, a
// reader always finds a complete set at the folder, and the folder the link
// names holds the files of one run. Publish keeps the new set and the one
// before it, so a reader that followed the link to set r<j> finds its files
// unless publishing r<j+2> began while it looked: back to back here, which
// runs minutes apart never are (on a loaded CI machine a reader was once
// preempted that long between following the link and opening the file).
func TestSetReadersSeeOneRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	if err := writeSet(t, dir, "r0", false).Publish(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var problems []string
	var started atomic.Int64 // the number of the set being published, or last published
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Through the link, as a reader opens reports/accounts.parquet:
			// the link named r<started-1> or r<started> when the reader
			// began, removed once r<started+1> or r<started+2> is published.
			before := started.Load()
			if _, err := os.Stat(filepath.Join(dir, AccountsFile)); err != nil && started.Load() == before {
				problems = append(problems, err.Error())
			}
			target, err := os.Readlink(dir)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			j, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(target), "r"), 10, 64)
			if err != nil {
				problems = append(problems, "link to "+target)
				continue
			}
			// Files of two runs are never found together, and a file of
			// r<j> is missing only once r<j+2> is being published.
			got := readSet(filepath.Join(filepath.Dir(dir), target))
			run := ""
			for _, n := range []string{MatchesFile, AccountsFile, RejectsFile} {
				switch v := got[n]; {
				case v == "garbled" || v != "" && run != "" && v != run:
					problems = append(problems, fmt.Sprint(got))
				case v == "" && started.Load() < j+2:
					problems = append(problems, fmt.Sprintf("%s of %s missing while r%d is published", n, target, started.Load()))
				case v != "":
					run = v
				}
			}
		}
	}()
	for i := 1; i <= 40; i++ {
		s := writeSet(t, dir, fmt.Sprintf("r%d", i), false)
		started.Store(int64(i))
		if err := s.Publish(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(problems) > 0 {
		t.Errorf("%d problems, first %q", len(problems), problems[0])
	}
	wantSet(t, dir, "r40", false)
}
