package sfsim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// The Node clients (jsforce and the Salesforce CLI, on Node 22 from the npm
// package node@22) are installed with npm from testdata/node/package.json
// and its lock file into <repo>/.cache/node/<hash of both>/, once: later
// runs reuse the install (npm keeps its download cache where it always
// does, ~/.npm, so a fresh clone on the same machine installs faster). Without npm, or when the install fails (no
// network), the tests skip and say so on stderr. SFSIM_NODE_CLIENTS=off
// skips them on purpose.

// nodeEnv is an installed Node toolchain.
type nodeEnv struct {
	dir  string // the install: package.json, node_modules
	bin  string // dir/node_modules/.bin
	node string // Node 22
}

var (
	nodeOnce    sync.Once
	nodeInst    *nodeEnv
	nodeSkipMsg string
)

// requireNode returns the Node install, installing it on first use, or
// skips the test.
func requireNode(t *testing.T) *nodeEnv {
	t.Helper()
	nodeOnce.Do(func() {
		var err error
		nodeInst, err = installNode(t)
		if err != nil {
			nodeSkipMsg = "sfsim: jsforce and Salesforce CLI conformance tests skipped: " + err.Error()
			announce(nodeSkipMsg)
		}
	})
	if nodeInst == nil {
		t.Skip(nodeSkipMsg)
	}
	return nodeInst
}

var errNodeOff = errors.New("SFSIM_NODE_CLIENTS=off")

func installNode(t *testing.T) (*nodeEnv, error) {
	if os.Getenv("SFSIM_NODE_CLIENTS") == "off" {
		return nil, errNodeOff
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, errors.New("npm is not on PATH (install Node.js and npm to run them)")
	}
	pkg, err := os.ReadFile(filepath.Join("testdata", "node", "package.json"))
	if err != nil {
		return nil, err
	}
	lock, err := os.ReadFile(filepath.Join("testdata", "node", "package-lock.json"))
	if err != nil {
		return nil, err
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(append(pkg, 0), lock...))
	key := hex.EncodeToString(sum[:8])
	base := filepath.Join(root, ".cache", "node")
	env := &nodeEnv{dir: filepath.Join(base, key)}
	env.bin = filepath.Join(env.dir, "node_modules", ".bin")
	env.node = filepath.Join(env.bin, "node")
	if _, err := os.Stat(filepath.Join(env.dir, ".installed")); err == nil {
		return env, env.check()
	}

	// Install into a temporary directory and rename it into place, so an
	// interrupted install is never taken for a finished one.
	timeout := 15 * time.Minute
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - 3*time.Minute; left < timeout {
			timeout = left
		}
	}
	if timeout < time.Minute {
		return nil, fmt.Errorf("only %v left before the test deadline, too little for a first npm install (run with a larger -timeout)", timeout)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(base, key+".tmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	msg := fmt.Sprintf("sfsim: installing jsforce, @salesforce/cli and node@22 with npm ci into %s (first run only; a few minutes)", env.dir)
	announce(msg)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := strings.TrimSpace(string(out))
		if len(tail) > 600 {
			tail = "…" + tail[len(tail)-600:]
		}
		return nil, fmt.Errorf("npm ci failed after %v (no network to the npm registry?): %w\n%s", time.Since(start).Round(time.Second), err, tail)
	}
	took := time.Since(start).Round(time.Second)
	if err := os.WriteFile(filepath.Join(tmp, ".installed"), []byte(took.String()+"\n"), 0o644); err != nil {
		return nil, err
	}
	// Stale installs of older package.json versions go.
	if old, _ := filepath.Glob(filepath.Join(base, "*")); len(old) > 0 {
		for _, d := range old {
			if d != tmp && d != env.dir && !strings.Contains(filepath.Base(d), ".tmp-") {
				_ = os.RemoveAll(d)
			}
		}
	}
	if err := os.Rename(tmp, env.dir); err != nil {
		// Another test process may have finished the same install first.
		if _, serr := os.Stat(filepath.Join(env.dir, ".installed")); serr != nil {
			return nil, err
		}
	}
	announce(fmt.Sprintf("sfsim: npm ci took %v", took))
	return env, env.check()
}

// announce prints a line that must reach the person running the tests.
// go test shows a passing package's output (skips, logs, stderr) only with
// -v, so without -v, on Linux, when the test binary was started by the go
// command, the line goes to the go command's own stderr, which make test
// and CI logs show; otherwise to this process's stderr.
func announce(msg string) {
	if !testing.Verbose() {
		ppid := os.Getppid()
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); err == nil && strings.TrimSpace(string(comm)) == "go" {
			if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0); err == nil {
				_, werr := fmt.Fprintln(f, msg)
				f.Close()
				if werr == nil {
					return
				}
			}
		}
	}
	fmt.Fprintln(os.Stderr, msg)
}

// check runs node --version: the install must hold Node 22.
func (e *nodeEnv) check() error {
	out, err := exec.Command(e.node, "--version").Output()
	if err != nil {
		return fmt.Errorf("the installed node does not run (%v); delete %s to reinstall", err, e.dir)
	}
	if !strings.HasPrefix(string(out), "v22.") {
		return fmt.Errorf("the installed node is %s, want v22", strings.TrimSpace(string(out)))
	}
	return nil
}

func repoRoot() (string, error) {
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
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// run runs node with args in the install directory, with extra environment,
// and returns stdout; a non-zero exit is an error carrying stderr.
func (e *nodeEnv) run(t *testing.T, env []string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.node, args...)
	cmd.Dir = e.dir
	cmd.Env = append(isolatedEnv(e.bin), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("node %s: %v", strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%w\nstdout: %s\nstderr: %s", err, clip(stdout.String()), clip(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}

// isolatedEnv is the process environment without Salesforce CLI settings,
// with the install's bin first on PATH.
func isolatedEnv(bin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SF_") || strings.HasPrefix(k, "SFDX_") || k == "PATH" || strings.HasPrefix(k, "XDG_") ||
			k == "HOME" || k == "NODE_OPTIONS" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
}

// installScript copies a script from testdata/node into the install so
// its imports resolve against the install's node_modules.
func (e *nodeEnv) installScript(t *testing.T, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "node", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNodeJsforce(t *testing.T) {
	e := requireNode(t)
	e.installScript(t, "jsforce-check.mjs")
	const n = 2500
	o := newConformanceOrg(t, sfsim.Options{}, n)
	env := []string{"SIM_URL=" + o.ts.URL, "SIM_TOKEN=" + o.token, "HOME=" + t.TempDir()}
	js := func(t *testing.T, v any, args ...string) {
		t.Helper()
		out, err := e.run(t, env, append([]string{"jsforce-check.mjs"}, args...)...)
		if err != nil {
			t.Fatalf("jsforce %s: %v", args[0], err)
		}
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("jsforce %s printed %q: %v", args[0], out, err)
		}
	}

	t.Run("REST query with paging", func(t *testing.T) {
		var got struct {
			Version            string
			TotalSize, Fetched int
			DistinctIds        int
			First, Last        map[string]any
		}
		js(t, &got, "query", "SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName")
		if got.TotalSize != n || got.Fetched != n || got.DistinctIds != n {
			t.Fatalf("totalSize %d, fetched %d, distinct ids %d; want %d", got.TotalSize, got.Fetched, got.DistinctIds, n)
		}
		acc, _ := got.Last["Account"].(map[string]any)
		if got.First["LastName"] != "Contact00001" || got.First["Email"] != nil || got.Last["LastName"] != "Contact02500" ||
			got.Last["Email"] != "contact02500@example.com" || acc["Name"] != "Account 21" {
			t.Errorf("first %v, last %v", got.First, got.Last)
		}
		if q := o.count("GET", "/services/data/v"+got.Version+"/query/"); q != 1 {
			t.Errorf("%d nextRecordsUrl fetches at v%s, want 1", q, got.Version)
		}
	})

	t.Run("describe", func(t *testing.T) {
		var got struct {
			Name, KeyPrefix string
			FieldCount      int
			LastName        struct {
				Type                 string
				Nillable, Createable bool
			}
			AccountID struct {
				Type             string
				ReferenceTo      []string
				RelationshipName string
			} `json:"accountId"`
			LeadSource []string
		}
		js(t, &got, "describe", "Contact")
		if got.Name != "Contact" || got.KeyPrefix != "003" || got.FieldCount < 20 {
			t.Errorf("describe name %q prefix %q with %d fields", got.Name, got.KeyPrefix, got.FieldCount)
		}
		if got.LastName.Type != "string" || got.LastName.Nillable || !got.LastName.Createable {
			t.Errorf("LastName %+v, want a createable, not nillable string", got.LastName)
		}
		if got.AccountID.Type != "reference" || strings.Join(got.AccountID.ReferenceTo, ",") != "Account" || got.AccountID.RelationshipName != "Account" {
			t.Errorf("AccountId %+v", got.AccountID)
		}
		if !strings.Contains(strings.Join(got.LeadSource, "|"), "Web|Phone Inquiry") {
			t.Errorf("LeadSource picklist %v", got.LeadSource)
		}
	})

	t.Run("array create through collections", func(t *testing.T) {
		var got struct {
			Results []struct {
				ID      string `json:"id"`
				Success bool
				Errors  []struct {
					StatusCode, Message string
					Fields              []string
				}
			}
		}
		before := o.srv.Count("Contact")
		js(t, &got, "create", o.accounts[0])
		r := got.Results
		if len(r) != 3 || !r[0].Success || !r[1].Success || r[2].Success {
			t.Fatalf("results %+v, want success, success, failure", r)
		}
		if c, ok := o.srv.Get("Contact", r[0].ID); !ok || c["LastName"] != "Created1" || c["AccountId"] != o.accounts[0] {
			t.Errorf("created record %v", c)
		}
		if e := r[2].Errors; len(e) != 1 || e[0].StatusCode != "REQUIRED_FIELD_MISSING" || strings.Join(e[0].Fields, ",") != "LastName" {
			t.Errorf("third record errors %+v", e)
		}
		if after := o.srv.Count("Contact"); after != before+2 {
			t.Errorf("%d contacts after create, want %d", after, before+2)
		}
	})

	t.Run("Bulk 2.0 query", func(t *testing.T) {
		var got struct {
			Fetched, DistinctIds int
			Columns              []string
			First                map[string]string
		}
		// jsforce reads one result page only: from the second page on it
		// writes to a stream it already ended (jsforce issue #1546), so the
		// org keeps its default page size here and all rows fit one page.
		js(t, &got, "bulkquery", "SELECT Id, LastName, Account.Name FROM Contact WHERE LastName LIKE 'Contact%'")
		if got.Fetched != n || got.DistinctIds != n || strings.Join(got.Columns, ",") != "Id,LastName,Account.Name" {
			t.Fatalf("fetched %d (%d distinct), columns %v; want %d and Id,LastName,Account.Name", got.Fetched, got.DistinctIds, got.Columns, n)
		}
		if !sfid.Valid(got.First["Id"]) || !strings.HasPrefix(got.First["Account.Name"], "Account ") {
			t.Errorf("first row %v", got.First)
		}
	})

	t.Run("Bulk 2.0 ingest", func(t *testing.T) {
		var got struct {
			Successful, Failed, Unprocessed int
			SuccessIds                      []string
			FailedErrors                    []string
		}
		before := o.srv.Count("Contact")
		js(t, &got, "bulkingest")
		if got.Successful != 20 || got.Failed != 5 || got.Unprocessed != 0 {
			t.Fatalf("successful %d, failed %d, unprocessed %d; want 20, 5, 0", got.Successful, got.Failed, got.Unprocessed)
		}
		for _, id := range got.SuccessIds {
			if c, ok := o.srv.Get("Contact", id); !ok || !strings.HasPrefix(c["LastName"], "Ingest") || c["FirstName"] != "Bulk" {
				t.Errorf("ingested %s: %v", id, c)
			}
		}
		for _, e := range got.FailedErrors {
			if !strings.HasPrefix(e, "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]") {
				t.Errorf("failed row error %q", e)
			}
		}
		if after := o.srv.Count("Contact"); after != before+20 {
			t.Errorf("%d contacts after ingest, want %d", after, before+20)
		}
	})

	t.Run("SOQL errors", func(t *testing.T) {
		for soql, want := range map[string][2]string{
			"SELECT Id FROMM Contact":     {"MALFORMED_QUERY", "unexpected token: 'FROMM'"},
			"SELECT Id, Foo FROM Contact": {"INVALID_FIELD", "No such column 'Foo' on entity 'Contact'"},
		} {
			var got struct {
				OK                 bool
				ErrorCode, Message string
			}
			js(t, &got, "badquery", soql)
			if got.OK || got.ErrorCode != want[0] || !strings.Contains(got.Message, want[1]) || !strings.Contains(got.Message, "ERROR at Row:1:Column:") {
				t.Errorf("%q: %+v, want %s %q", soql, got, want[0], want[1])
			}
		}
	})

	t.Run("refresh after the session expired", func(t *testing.T) {
		_, refresh, err := o.srv.IssueToken(o.srv.AdminUser().Username)
		if err != nil {
			t.Fatal(err)
		}
		o.srv.ExpireSessions() // o.token dies too: this subtest runs last
		app := o.srv.ConnectedApp()
		var got struct {
			Refreshed, TotalSize int
			TokenChanged         bool
		}
		refreshEnv := append(append([]string(nil), env...),
			"SIM_REFRESH_TOKEN="+refresh, "SIM_CLIENT_ID="+app.ClientID, "SIM_CLIENT_SECRET="+app.ClientSecret)
		out, err := e.run(t, refreshEnv, "jsforce-check.mjs", "refresh", "SELECT COUNT() FROM Contact WHERE LastName LIKE 'Contact%'")
		if err != nil {
			t.Fatalf("jsforce refresh: %v", err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("jsforce refresh printed %q: %v", out, err)
		}
		if got.Refreshed != 1 || !got.TokenChanged || got.TotalSize != n {
			t.Errorf("refreshed %d times, token changed %v, totalSize %d; want 1, true, %d", got.Refreshed, got.TokenChanged, got.TotalSize, n)
		}
		if r := o.count("POST", "/services/oauth2/token"); r != 1 {
			t.Errorf("%d token requests, want 1", r)
		}
	})
}

func TestNodeSalesforceCLI(t *testing.T) {
	e := requireNode(t)
	const n, page = 2500, 1000
	o := newConformanceOrg(t, sfsim.Options{BulkPageSize: page}, n)
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "SF_DISABLE_TELEMETRY=true", "SF_AUTOUPDATE_DISABLE=true",
		"SF_SKIP_NEW_VERSION_CHECK=true", "SF_HIDE_RELEASE_NOTES=true", "SF_USE_GENERIC_UNIX_KEYCHAIN=true",
	}
	sfRun := filepath.Join(e.dir, "node_modules", "@salesforce", "cli", "bin", "run.js")
	// sf runs the CLI with --json; a failing command still prints its JSON.
	sf := func(t *testing.T, extraEnv []string, args ...string) (map[string]any, error) {
		t.Helper()
		out, err := e.run(t, append(append([]string(nil), env...), extraEnv...), append([]string{sfRun}, append(args, "--json")...)...)
		var res map[string]any
		if jerr := json.Unmarshal(out, &res); jerr != nil {
			if err == nil {
				err = jerr
			}
			return nil, fmt.Errorf("sf %s: %w", args[0], err)
		}
		return res, err
	}
	result := func(t *testing.T, res map[string]any) map[string]any {
		t.Helper()
		r, ok := res["result"].(map[string]any)
		if !ok {
			t.Fatalf("no result in %v", res)
		}
		return r
	}

	res, err := sf(t, []string{"SF_ACCESS_TOKEN=" + o.token}, "org", "login", "access-token", "--instance-url", o.ts.URL, "--no-prompt", "--alias", "sim")
	if err != nil {
		t.Fatalf("sf org login access-token: %v", err)
	}
	login := result(t, res)
	if login["orgId"] != o.srv.OrgID() || login["username"] != o.srv.AdminUser().Username {
		t.Fatalf("logged in as %v to %v; want %s to %s", login["username"], login["orgId"], o.srv.AdminUser().Username, o.srv.OrgID())
	}

	t.Run("data query", func(t *testing.T) {
		res, err := sf(t, nil, "data", "query", "--query", "SELECT Id, LastName, Account.Name FROM Contact ORDER BY LastName DESC", "--target-org", "sim")
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, res)
		recs, _ := r["records"].([]any)
		if r["totalSize"] != float64(n) || len(recs) != n {
			t.Fatalf("totalSize %v with %d records, want %d", r["totalSize"], len(recs), n)
		}
		first, _ := recs[0].(map[string]any)
		acc, _ := first["Account"].(map[string]any)
		if first["LastName"] != "Contact02500" || acc["Name"] != "Account 21" {
			t.Errorf("first record %v", first)
		}
		if q := o.count("GET", "/query/"); q != 1 {
			t.Errorf("%d nextRecordsUrl fetches, want 1", q)
		}
		if q := o.count("GET", "columns=true"); q == 0 {
			t.Error("sf data query did not ask for columns=true")
		}
	})

	t.Run("data export bulk", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "contacts.csv")
		res, err := sf(t, nil, "data", "export", "bulk", "--query", "SELECT Id, LastName, Email FROM Contact", "--output-file", file,
			"--result-format", "csv", "--wait", "5", "--target-org", "sim")
		if err != nil {
			t.Fatal(err)
		}
		if r := result(t, res); r["totalSize"] != float64(n) {
			t.Errorf("totalSize %v, want %d", r["totalSize"], n)
		}
		rows := readCSV(t, file)
		if len(rows) != n+1 || strings.Join(rows[0], ",") != "Id,LastName,Email" {
			t.Fatalf("%d rows, header %v", len(rows), rows[0])
		}
		ids := map[string]bool{}
		for _, r := range rows[1:] {
			ids[r[0]] = true
		}
		if len(ids) != n {
			t.Errorf("%d distinct ids in %d rows", len(ids), n)
		}
		if pages := o.count("GET", "/results"); pages != n/page+1 {
			t.Errorf("%d result pages fetched, want %d", pages, n/page+1)
		}
	})

	t.Run("data import bulk", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "import.csv")
		body := "FirstName,LastName,Email,AccountId\n"
		for i := 1; i <= 12; i++ {
			last := fmt.Sprintf("Imported%02d", i)
			if i == 12 {
				last = "" // fails: LastName is required
			}
			body += fmt.Sprintf("Cli,%s,imported%02d@example.com,%s\n", last, i, o.accounts[i%confAccounts])
		}
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		before := o.srv.Count("Contact")
		res, err := sf(t, nil, "data", "import", "bulk", "--file", file, "--sobject", "Contact", "--wait", "5", "--target-org", "sim")
		// One failed row makes the command exit 1 with FailedRecordDetailsError.
		if err == nil || res["name"] != "FailedRecordDetailsError" {
			t.Fatalf("sf data import bulk: %v, result %v; want FailedRecordDetailsError for the row without LastName", err, res)
		}
		if !strings.Contains(fmt.Sprint(res["message"]), "failed to process 1 records") {
			t.Errorf("message %v", res["message"])
		}
		if after := o.srv.Count("Contact"); after != before+11 {
			t.Errorf("%d contacts after import, want %d", after, before+11)
		}
		var imported int
		for _, c := range o.srv.Records("Contact") {
			if strings.HasPrefix(c["LastName"], "Imported") && c["FirstName"] == "Cli" && strings.HasPrefix(c["Email"], "imported") && c["AccountId"] != "" {
				imported++
			}
		}
		if imported != 11 {
			t.Errorf("%d imported contacts with their fields, want 11", imported)
		}
	})
}

func readCSV(t *testing.T, file string) [][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
