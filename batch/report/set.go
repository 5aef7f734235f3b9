package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutDir marks a report folder that cannot be used: a file, a folder
// holding files that are not reports, a symbolic link navsync did not make,
// a path that cannot be created or written. Nothing was written.
var ErrOutDir = errors.New("unusable report folder")

// ErrBusy is returned by Stage while another process writes a set to the
// same folder.
var ErrBusy = errors.New("another run is writing reports to this folder")

// A Set is a folder of reports that is replaced as a whole. The path the
// user names (say reports) is a symbolic link to a folder of one run's
// files in a store beside it (.reports.runs/<run id>); a run writes its
// files into a fresh folder of the store and, once all are complete and
// synced, switches the link to it with one rename. A reader that opens
// reports/matches.parquet gets a complete file of the current run; the
// files of one run are never mixed with those of another; a run that fails
// or is killed leaves the link where it was. The store keeps the current
// set and the one before it (a reader that resolved the link just before a
// switch can finish); older sets and folders of runs that never finished
// are removed by the next run. Runs writing to one folder take turns: a
// lock on the store makes a second one fail with ErrBusy (on Unix; other
// systems have no lock, so do not run two at once there).
//
// Stage prepares a set; write the reports into Dir, then Publish or Abort.
type Set struct {
	link    string   // the folder as the user named it, absolute
	store   string   // the folder holding the sets: .<base>.runs beside link
	staging string   // this run's folder in store, named <run id>.tmp-<random>
	runID   string   // names the published folder
	legacy  bool     // link is a real folder of reports written before sets
	created []string // folders Stage created, deepest last, removed by Abort when empty
	unlock  func()
	done    bool
}

// Names of the report files a folder may hold (a folder of reports
// written before sets, to be taken over).
var reportNames = map[string]bool{MatchesFile: true, AccountsFile: true, RejectsFile: true, "params.json": true}

const (
	storeSuffix = ".runs"
	stagingMark = ".tmp-" // in the name of a set still being written
	linkMark    = ".link-"
	lockName    = ".lock"
)

// Stage checks the report folder dir, creates what is missing up to its
// store (nothing at dir itself), removes what killed runs left there, and
// makes a fresh folder for this run's reports. Problems with dir wrap
// ErrOutDir; a concurrent run is ErrBusy.
func Stage(dir, runID string) (*Set, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", dir, err, ErrOutDir)
	}
	base := filepath.Base(abs)
	if base == string(filepath.Separator) || base == "." {
		return nil, fmt.Errorf("%s: name a folder for the reports, e.g. reports: %w", dir, ErrOutDir)
	}
	s := &Set{link: abs, store: filepath.Join(filepath.Dir(abs), "."+base+storeSuffix), runID: runID}
	if err := s.checkLink(dir); err != nil {
		return nil, err
	}
	if err := s.makeDirs(filepath.Dir(abs)); err != nil {
		s.removeCreated()
		return nil, fmt.Errorf("%s: %v: %w", dir, err, ErrOutDir)
	}
	if err := s.makeDirs(s.store); err != nil {
		s.removeCreated()
		return nil, fmt.Errorf("%s: %v: %w", dir, err, ErrOutDir)
	}
	s.unlock, err = lockStore(filepath.Join(s.store, lockName))
	if err != nil {
		s.removeCreated()
		if errors.Is(err, ErrBusy) {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		return nil, fmt.Errorf("%s: %v: %w", dir, err, ErrOutDir)
	}
	s.removeStale()
	s.staging, err = os.MkdirTemp(s.store, safeName(runID)+stagingMark)
	if err == nil {
		err = os.Chmod(s.staging, 0o755)
	}
	if err != nil {
		s.Abort()
		return nil, fmt.Errorf("%s: %v: %w", dir, err, ErrOutDir)
	}
	return s, nil
}

// checkLink accepts a path that does not exist, a link into the store, or
// a folder that is empty or holds only reports (from before sets). as is
// the path as the user gave it, for messages.
func (s *Set) checkLink(as string) error {
	fi, err := os.Lstat(s.link)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %v: %w", as, err, ErrOutDir)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(s.link)
		if err != nil {
			return fmt.Errorf("%s: %v: %w", as, err, ErrOutDir)
		}
		if !s.ours(target) {
			return fmt.Errorf("%s is a symbolic link to %s, not to a report set navsync made (it replaces --out as a whole): give another path: %w", as, target, ErrOutDir)
		}
		return nil
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a folder: %w", as, ErrOutDir)
	}
	ents, err := os.ReadDir(s.link)
	if err != nil {
		return fmt.Errorf("%s: %v: %w", as, err, ErrOutDir)
	}
	for _, e := range ents {
		if !reportNames[e.Name()] && !isReportTemp(e.Name()) || e.IsDir() {
			return fmt.Errorf("%s holds %s, which is not a report: navsync replaces --out as a whole, so give a new or empty folder: %w", as, e.Name(), ErrOutDir)
		}
	}
	s.legacy = true
	return nil
}

// ours reports whether a link target is a set in this store.
func (s *Set) ours(target string) bool {
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(s.link), target)
	}
	return filepath.Dir(filepath.Clean(target)) == s.store
}

// isReportTemp matches the temporary name of a report being written (by
// Create: ".<name>.tmp-<random>").
func isReportTemp(name string) bool {
	for r := range reportNames {
		if strings.HasPrefix(name, "."+r+".tmp-") {
			return true
		}
	}
	return false
}

// makeDirs creates dir and missing parents, remembering which it created.
func (s *Set) makeDirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		s.created = append(s.created, missing[i])
	}
	return nil
}

// removeCreated removes the folders Stage created, deepest first, when
// they are empty (the store's lock file goes with it).
func (s *Set) removeCreated() {
	for i := len(s.created) - 1; i >= 0; i-- {
		d := s.created[i]
		if d == s.store {
			if ents, err := os.ReadDir(d); err != nil || len(ents) != 1 || ents[0].Name() != lockName {
				continue
			}
			os.Remove(filepath.Join(d, lockName))
		}
		os.Remove(d) // fails, as it should, when something else is in it
	}
	s.created = nil
}

// removeStale removes what killed runs left: sets still being written, and
// link names not yet renamed into place; and, in a folder of reports from
// before sets, the temporary files of its writer. Called under the lock.
func (s *Set) removeStale() {
	if ents, err := os.ReadDir(s.store); err == nil {
		for _, e := range ents {
			if strings.Contains(e.Name(), stagingMark) {
				os.RemoveAll(filepath.Join(s.store, e.Name()))
			}
		}
	}
	parent := filepath.Dir(s.link)
	prefix := "." + filepath.Base(s.link) + linkMark
	if ents, err := os.ReadDir(parent); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), prefix) && e.Type()&fs.ModeSymlink != 0 {
				os.Remove(filepath.Join(parent, e.Name()))
			}
		}
	}
	if s.legacy {
		if ents, err := os.ReadDir(s.link); err == nil {
			for _, e := range ents {
				if isReportTemp(e.Name()) {
					os.Remove(filepath.Join(s.link, e.Name()))
				}
			}
		}
	}
}

// Dir is the folder to write this run's reports into.
func (s *Set) Dir() string { return s.staging }

// Path is where this run's report name goes.
func (s *Set) Path(name string) string { return filepath.Join(s.staging, name) }

// Link is the report folder as the readers see it (absolute).
func (s *Set) Link() string { return s.link }

// Hooks for tests: the rename that switches the link, and the step that
// moves a folder of reports from before sets into the store.
var (
	renameLink = os.Rename
	moveLegacy = os.Rename
)

// Publish makes the staged folder the report set: it syncs the folder,
// gives it its run's name in the store, points the link at it with one
// rename and removes sets older than the previous one. On error the link
// is left as it was (the staged folder is removed).
func (s *Set) Publish() error {
	if s.done {
		return errors.New("report set: already published or aborted")
	}
	syncDir(s.staging)
	name := s.freeName(safeName(s.runID))
	final := filepath.Join(s.store, name)
	if err := os.Rename(s.staging, final); err != nil {
		s.Abort()
		return fmt.Errorf("report set: %w", err)
	}
	s.staging = final // Abort now removes it under its new name
	syncDir(s.store)
	previous := ""
	if target, err := os.Readlink(s.link); err == nil && s.ours(target) {
		previous = filepath.Base(target)
	}
	if s.legacy {
		// A folder of reports from before sets: it becomes the previous
		// set (the link cannot replace a folder). A reader sees no
		// folder between these two renames; this happens once.
		old := s.freeName("before-sets")
		if err := moveLegacy(s.link, filepath.Join(s.store, old)); err != nil {
			s.Abort()
			return fmt.Errorf("report set: move the earlier reports aside: %w", err)
		}
		previous = old
	}
	parent := filepath.Dir(s.link)
	tmp := filepath.Join(parent, "."+filepath.Base(s.link)+linkMark+randomHex())
	target := filepath.Join(filepath.Base(s.store), name) // relative: the parent folder can move
	err := os.Symlink(target, tmp)
	if err == nil {
		err = renameLink(tmp, s.link)
	}
	if err != nil {
		os.Remove(tmp)
		if s.legacy {
			os.Rename(filepath.Join(s.store, previous), s.link) // put it back
		}
		s.Abort()
		return fmt.Errorf("report set: switch %s: %w", s.link, err)
	}
	syncDir(parent)
	s.done = true
	// Keep the new set and the one before it.
	if ents, err := os.ReadDir(s.store); err == nil {
		for _, e := range ents {
			if n := e.Name(); e.IsDir() && n != name && n != previous {
				os.RemoveAll(filepath.Join(s.store, n))
			}
		}
	}
	s.unlock()
	return nil
}

// freeName is base, or base with ".2", ".3"… when a set of that name is in
// the store.
func (s *Set) freeName(base string) string {
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(s.store, name)); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
}

// Abort removes the staged folder and what Stage created; the link stays
// as it was. It is safe to call after Publish.
func (s *Set) Abort() {
	if s.done {
		return
	}
	s.done = true
	if s.staging != "" {
		os.RemoveAll(s.staging)
	}
	s.removeCreated()
	if s.unlock != nil {
		s.unlock()
	}
}

// safeName keeps letters, digits, '.', '_' and '-' of a run id (never a
// leading '.'), so it can name a folder.
func safeName(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0) {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "run"
	}
	return strings.ReplaceAll(string(b), stagingMark, "_tmp-")
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
