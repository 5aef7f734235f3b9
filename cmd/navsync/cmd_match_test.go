package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/navsync/navsync/fixtures"
	"github.com/navsync/navsync/internal/parquettest"
	"github.com/navsync/navsync/matcher"
)

// parquetRows reads a Parquet file back as rows of column name → value
// (strings, float64, int64, bool, []string; nil for null).
func parquetRows(t *testing.T, path string) (names []string, rows []map[string]any) {
	t.Helper()
	return parquettest.Read(t, path).RowMaps()
}

// smallWorld writes an org snapshot and a Sales Navigator export: leads
// sn-000..sn-059 are CRM contacts 003…000..059 (same email and name),
// sn-060..sn-079 are nobody in the org, and the export ends with one row
// that has a field too few (line 82).
func smallWorld(t *testing.T) (crm, leads, accounts string) {
	t.Helper()
	dir := t.TempDir()
	crm = filepath.Join(dir, "crm")
	os.MkdirAll(crm, 0o755)
	q := func(vals ...string) string {
		for i, v := range vals {
			vals[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		return strings.Join(vals, ",") + "\n"
	}
	first := []string{"Anna", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas"}
	last := []string{"Keller", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Svensson", "Tanaka", "Umarov", "Varga"}
	companies := []string{"Acme Robotics", "Borealis Energy", "Cobalt Labs", "Delta Freight", "Evergreen Foods"}
	person := func(i int) (fn, ln, co, email string) {
		fn, ln, co = first[i%len(first)], last[(i/len(first))%len(last)], companies[i%len(companies)]
		email = strings.ToLower(fmt.Sprintf("%s.%s%d@%s.example", fn, ln, i, strings.Fields(co)[0]))
		return
	}
	var contact, account strings.Builder
	contact.WriteString(q("Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "AccountId", "Account.Name", "Title", "MailingCity", "MailingState", "MailingCountry", "OwnerId"))
	account.WriteString(q("Id", "Name", "Website", "Phone", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "NumberOfEmployees", "Industry"))
	for i, co := range companies {
		account.WriteString(q(fmt.Sprintf("001%015d", i), co, "https://www."+strings.ToLower(strings.Fields(co)[0])+".example", "", "", "Berlin", "", "", "Germany", "250", "Software"))
	}
	for i := range 100 {
		fn, ln, co, email := person(i)
		contact.WriteString(q(fmt.Sprintf("003%015d", i), fn, ln, email, "", "", fmt.Sprintf("001%015d", i%len(companies)), co, "Engineer", "Berlin", "", "Germany", "005000000000001AAA"))
	}
	os.WriteFile(filepath.Join(crm, "Contact.csv"), []byte(contact.String()), 0o644)
	os.WriteFile(filepath.Join(crm, "Account.csv"), []byte(account.String()), 0o644)
	os.WriteFile(filepath.Join(crm, "Lead.csv"), []byte(q("Id", "FirstName", "LastName", "Email", "Company", "IsConverted")), 0o644)

	var sn strings.Builder
	sn.WriteString("lead_id,first_name,last_name,email,current_company,current_title,country\n")
	for i := range 60 {
		fn, ln, co, email := person(i)
		fmt.Fprintf(&sn, "sn-%03d,%s,%s,%s,%s,Engineer,DE\n", i, fn, ln, email, co)
	}
	for i := 60; i < 80; i++ {
		fmt.Fprintf(&sn, "sn-%03d,Zed%d,Nobody%d,,Unknown Co %d,Cook,FR\n", i, i, i, i)
	}
	sn.WriteString("sn-bad,Only,Four,fields\n")
	leads = filepath.Join(dir, "leads.csv")
	os.WriteFile(leads, []byte(sn.String()), 0o644)

	accounts = filepath.Join(dir, "accounts.csv")
	os.WriteFile(accounts, []byte("account_id,name,domain,employees\nsa-1,Acme Robotics,acme.example,201-500\nsa-2,Nowhere Inc,nowhere.example,11-50\n"), 0o644)
	return crm, leads, accounts
}

func TestMatchEndToEnd(t *testing.T) {
	crm, leads, accounts := smallWorld(t)
	out := filepath.Join(t.TempDir(), "reports")
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"match", "--crm", crm, "--leads", leads, "--accounts", accounts, "--out", out, "--run-id", "test-run"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("match: %v\nstderr: %s", err, stderr.String())
	}

	names, rows := parquetRows(t, filepath.Join(out, "matches.parquet"))
	if len(rows) != 80 {
		t.Fatalf("%d rows in matches.parquet, want 80 (one per readable lead)", len(rows))
	}
	for _, col := range []string{"run_id", "lead_id", "decision", "crm_object", "crm_id", "probability", "match_weight",
		"runner_up_id", "runner_up_probability", "email_level", "email_weight", "past_title_level", "past_title_weight",
		"blocking_keys", "job_change", "converted", "account_id", "account_probability", "reason"} {
		if !slices.Contains(names, col) {
			t.Errorf("matches.parquet has no column %s", col)
		}
	}
	correct := 0
	for _, r := range rows {
		d := r["decision"]
		if d != "match" && d != "possible" && d != "none" {
			t.Errorf("lead %v: decision %v", r["lead_id"], d)
		}
		if r["run_id"] != "test-run" {
			t.Errorf("run_id %v", r["run_id"])
		}
		var n int
		fmt.Sscanf(r["lead_id"].(string), "sn-%d", &n)
		switch {
		case n < 60:
			if d == "match" && r["crm_id"] == fmt.Sprintf("003%015d", n) && r["crm_object"] == "Contact" {
				correct++
			} else if d == "match" {
				t.Errorf("lead %v matched to %v, want 003%015d", r["lead_id"], r["crm_id"], n)
			}
			if r["email_level"] == nil {
				t.Errorf("lead %v: email_level null though it has a candidate", r["lead_id"])
			}
		default:
			if d == "match" {
				t.Errorf("lead %v (nobody in the org) matched to %v", r["lead_id"], r["crm_id"])
			}
			if r["crm_id"] == nil && r["probability"] != nil {
				t.Errorf("lead %v: probability %v without a candidate", r["lead_id"], r["probability"])
			}
		}
	}
	if correct < 55 {
		t.Errorf("%d of 60 same-email leads matched to their contact", correct)
	}

	_, accRows := parquetRows(t, filepath.Join(out, "accounts.parquet"))
	if len(accRows) != 2 {
		t.Errorf("%d rows in accounts.parquet, want 2", len(accRows))
	}

	_, rj := parquetRows(t, filepath.Join(out, "rejects.parquet"))
	if len(rj) != 1 {
		t.Fatalf("%d rejects, want 1", len(rj))
	}
	if r := rj[0]; r["file"] != leads || r["line"] != int64(82) || r["lead_id"] != "sn-bad" || r["reason"] != "wrong_column_count" || r["raw"] != "sn-bad,Only,Four,fields" {
		t.Errorf("reject %v", r)
	}

	s := stdout.String()
	for _, want := range []string{"run test-run", "leads     80:", "rejects   1 (wrong_column_count 1)", "candidate pairs", "blocking keys (leads)", "timings", filepath.Join(out, "matches.parquet")} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(stderr.String(), "anna") || strings.Contains(s, "Keller") {
		t.Error("a name or email reached the output")
	}
	if e, _ := os.ReadDir(out); len(e) != 4 {
		t.Errorf("out has %d entries, want the 3 reports and report.html", len(e))
	}
	if b, err := os.ReadFile(filepath.Join(out, "report.html")); err != nil || !strings.Contains(string(b), "navsync match test-run") {
		t.Errorf("report.html: %v", err)
	}
}

func TestMatchTrainWritesParams(t *testing.T) {
	crm, leads, _ := smallWorld(t)
	out := t.TempDir()
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"match", "--crm", crm, "--leads", leads, "--out", out, "--train"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p matcher.Params
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("params.json: %v", err)
	}
	if len(p.Lead) == 0 {
		t.Error("params.json has no lead field parameters")
	}
	if !strings.Contains(stdout.String(), "train ") {
		t.Errorf("no train timing in summary:\n%s", stdout.String())
	}
	_, rows := parquetRows(t, filepath.Join(out, "matches.parquet"))
	if len(rows) != 80 {
		t.Errorf("%d rows", len(rows))
	}
}

func TestMatchBadInput(t *testing.T) {
	crm, leads, _ := smallWorld(t)
	noLast := filepath.Join(t.TempDir(), "leads.csv")
	os.WriteFile(noLast, []byte("lead_id,first_name\nx,y\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing column", []string{"--crm", crm, "--leads", noLast}, exitBadInput, `missing required column "last_name"`},
		{"missing leads file", []string{"--crm", crm, "--leads", leads + ".nope"}, exitBadInput, "leads.csv.nope"},
		{"missing crm file", []string{"--crm", filepath.Dir(leads), "--leads", leads}, exitBadInput, "Contact.csv"},
		{"no crm", []string{"--leads", leads}, exitUsage, "--crm"},
		{"no leads", []string{"--crm", crm}, exitUsage, "--leads"},
		{"thresholds", []string{"--crm", crm, "--leads", leads, "--auto-threshold", "0.5", "--review-threshold", "0.8"}, exitUsage, "above --auto-threshold"},
		{"bad run id", []string{"--crm", crm, "--leads", leads, "--run-id", "../x"}, exitUsage, "--run-id"},
		// issue 9 defect 7: a file where a folder belongs is bad input (exit 5), not a failure
		{"crm is a file", []string{"--crm", leads, "--leads", leads}, exitBadInput, "not a folder"},
		{"crm missing", []string{"--crm", crm + ".nope", "--leads", leads}, exitBadInput, "crm.nope"},
		{"leads is a folder", []string{"--crm", crm, "--leads", crm}, exitBadInput, "is a folder"},
		{"out is a file", []string{"--crm", crm, "--leads", leads, "--out", leads}, exitBadInput, "is a file"},
		{"out under a file", []string{"--crm", crm, "--leads", leads, "--out", filepath.Join(leads, "out")}, exitBadInput, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"match", "--out", out}, tc.args...)
			err := Run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
			var msg bytes.Buffer
			if code := exitCode(context.Background(), err, &msg); code != tc.code {
				t.Errorf("exit %d, want %d (%v)", code, tc.code, err)
			}
			if !strings.Contains(msg.String(), tc.msg) {
				t.Errorf("message %q lacks %q", msg.String(), tc.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("out folder created though the run stopped")
			}
			if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
				t.Errorf("left %v beside --out", ents)
			}
		})
	}
}

// TestMatchOutCheckedFirst: --out is checked before any input is read. The
// lead export here is a pipe nobody writes to: reading it would block, so
// the run must stop on --out first (issue 9, defect 7: --out was checked
// only after reading and matching).
func TestMatchOutCheckedFirst(t *testing.T) {
	crm, _, _ := smallWorld(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "leads.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	outFile := filepath.Join(dir, "out.txt")
	os.WriteFile(outFile, []byte("not a folder"), 0o644)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []string{"match", "--crm", crm, "--leads", fifo, "--out", outFile}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	select {
	case err := <-done:
		if code := exitCode(context.Background(), err, io.Discard); code != exitBadInput || !strings.Contains(err.Error(), "is a file") {
			t.Errorf("exit %d (%v), want %d naming --out", code, err, exitBadInput)
		}
	case <-time.After(20 * time.Second):
		os.WriteFile(fifo, nil, 0) // let the reader go
		t.Fatal("the run read its inputs before checking --out")
	}
}

// writeWorld writes a generated world of the seed and size as files
// (crm/, salesnav/) to a temporary folder and returns the folder and the
// world.
func writeWorld(t *testing.T, seed int64, people int) (string, *fixtures.World) {
	t.Helper()
	dir := t.TempDir()
	w, err := fixtures.Generate(fixtures.Options{Seed: seed, People: people})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

// TestMatchGeneratedWorld runs navsync match on a generated world with one
// broken row appended to the lead export.
func TestMatchGeneratedWorld(t *testing.T) {
	dir, w := writeWorld(t, 3, 1000)
	leads := filepath.Join(dir, "salesnav", "leads.csv")
	body, err := os.ReadFile(leads)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(body, []byte("\n")) // the export has no quoted line breaks
	f, _ := os.OpenFile(leads, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("broken-lead,\"Ann\n") // an unterminated quote to the end of the file
	f.Close()
	out := filepath.Join(dir, "reports")
	var stdout bytes.Buffer
	err = Run(context.Background(), []string{"match", "--crm", filepath.Join(dir, "crm"), "--leads", leads,
		"--accounts", filepath.Join(dir, "salesnav", "accounts.csv"), "--out", out}, &stdout, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := parquetRows(t, filepath.Join(out, "matches.parquet"))
	if len(rows) != len(w.SNLeads) {
		t.Errorf("%d rows, want %d", len(rows), len(w.SNLeads))
	}
	seen := map[any]bool{}
	for _, r := range rows {
		if d := r["decision"]; d != "match" && d != "possible" && d != "none" {
			t.Errorf("decision %v", d)
		}
		if seen[r["lead_id"]] {
			t.Errorf("lead %v twice", r["lead_id"])
		}
		seen[r["lead_id"]] = true
		if (r["crm_id"] == nil) != (r["crm_object"] == nil) {
			t.Errorf("lead %v: crm_id %v, crm_object %v", r["lead_id"], r["crm_id"], r["crm_object"])
		}
	}
	_, acc := parquetRows(t, filepath.Join(out, "accounts.parquet"))
	if len(acc) != len(w.SNAccounts) {
		t.Errorf("%d account rows, want %d", len(acc), len(w.SNAccounts))
	}
	_, rj := parquetRows(t, filepath.Join(out, "rejects.parquet"))
	if len(rj) != 1 || rj[0]["line"] != int64(lines+1) || rj[0]["reason"] != "malformed_quotes" {
		t.Errorf("rejects %v, want one malformed_quotes at line %d", rj, lines+1)
	}
}

// rewriteCSV rewrites a CSV file through edit, which gets the header and
// each row and returns the row to write (or nil to drop the row).
func rewriteCSV(t *testing.T, src, dst string, edit func(header, row []string) []string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	for i, r := range recs {
		if i > 0 {
			r = edit(recs[0], r)
		} else {
			r = edit(nil, r)
		}
		if r != nil {
			w.Write(r)
		}
	}
	w.Flush()
	if err := cmp.Or(w.Error(), out.Close()); err != nil {
		t.Fatal(err)
	}
}

// TestMatch15CharIDs: 15- and 18-character Salesforce ids name the same
// record. A world whose Contact export (without Account.Name, as Data
// Loader writes it unless asked) holds 15-character ids while Account.csv
// holds 18 must give the same reports as the all-18 export (issue 9,
// defect 4: every contact lost its company and matches fell by a quarter).
func TestMatch15CharIDs(t *testing.T) {
	dir, _ := writeWorld(t, 5, 1500)
	idCols := map[string]bool{"Id": true, "AccountId": true, "OwnerId": true, "ConvertedContactId": true, "ConvertedAccountId": true, "ProfileId": true}
	// to15 shortens the id columns of a row; drop names columns to leave out.
	edit := func(shorten bool, drop ...string) func(header, row []string) []string {
		return func(header, row []string) []string {
			var out []string
			for i, v := range row {
				name := v
				if header != nil {
					name = header[i]
				}
				if slices.Contains(drop, name) {
					continue
				}
				if header != nil && shorten && idCols[name] && len(v) == 18 {
					v = v[:15]
				}
				out = append(out, v)
			}
			return out
		}
	}
	crm18, crm15 := filepath.Join(dir, "crm18"), filepath.Join(dir, "crm15")
	for _, d := range []string{crm18, crm15} {
		os.MkdirAll(d, 0o755)
		for _, name := range []string{"Contact.csv", "Lead.csv", "Account.csv", "User.csv", "Opportunity.csv"} {
			shorten := d == crm15 && name != "Account.csv" // Account.csv keeps 18
			rewriteCSV(t, filepath.Join(dir, "crm", name), filepath.Join(d, name), edit(shorten, "Account.Name"))
		}
	}
	run := func(crm string) string {
		out := filepath.Join(dir, "out-"+filepath.Base(crm))
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), []string{"match", "--crm", crm, "--leads", filepath.Join(dir, "salesnav", "leads.csv"),
			"--accounts", filepath.Join(dir, "salesnav", "accounts.csv"), "--out", out, "--run-id", "ids"}, &stdout, &stderr)
		if err != nil {
			t.Fatalf("match %s: %v\n%s", crm, err, stderr.String())
		}
		return out
	}
	out18, out15 := run(crm18), run(crm15)
	for _, report := range []string{"matches.parquet", "accounts.parquet", "rejects.parquet"} {
		_, rows18 := parquetRows(t, filepath.Join(out18, report))
		_, rows15 := parquetRows(t, filepath.Join(out15, report))
		if report == "rejects.parquet" {
			if len(rows15) != 0 || len(rows18) != 0 {
				t.Errorf("rejects: %d with 15-character ids, %d with 18", len(rows15), len(rows18))
			}
			continue
		}
		if len(rows15) != len(rows18) {
			t.Fatalf("%s: %d rows with 15-character ids, %d with 18", report, len(rows15), len(rows18))
		}
		diff, matches := 0, 0
		for i := range rows18 {
			if rows18[i]["decision"] == "match" {
				matches++
			}
			if !reflect.DeepEqual(rows15[i], rows18[i]) {
				if diff++; diff <= 3 {
					t.Errorf("%s row %d:\n15: %v\n18: %v", report, i, rows15[i], rows18[i])
				}
			}
		}
		if diff > 0 || matches == 0 {
			t.Errorf("%s: %d of %d rows differ between 15- and 18-character ids (%d matches)", report, diff, len(rows18), matches)
		}
	}
}

// reportRunIDs is the run_id of each report in out ("" for one that is
// missing or not a readable Parquet file).
func reportRunIDs(t *testing.T, out string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, name := range []string{"matches.parquet", "accounts.parquet", "rejects.parquet"} {
		pf, err := file.OpenParquetFile(filepath.Join(out, name), false)
		if err != nil {
			ids[name] = ""
			continue
		}
		if v := pf.MetaData().KeyValueMetadata().FindValue("navsync.run_id"); v != nil {
			ids[name] = *v
		}
		pf.Close()
	}
	return ids
}

// TestMatchReportsReplacedTogether: --out holds the reports of one run,
// whole. A run that fails while switching leaves the previous set; a run
// that succeeds replaces every file, params.json included (gone when the
// run did not train), and leaves no temporary files behind (issue 9,
// defect 6: reports were renamed one at a time, so a failed rename left
// matches.parquet of one run beside accounts.parquet of another).
func TestMatchReportsReplacedTogether(t *testing.T) {
	crm, leads, accounts := smallWorld(t)
	out := filepath.Join(t.TempDir(), "reports")
	match := func(runID string, extra ...string) error {
		args := append([]string{"match", "--crm", crm, "--leads", leads, "--accounts", accounts, "--out", out, "--run-id", runID}, extra...)
		return Run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
	}
	consistent := func(when string) string {
		t.Helper()
		ids := reportRunIDs(t, out)
		if ids["matches.parquet"] == "" || ids["matches.parquet"] != ids["accounts.parquet"] || ids["matches.parquet"] != ids["rejects.parquet"] {
			t.Fatalf("%s: reports of different runs side by side: %v", when, ids)
		}
		return ids["matches.parquet"]
	}
	if err := match("r1", "--train"); err != nil {
		t.Fatal(err)
	}
	if id := consistent("after r1"); id != "r1" {
		t.Fatalf("run %s after r1", id)
	}
	if _, err := os.Stat(filepath.Join(out, "params.json")); err != nil {
		t.Fatalf("r1 trained: %v", err)
	}

	// Something in the way of one report: accounts.parquet is now a
	// folder that cannot be replaced by a rename.
	acc := filepath.Join(out, "accounts.parquet")
	if err := os.Remove(acc); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(acc, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := match("r2")
	ids := reportRunIDs(t, out)
	if err != nil {
		// A failed run must have left r1's set alone (less the file
		// removed above).
		if ids["matches.parquet"] != "r1" || ids["rejects.parquet"] != "r1" {
			t.Fatalf("r2 failed (%v) and left %v", err, ids)
		}
		return
	}
	if id := consistent("after r2"); id != "r2" {
		t.Fatalf("run %s after r2", id)
	}
	if _, err := os.Stat(filepath.Join(out, "params.json")); !os.IsNotExist(err) {
		t.Errorf("params.json of r1 is still in the set of r2, which did not train (%v)", err)
	}
	// No temporary file or folder anywhere near the reports.
	for _, dir := range []string{out, filepath.Dir(out)} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if strings.Contains(d.Name(), ".tmp") {
				t.Errorf("temporary file left: %s", p)
			}
			return nil
		})
	}
}

// TestMatchDroppedValue: a bad value in an optional column leaves the value
// out and keeps the row; rejects.parquet names it (invalid_value) and the
// summary counts it apart from rejected rows (issue 9, defect 7).
func TestMatchDroppedValue(t *testing.T) {
	crm, leads, _ := smallWorld(t)
	f, err := os.OpenFile(filepath.Join(crm, "Account.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`"001000000000099AAA","Umbrella Labs","","","","Berlin","","","Germany","lots","Pharma"` + "\n")
	f.Close()
	out := filepath.Join(t.TempDir(), "reports")
	var stdout bytes.Buffer
	if err := Run(context.Background(), []string{"match", "--crm", crm, "--leads", leads, "--out", out}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	s := stdout.String()
	for _, want := range []string{"values dropped", "rejects   1 (wrong_column_count 1)", "values    1 left out of kept rows (invalid_value)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	accLine := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "Account.csv") {
			accLine = strings.Join(strings.Fields(l), " ")
		}
	}
	if !strings.HasSuffix(accLine, "Account 6 0 1") {
		t.Errorf("Account.csv line %q, want 6 rows kept, 0 rejected, 1 value dropped", accLine)
	}
	_, rj := parquetRows(t, filepath.Join(out, "rejects.parquet"))
	found := false
	for _, r := range rj {
		if r["reason"] == "invalid_value" {
			found = true
			if r["line"] != int64(7) || r["lead_id"] != "001000000000099AAA" || !strings.HasPrefix(r["detail"].(string), `NumberOfEmployees "lots"`) {
				t.Errorf("reject %v", r)
			}
		}
	}
	if !found || len(rj) != 2 {
		t.Errorf("rejects %v", rj)
	}
}
