package batch

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
)

var updateConfigGolden = flag.Bool("update-config", false, "rewrite batch/testdata/config/*.golden")

const testUser = "integration@acme.example.com"

// configDir copies testdata/config into a temporary folder and adds what
// cannot be checked in (files of mode 0600): secret.txt, tokens/ holding a
// refresh token for testUser, and navsync.key.
func configDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "config")))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "secret.txt"), "consumer-secret\n", 0o600)
	store := sfbulk.UserTokenStore(filepath.Join(dir, "tokens"), testUser)
	if err := store.Save(context.Background(), &sfbulk.Token{RefreshToken: "5Aep-test", Username: testUser}); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	writeFile(t, filepath.Join(dir, "navsync.key"), string(pemKey), 0o600)
	return dir
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile keeps an existing file's mode
		t.Fatal(err)
	}
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T), want a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrConfig) {
		t.Error("a ValidationError is not ErrConfig")
	}
	return ve.Problems
}

func TestConfigLoadValid(t *testing.T) {
	dir := configDir(t)
	c, err := Load(filepath.Join(dir, "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths are resolved against the config's folder; the glob is expanded, sorted.
	wantLeads := []string{filepath.Join(dir, "exports", "leads-2.csv"), filepath.Join(dir, "exports", "leads.csv")}
	if !reflect.DeepEqual(c.SalesNav.Leads, wantLeads) {
		t.Errorf("leads %q, want %q", c.SalesNav.Leads, wantLeads)
	}
	if want := []string{filepath.Join(dir, "exports", "accounts.csv")}; !reflect.DeepEqual(c.SalesNav.Accounts, want) {
		t.Errorf("accounts %q, want %q (a single value is a list of one)", c.SalesNav.Accounts, want)
	}
	for got, want := range map[string]string{
		c.Salesforce.Auth.ClientSecretFile: filepath.Join(dir, "secret.txt"),
		c.Salesforce.Auth.TokenStore:       filepath.Join(dir, "tokens"),
		c.Reports.Dir:                      filepath.Join(dir, "reports"),
		c.State.Path:                       filepath.Join(dir, "navsync.db"),
		c.WorkDir:                          filepath.Join(dir, "work"),
	} {
		if got != want {
			t.Errorf("path %q, want %q", got, want)
		}
	}
	// Defaults.
	mo := matcher.DefaultOptions()
	if c.Matching.AutoThreshold != mo.AutoThreshold || c.Matching.ReviewThreshold != mo.ReviewThreshold {
		t.Errorf("thresholds %v/%v, want the matcher's %v/%v", c.Matching.AutoThreshold, c.Matching.ReviewThreshold, mo.AutoThreshold, mo.ReviewThreshold)
	}
	if !reflect.DeepEqual(c.Writeback.Fields, DefaultWritebackFields()) || c.Writeback.LeadIDField() != "Sales_Navigator_Lead_Id__c" ||
		c.Writeback.FieldFrom("profile_url") != "LinkedIn_Profile_URL__c" {
		t.Errorf("writeback fields %+v, want the defaults", c.Writeback.Fields)
	}
	if !c.Writeback.Writes("Contact") || !c.Writeback.Writes("Lead") || c.Writeback.Writes("Account") {
		t.Errorf("objects %v", c.Writeback.Objects)
	}
	if c.Writeback.BulkThreshold != 10000 || c.Writeback.LockRetries != 5 || c.Salesforce.APIVersion != sfbulk.DefaultAPIVersion ||
		!c.Salesforce.DeleteBulkJobs {
		t.Errorf("defaults: bulk %d, lock retries %d, api %s, delete bulk jobs %v", c.Writeback.BulkThreshold, c.Writeback.LockRetries,
			c.Salesforce.APIVersion, c.Salesforce.DeleteBulkJobs)
	}
	if c.Safety != (SafetyConfig{MaxWrites: 50000, MaxGrowth: 5, GrowthFloor: 1000}) {
		t.Errorf("safety %+v", c.Safety)
	}
	if c.Contacts.Enabled || c.Contacts.MonthlyQuota != 1000 || c.Contacts.DailyAPIBudget != 1000 || c.Contacts.OpportunityRole.Policy != RolePolicyNone {
		t.Errorf("contacts %+v", c.Contacts)
	}
	if s, err := c.Salesforce.Auth.ClientSecret(); err != nil || s != "consumer-secret" {
		t.Errorf("client secret %q, %v", s, err)
	}
	// Validate again, as a caller does after overriding a setting: still valid.
	if err := c.Validate(); err != nil {
		t.Errorf("Validate after Load: %v", err)
	}
}

func TestConfigProblemsAllTogether(t *testing.T) {
	dir := configDir(t)
	writeFile(t, filepath.Join(dir, "secret.txt"), "x", 0o644)
	t.Setenv("NAVSYNC_TEST_UNSET_SECRET", "")
	_, err := Load(filepath.Join(dir, "problems.yaml"))
	if err == nil {
		t.Fatal("problems.yaml loaded without error")
	}
	got := strings.ReplaceAll(err.Error(), dir, "$DIR")
	if strings.Contains(got, "do-not-print-me") {
		t.Error("the error prints the inline secret's value")
	}
	golden := filepath.Join("testdata", "config", "problems.golden")
	if *updateConfigGolden {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err2 := os.ReadFile(golden)
	if err2 != nil {
		t.Fatal(err2)
	}
	if got+"\n" != string(want) {
		t.Errorf("error text differs from %s (go test ./batch/ -run ConfigProblemsAllTogether -update-config)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	probs := problemsOf(t, err)
	last := 0
	for _, p := range probs {
		if p.Line == 0 {
			last = 1 << 30
			continue
		}
		if p.Line < last {
			t.Errorf("problem %q at line %d after line %d: want file order", p.Key, p.Line, last)
		}
		last = p.Line
	}
}

// base is a valid config in dir; cases append to or replace its lines.
const baseYAML = `salesforce:
  login_url: https://acme.my.salesforce.com
  auth:
    flow: refresh_token
    client_id: 3MVG9example
    username: integration@acme.example.com
    token_store: tokens
salesnav:
  leads: [exports/leads.csv]
`

func loadYAML(t *testing.T, dir, body string) (*Config, error) {
	t.Helper()
	p := filepath.Join(dir, "navsync.yaml")
	writeFile(t, p, body, 0o644)
	return Load(p)
}

func TestConfigProblems(t *testing.T) {
	dir := configDir(t)
	jwtBase := strings.Replace(strings.Replace(baseYAML, "flow: refresh_token", "flow: jwt", 1), "token_store: tokens", "private_key_file: navsync.key", 1)
	cases := []struct {
		name     string
		yaml     string
		key      string // the problem's key
		line     int    // its line, 0: not checked
		msg      string // a substring of its message
		hint     string // a substring of its hint
		setup    func()
		notInErr string
	}{
		{name: "typo", yaml: strings.Replace(baseYAML, "login_url", "login_ur", 1), key: "salesforce.login_ur", line: 2, msg: `unknown key "login_ur"`, hint: `did you mean "login_url"?`},
		{name: "missing login url", yaml: strings.Replace(baseYAML, "  login_url: https://acme.my.salesforce.com\n", "", 1), key: "salesforce.login_url", line: 1, msg: "missing"},
		{name: "unknown top-level key", yaml: baseYAML + "colour: blue\n", key: "colour", line: 10, msg: `unknown key "colour"`, hint: "known keys here: salesforce, salesnav"},
		{name: "inline client secret", yaml: strings.Replace(baseYAML, "    client_id", "    client_secret: s3cr3t-value\n    client_id", 1), key: "salesforce.auth.client_secret", line: 5,
			msg: "secrets are never written", hint: "client_secret_env", notInErr: "s3cr3t-value"},
		{name: "inline access token", yaml: baseYAML + "access_token: 00Dx!AQ0abc\n", key: "access_token", msg: "secrets are never written", hint: "token store", notInErr: "AQ0abc"},
		{name: "missing flow", yaml: strings.Replace(baseYAML, "    flow: refresh_token\n", "", 1), key: "salesforce.auth.flow", line: 3, msg: "missing"},
		{name: "unknown flow", yaml: strings.Replace(baseYAML, "flow: refresh_token", "flow: password", 1), key: "salesforce.auth.flow", line: 4, msg: `unknown flow "password"`},
		{name: "missing client id", yaml: strings.Replace(baseYAML, "    client_id: 3MVG9example\n", "", 1), key: "salesforce.auth.client_id", msg: "missing"},
		{name: "missing leads", yaml: strings.Replace(baseYAML, "  leads: [exports/leads.csv]\n", "", 1), key: "salesnav.leads", msg: "missing"},
		{name: "leads file missing", yaml: strings.Replace(baseYAML, "exports/leads.csv", "exports/nope.csv", 1), key: "salesnav.leads[0]", line: 9, msg: "does not exist"},
		{name: "glob matches nothing", yaml: strings.Replace(baseYAML, "exports/leads.csv", "exports/x-*.csv", 1), key: "salesnav.leads[0]", line: 9, msg: "no file matches"},
		{name: "accounts unreadable", yaml: baseYAML + "  accounts: [exports]\n", key: "salesnav.accounts[0]", msg: "is a folder"},
		{name: "same file twice", yaml: baseYAML + "  accounts: [exports/leads.csv]\n", key: "salesnav.accounts[0]", msg: "is also salesnav.leads[0]"},
		{name: "review above auto", yaml: baseYAML + "matching:\n  auto_threshold: 0.6\n  review_threshold: 0.7\n", key: "matching.review_threshold", line: 12, msg: "above auto_threshold"},
		{name: "threshold out of range", yaml: baseYAML + "matching:\n  auto_threshold: 1.5\n", key: "matching.auto_threshold", msg: "not a probability"},
		{name: "params file not params", yaml: baseYAML + "matching:\n  params_file: exports/leads.csv\n", key: "matching.params_file", msg: "not a params.json"},
		{name: "secret env and file", yaml: strings.Replace(baseYAML, "    username", "    client_secret_env: X\n    client_secret_file: secret.txt\n    username", 1),
			key: "salesforce.auth.client_secret_file", msg: "both set"},
		{name: "secret env unset", yaml: strings.Replace(baseYAML, "    username", "    client_secret_env: NAVSYNC_TEST_NOT_SET\n    username", 1),
			key: "salesforce.auth.client_secret_env", msg: "NAVSYNC_TEST_NOT_SET is not set", hint: "export NAVSYNC_TEST_NOT_SET"},
		{name: "secret env not a name", yaml: strings.Replace(baseYAML, "    username", "    client_secret_env: abc def\n    username", 1),
			key: "salesforce.auth.client_secret_env", msg: "not an environment variable name"},
		{name: "secret file readable by others", yaml: strings.Replace(baseYAML, "    username", "    client_secret_file: open.txt\n    username", 1),
			key: "salesforce.auth.client_secret_file", msg: "mode -rw-r--r--", hint: "chmod 600",
			setup: func() { writeFile(t, filepath.Join(dir, "open.txt"), "s", 0o644) }},
		{name: "secret file missing", yaml: strings.Replace(baseYAML, "    username", "    client_secret_file: nosuch.txt\n    username", 1),
			key: "salesforce.auth.client_secret_file", msg: "no such file"},
		{name: "client credentials on login.salesforce.com",
			yaml: strings.NewReplacer("https://acme.my.salesforce.com", "https://login.salesforce.com", "flow: refresh_token", "flow: client_credentials",
				"    username: integration@acme.example.com\n    token_store: tokens\n", "    client_secret_file: secret.txt\n").Replace(baseYAML),
			key: "salesforce.login_url", line: 2, msg: "client_credentials is refused by login.salesforce.com", hint: "My Domain"},
		{name: "client credentials on test.salesforce.com",
			yaml: strings.NewReplacer("https://acme.my.salesforce.com", "https://test.salesforce.com", "flow: refresh_token", "flow: client_credentials",
				"    username: integration@acme.example.com\n    token_store: tokens\n", "    client_secret_file: secret.txt\n").Replace(baseYAML),
			key: "salesforce.login_url", msg: "refused by test.salesforce.com"},
		{name: "client credentials without secret", yaml: strings.NewReplacer("flow: refresh_token", "flow: client_credentials",
			"    username: integration@acme.example.com\n    token_store: tokens\n", "").Replace(baseYAML),
			key: "salesforce.auth.client_secret_env", msg: "needs the consumer secret"},
		{name: "client credentials with a username", yaml: strings.NewReplacer("flow: refresh_token", "flow: client_credentials",
			"    token_store: tokens\n", "    client_secret_file: secret.txt\n").Replace(baseYAML),
			key: "salesforce.auth.username", msg: "does not use it"},
		{name: "jwt without username", yaml: strings.Replace(jwtBase, "    username: integration@acme.example.com\n", "", 1), key: "salesforce.auth.username", msg: "missing"},
		{name: "jwt without key", yaml: strings.Replace(jwtBase, "    private_key_file: navsync.key\n", "", 1), key: "salesforce.auth.private_key_file", msg: "missing"},
		{name: "jwt key not PEM", yaml: strings.Replace(jwtBase, "navsync.key", "secret.txt", 1), key: "salesforce.auth.private_key_file", msg: "not a PEM file"},
		{name: "jwt key readable by others", yaml: strings.Replace(jwtBase, "navsync.key", "open.key", 1), key: "salesforce.auth.private_key_file", msg: "group and others",
			setup: func() {
				b, _ := os.ReadFile(filepath.Join(dir, "navsync.key"))
				writeFile(t, filepath.Join(dir, "open.key"), string(b), 0o640)
			}},
		{name: "jwt with token store", yaml: strings.Replace(jwtBase, "    private_key_file", "    token_store: tokens\n    private_key_file", 1), key: "salesforce.auth.token_store", msg: "flow jwt does not use it"},
		{name: "token store folder without username", yaml: strings.Replace(baseYAML, "    username: integration@acme.example.com\n", "", 1), key: "salesforce.auth.username", msg: "token_store is a folder"},
		{name: "no token for the user", yaml: strings.Replace(baseYAML, "integration@acme", "someone@acme", 1), key: "salesforce.auth.token_store", msg: "no stored token", hint: "consent"},
		{name: "token store readable by others", yaml: strings.Replace(baseYAML, "token_store: tokens", "token_store: open.json", 1), key: "salesforce.auth.token_store", msg: "group or others", hint: "chmod 600",
			setup: func() { writeFile(t, filepath.Join(dir, "open.json"), `{"refresh_token":"x"}`, 0o644) }},
		{name: "token store without refresh token", yaml: strings.Replace(baseYAML, "token_store: tokens", "token_store: access.json", 1), key: "salesforce.auth.token_store", msg: "no refresh token",
			setup: func() { writeFile(t, filepath.Join(dir, "access.json"), `{"access_token":"x"}`, 0o600) }},
		{name: "token store of another org", yaml: strings.Replace(strings.Replace(baseYAML, "token_store: tokens", "token_store: other.json", 1), "  auth:", "  org_id: "+sfid.New(sfid.Organization, "5g", 1)+"\n  auth:", 1),
			key: "salesforce.auth.token_store", msg: "holds a token of org " + sfid.New(sfid.Organization, "5g", 2)[:15],
			setup: func() {
				id := "https://login.salesforce.com/id/" + sfid.New(sfid.Organization, "5g", 2) + "/" + sfid.New(sfid.User, "5g", 1)
				writeFile(t, filepath.Join(dir, "other.json"), `{"refresh_token":"x","id":"`+id+`"}`, 0o600)
			}},
		{name: "http login host", yaml: strings.Replace(baseYAML, "https://acme.my", "http://acme.my", 1), key: "salesforce.login_url", msg: "only allowed for a loopback host"},
		{name: "lightning host", yaml: strings.Replace(baseYAML, "acme.my.salesforce.com", "acme.lightning.force.com", 1), key: "salesforce.login_url", msg: "Lightning UI host", hint: "My Domain"},
		{name: "api version unquoted integer", yaml: strings.Replace(baseYAML, "  auth:", "  api_version: 62\n  auth:", 1), key: "salesforce.api_version", msg: `"62" is not an API version`, hint: `"62.0"`},
		{name: "api version too old", yaml: strings.Replace(baseYAML, "  auth:", "  api_version: \"40.0\"\n  auth:", 1), key: "salesforce.api_version", msg: "too old"},
		{name: "moved key", yaml: baseYAML + "writeback:\n  delete_ingest_jobs: false\n", key: "writeback.delete_ingest_jobs", line: 11,
			msg: "writeback.delete_ingest_jobs is now salesforce.delete_bulk_jobs", hint: "write it as salesforce.delete_bulk_jobs"},
		{name: "bad org id", yaml: strings.Replace(baseYAML, "  auth:", "  org_id: 00Dxyz\n  auth:", 1), key: "salesforce.org_id", msg: "not an org id"},
		{name: "bad cron", yaml: baseYAML + "schedule: \"61 2 * * *\"\n", key: "schedule", line: 10, msg: "bad cron expression"},
		{name: "cron with seconds", yaml: baseYAML + "schedule: \"0 30 2 * * *\"\n", key: "schedule", msg: "bad cron expression", hint: "no seconds field"},
		{name: "cron tz without spec", yaml: baseYAML + "schedule: CRON_TZ=Europe/Paris\n", key: "schedule", msg: "not followed by a schedule"},
		{name: "cron unknown tz", yaml: baseYAML + "schedule: CRON_TZ=Mars/Olympus 0 2 * * *\n", key: "schedule", msg: `unknown time zone "Mars/Olympus"`},
		{name: "duplicate writeback field", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id}\n    - {field: SALES_NAVIGATOR_LEAD_ID__C, from: email}\n",
			key: "writeback.fields[1].field", line: 13, msg: "written twice (also writeback.fields[0])"},
		{name: "writeback field not an API name", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id}\n    - {field: Profile URL__c, from: profile_url}\n",
			key: "writeback.fields[1].field", msg: `"Profile URL__c" is not a field API name`},
		{name: "writeback relationship name", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Lead_Ref__r, from: lead_id}\n", key: "writeback.fields[0].field", msg: "not a field API name"},
		{name: "writeback owner", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id}\n    - {field: OwnerId, from: owner_email}\n", key: "writeback.fields[1].field", msg: "never written back"},
		{name: "unknown from column", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id}\n    - {field: X__c, from: linkedin}\n",
			key: "writeback.fields[1].from", line: 13, msg: `unknown lead column "linkedin"`, hint: "lead_id, profile_url"},
		{name: "bad overwrite", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id, overwrite: if_empty}\n", key: "writeback.fields[0].overwrite", msg: `unknown policy "if_empty"`},
		{name: "no lead id field", yaml: baseYAML + "writeback:\n  fields:\n    - {field: LinkedIn_Profile_URL__c, from: profile_url}\n", key: "writeback.fields", msg: "no field takes lead_id"},
		{name: "writeback to Account", yaml: baseYAML + "writeback:\n  objects: [Contact, Account]\n", key: "writeback.objects[1]", msg: `"Account" cannot be written back`},
		{name: "bulk threshold not a number", yaml: baseYAML + "writeback:\n  bulk_threshold: lots\n", key: "writeback.bulk_threshold", line: 11, msg: `want a whole number, got "lots"`},
		{name: "bulk threshold zero", yaml: baseYAML + "writeback:\n  bulk_threshold: 0\n", key: "writeback.bulk_threshold", msg: "at least 1"},
		{name: "contacts enabled without lead source", yaml: baseYAML + "contacts:\n  enabled: true\n  auth: {flow: refresh_token, token_store: owners}\n",
			key: "contacts.lead_source", line: 10, msg: "missing", hint: "Contact.LeadSource"},
		{name: "contacts enabled without auth", yaml: baseYAML + "contacts:\n  enabled: true\n  lead_source: LinkedIn\n", key: "contacts.auth.flow", msg: "missing", hint: "navsync auth login"},
		{name: "contacts jwt without a key to share", yaml: baseYAML + "contacts:\n  enabled: true\n  lead_source: LinkedIn\n  auth:\n    flow: jwt\n",
			key: "contacts.auth.private_key_file", msg: "salesforce.auth uses flow refresh_token, so its key cannot be shared"},
		{name: "contacts jwt key readable by others", yaml: baseYAML + "contacts:\n  enabled: true\n  lead_source: LinkedIn\n  auth:\n    flow: jwt\n    private_key_file: open.key\n",
			key: "contacts.auth.private_key_file", line: 15, msg: "group and others",
			setup: func() {
				b, _ := os.ReadFile(filepath.Join(dir, "navsync.key"))
				writeFile(t, filepath.Join(dir, "open.key"), string(b), 0o644)
			}},
		{name: "contacts jwt key not PEM", yaml: baseYAML + "contacts:\n  enabled: true\n  lead_source: LinkedIn\n  auth: {flow: jwt, private_key_file: secret.txt}\n",
			key: "contacts.auth.private_key_file", msg: "not a PEM file"},
		{name: "contacts jwt with token store", yaml: jwtBase + "contacts:\n  auth: {flow: jwt, token_store: owners}\n", key: "contacts.auth.token_store", msg: "flow jwt does not use it"},
		{name: "contacts refresh token without store", yaml: baseYAML + "contacts:\n  auth: {flow: refresh_token}\n", key: "contacts.auth.token_store", msg: "missing", hint: "navsync auth login"},
		{name: "contacts refresh token with a key", yaml: jwtBase + "contacts:\n  auth: {flow: refresh_token, token_store: owners, private_key_file: navsync.key}\n",
			key: "contacts.auth.private_key_file", msg: "flow refresh_token does not use it"},
		{name: "contacts token store is a file", yaml: baseYAML + "contacts:\n  auth: {flow: refresh_token, token_store: owners.json}\n", key: "contacts.auth.token_store", msg: "names a file"},
		{name: "contacts token store open to others", yaml: baseYAML + "contacts:\n  auth: {flow: refresh_token, token_store: shared}\n", key: "contacts.auth.token_store",
			msg: "group and others must not read or write", hint: "chmod 700",
			setup: func() {
				if err := os.MkdirAll(filepath.Join(dir, "shared"), 0o755); err != nil {
					t.Fatal(err)
				}
				os.Chmod(filepath.Join(dir, "shared"), 0o755)
			}},
		{name: "contacts client credentials", yaml: baseYAML + "contacts:\n  auth: {flow: client_credentials}\n", key: "contacts.auth.flow", msg: "never as each owner"},
		{name: "contacts unknown flow", yaml: baseYAML + "contacts:\n  auth: {flow: password}\n", key: "contacts.auth.flow", msg: `unknown flow "password"`},
		{name: "contacts redirect not loopback", yaml: baseYAML + "contacts:\n  auth: {redirect_url: \"https://navsync.acme.com/callback\"}\n",
			key: "contacts.auth.redirect_url", msg: "not an http:// URL"},
		{name: "contacts redirect remote host", yaml: baseYAML + "contacts:\n  auth: {redirect_url: \"http://10.0.0.1:1717/cb\"}\n", key: "contacts.auth.redirect_url", msg: "not on a loopback host"},
		{name: "contacts redirect without port", yaml: baseYAML + "contacts:\n  auth: {redirect_url: \"http://localhost/cb\"}\n", key: "contacts.auth.redirect_url", msg: "has no port"},
		{name: "contacts external id not written", yaml: baseYAML + "contacts:\n  external_id_field: Other_Id__c\n", key: "contacts.external_id_field", line: 11,
			msg: "not a writeback field", hint: "Sales_Navigator_Lead_Id__c"},
		{name: "contacts external id not unique", yaml: baseYAML + "writeback:\n  fields:\n    - {field: Sales_Navigator_Lead_Id__c, from: lead_id}\n    - {field: Email__c, from: email}\ncontacts:\n  external_id_field: Email__c\n",
			key: "contacts.external_id_field", msg: "not unique per lead"},
		{name: "contacts external id not a name", yaml: baseYAML + "contacts:\n  external_id_field: Lead Id\n", key: "contacts.external_id_field", msg: "not a field API name"},
		{name: "contacts bad policy", yaml: baseYAML + "contacts:\n  opportunity_role: {policy: all}\n", key: "contacts.opportunity_role.policy", msg: `unknown policy "all"`},
		{name: "contacts role missing", yaml: baseYAML + "contacts:\n  opportunity_role: {policy: most_recent_open_opportunity}\n", key: "contacts.opportunity_role.role", msg: "missing"},
		{name: "contacts bad zone", yaml: baseYAML + "contacts:\n  org_time_zone: Pacific Time\n", key: "contacts.org_time_zone", msg: "unknown time zone"},
		{name: "contacts quota", yaml: baseYAML + "contacts:\n  monthly_quota: -1\n", key: "contacts.monthly_quota", msg: "at least 1"},
		{name: "safety growth", yaml: baseYAML + "safety:\n  max_growth: 1\n", key: "safety.max_growth", msg: "above 1"},
		{name: "duplicate key", yaml: baseYAML + "safety:\n  max_writes: 10\nsafety:\n  max_writes: 20\n", key: "safety", line: 12, msg: "set twice (first at line 10)"},
		{name: "not a mapping", yaml: baseYAML + "safety: 5\n", key: "safety", msg: "want a mapping"},
		{name: "list entry empty", yaml: strings.Replace(baseYAML, "  leads: [exports/leads.csv]\n", "  leads:\n    - exports/leads.csv\n    -\n", 1), key: "salesnav.leads[1]", line: 11, msg: "empty list entry"},
		{name: "tilde path", yaml: baseYAML + "state:\n  path: ~/navsync.db\n", key: "state.path", msg: "~ is not expanded"},
		{name: "state path is a folder", yaml: baseYAML + "state:\n  path: exports\n", key: "state.path", msg: "is a folder"},
		{name: "reports dir is a file", yaml: baseYAML + "reports:\n  dir: secret.txt\n", key: "reports.dir", msg: "is a file"},
		{name: "yaml syntax", yaml: baseYAML + "writeback:\n  fields: [\n", key: "", msg: "not valid YAML"},
		{name: "tab indentation", yaml: strings.Replace(baseYAML, "  login_url", "\tlogin_url", 1), key: "", line: 2, msg: "not valid YAML"},
		{name: "two documents", yaml: baseYAML + "---\nschedule: '@daily'\n", key: "", line: 10, msg: "second YAML document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			_, err := loadYAML(t, dir, tc.yaml)
			if err == nil {
				t.Fatalf("loaded without error:\n%s", tc.yaml)
			}
			for _, p := range problemsOf(t, err) {
				if p.Key == tc.key && strings.Contains(p.Msg, tc.msg) && strings.Contains(p.Hint, tc.hint) {
					if tc.line != 0 && p.Line != tc.line {
						t.Errorf("problem at line %d, want %d: %v", p.Line, tc.line, p)
					}
					if tc.notInErr != "" && strings.Contains(err.Error(), tc.notInErr) {
						t.Errorf("the error shows %q", tc.notInErr)
					}
					return
				}
			}
			t.Errorf("no problem %s: %q (hint %q) in:\n%v", tc.key, tc.msg, tc.hint, err)
		})
	}
	// The base itself is valid, so each case's problem is its own.
	if _, err := loadYAML(t, dir, baseYAML); err != nil {
		t.Fatalf("base config: %v", err)
	}
}

func TestConfigValidFlows(t *testing.T) {
	dir := configDir(t)
	t.Setenv("NAVSYNC_TEST_SECRET", "from-env")
	for name, yaml := range map[string]string{
		"jwt": strings.NewReplacer("flow: refresh_token", "flow: jwt", "token_store: tokens", "private_key_file: navsync.key").Replace(baseYAML),
		"client credentials on My Domain": strings.NewReplacer("flow: refresh_token", "flow: client_credentials",
			"    username: integration@acme.example.com\n    token_store: tokens\n", "    client_secret_env: NAVSYNC_TEST_SECRET\n").Replace(baseYAML),
		"refresh token from one file": strings.Replace(baseYAML, "token_store: tokens", "token_store: tokens/"+filepath.Base(sfbulk.UserTokenStore("", testUser).Path), 1),
		"simulator on loopback http":  strings.Replace(baseYAML, "https://acme.my.salesforce.com", "http://127.0.0.1:40997", 1),
		"contacts, jwt with the job's key": strings.NewReplacer("flow: refresh_token", "flow: jwt", "token_store: tokens", "private_key_file: navsync.key").Replace(baseYAML) +
			"contacts:\n  enabled: true\n  lead_source: LinkedIn Sales Navigator\n  auth: {flow: jwt}\n",
		"contacts, jwt with its own key": baseYAML + "contacts:\n  enabled: true\n  lead_source: Web\n  auth: {flow: jwt, private_key_file: navsync.key}\n",
		"contacts, refresh tokens (no folder yet)": baseYAML + "contacts:\n  enabled: true\n  lead_source: Web\n  external_id_field: sales_navigator_lead_id__c\n" +
			"  auth: {flow: refresh_token, token_store: owners, redirect_url: \"http://127.0.0.1:8123/OauthRedirect\"}\n",
		"every key": strings.Replace(baseYAML, "  auth:", "  delete_bulk_jobs: false\n  auth:", 1) + `  accounts: [exports/accounts.csv]
matching: {auto_threshold: 0.9, review_threshold: 0.9}
writeback:
  fields:
    - {field: Sales_Navigator_Lead_Id__c, from: lead_id, overwrite: always}
    - {field: ns__Title_At_LinkedIn__c, from: current_title}
    - {field: Title, from: current_title}
  objects: [Contact]
  bulk_threshold: 1
  lock_retries: 0
contacts:
  enabled: false
  lead_source: LinkedIn
  monthly_quota: 10
  daily_api_budget: 10
  opportunity_role: {policy: single_open_opportunity, role: Influencer}
  org_time_zone: America/New_York
  external_id_field: Sales_Navigator_Lead_Id__c
  auth: {flow: refresh_token, token_store: owners, redirect_url: "http://localhost:1717/OauthRedirect"}
reports: {dir: out/reports}
state: {path: out/state.db}
work_dir: out/work
schedule: '@daily'
safety: {max_writes: 1, max_growth: 1.5, growth_floor: 0}
`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := loadYAML(t, dir, yaml)
			if err != nil {
				t.Fatal(err)
			}
			if c.Salesforce.DeleteBulkJobs == strings.Contains(yaml, "delete_bulk_jobs: false") {
				t.Errorf("delete_bulk_jobs decoded as %v", c.Salesforce.DeleteBulkJobs)
			}
			if c.Salesforce.Auth.Flow == FlowClientCredentials {
				if s, err := c.Salesforce.Auth.ClientSecret(); s != "from-env" || err != nil {
					t.Errorf("secret %q, %v", s, err)
				}
			}
		})
	}
}

// TestConfigContacts: what the contacts section resolves to.
func TestConfigContacts(t *testing.T) {
	dir := configDir(t)
	jwt := strings.NewReplacer("flow: refresh_token", "flow: jwt", "token_store: tokens", "private_key_file: navsync.key").Replace(baseYAML)
	c, err := loadYAML(t, dir, jwt+"contacts:\n  enabled: true\n  lead_source: Web\n  org_time_zone: Asia/Tokyo\n  auth: {flow: jwt}\n")
	if err != nil {
		t.Fatal(err)
	}
	// The owners' key defaults to the job's; the external id to the lead id field.
	if got := c.OwnerKeyFile(); got != filepath.Join(dir, "navsync.key") {
		t.Errorf("owner key %q, want the job's", got)
	}
	if got := c.ContactExternalIDField(); got != "Sales_Navigator_Lead_Id__c" {
		t.Errorf("external id field %q", got)
	}
	if c.Contacts.Auth.RedirectURL != DefaultRedirectURL || c.Contacts.Location().String() != "Asia/Tokyo" {
		t.Errorf("redirect %q, location %v", c.Contacts.Auth.RedirectURL, c.Contacts.Location())
	}
	c, err = loadYAML(t, dir, baseYAML+"writeback:\n  fields:\n    - {field: SN_Id__c, from: lead_id}\ncontacts:\n  enabled: true\n  lead_source: Web\n  auth: {flow: refresh_token, token_store: owners}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Contacts.Auth.TokenStore; got != filepath.Join(dir, "owners") {
		t.Errorf("token store %q, want it resolved against the config's folder", got)
	}
	if c.OwnerKeyFile() != "" || c.ContactExternalIDField() != "SN_Id__c" || c.Contacts.Location() != time.UTC {
		t.Errorf("key %q, external id %q, location %v", c.OwnerKeyFile(), c.ContactExternalIDField(), c.Contacts.Location())
	}
	// Disabled, the section needs nothing.
	if _, err := loadYAML(t, dir, baseYAML+"contacts:\n  enabled: false\n"); err != nil {
		t.Error(err)
	}
}

func TestConfigExample(t *testing.T) {
	const example = "../navsync.example.yaml"
	c, err := LoadWith(example, LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	// The example holds no secret, only names of where secrets are.
	if c.Salesforce.Auth.ClientSecretEnv == "" || c.Salesforce.OrgID == "" || c.Schedule == "" {
		t.Errorf("the example lacks client_secret_env, org_id or schedule: %+v", c.Salesforce)
	}
	// Every key appears, set or as a commented alternative.
	text, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range keyPaths(reflect.TypeFor[Config](), "") {
		leaf := p[strings.LastIndexAny(p, ".]")+1:]
		set := c.lines[strings.ReplaceAll(p, "[]", "[0]")] > 0
		commented := regexp.MustCompile(`(?m)^\s*#\s*(- )?` + regexp.QuoteMeta(leaf) + `:`).Match(text)
		if !set && !commented {
			t.Errorf("navsync.example.yaml does not show %s", p)
		}
	}
	// Validated for real: in a folder holding the files it names, with its secret's variable set.
	dir := t.TempDir()
	b, _ := os.ReadFile(example)
	writeFile(t, filepath.Join(dir, "navsync.yaml"), string(b), 0o644)
	src, _ := os.ReadFile(filepath.Join("testdata", "config", "exports", "leads.csv"))
	writeFile(t, filepath.Join(dir, "exports", "leads-2026-01.csv"), string(src), 0o644)
	src, _ = os.ReadFile(filepath.Join("testdata", "config", "exports", "accounts.csv"))
	writeFile(t, filepath.Join(dir, "exports", "accounts.csv"), string(src), 0o644)
	key, _ := os.ReadFile(filepath.Join(configDir(t), "navsync.key"))
	writeFile(t, filepath.Join(dir, "secrets", "navsync.key"), string(key), 0o600)
	if _, err := Load(filepath.Join(dir, "navsync.yaml")); err == nil {
		t.Error("the example loaded although NAVSYNC_CLIENT_SECRET is unset")
	} else if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Key != "salesforce.auth.client_secret_env" {
		t.Errorf("want only the unset secret variable, got %v", err)
	}
	t.Setenv("NAVSYNC_CLIENT_SECRET", "x")
	c, err = Load(filepath.Join(dir, "navsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "exports", "leads-2026-01.csv")}; !reflect.DeepEqual(c.SalesNav.Leads, want) {
		t.Errorf("leads %q, want %q", c.SalesNav.Leads, want)
	}
	if loc := c.Location(); loc.String() != "America/New_York" {
		t.Errorf("location %v", loc)
	}
}

func TestConfigFileErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, ErrConfig) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrConfig and fs.ErrNotExist", err)
	}
	dir := t.TempDir()
	_, err = loadYAML(t, dir, "")
	ps := problemsOf(t, err)
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	want := []string{"salesforce.login_url", "salesforce.auth.client_id", "salesforce.auth.flow", "salesnav.leads"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("empty file: problems at %v, want %v\n%v", keys, want, err)
	}
	if !strings.HasPrefix(err.Error(), filepath.Join(dir, "navsync.yaml")+": 4 problems:\n  salesforce.login_url: missing") {
		t.Errorf("error text:\n%v", err)
	}
}

func TestConfigDigest(t *testing.T) {
	dir := configDir(t)
	a, err := loadYAML(t, dir, baseYAML)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadYAML(t, dir, "# a comment changes nothing\n"+strings.Replace(baseYAML, "[exports/leads.csv]", "\n    - exports/leads.csv", 1))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() || !strings.HasPrefix(a.Digest(), "sha256:") || len(a.Digest()) != len("sha256:")+64 {
		t.Errorf("same settings, digests %s and %s", a.Digest(), b.Digest())
	}
	withSecret := strings.Replace(baseYAML, "    username", "    client_secret_file: secret.txt\n    username", 1)
	c1, err := loadYAML(t, dir, withSecret)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "secret.txt"), "another secret", 0o600)
	c2, err := loadYAML(t, dir, withSecret)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Digest() != c2.Digest() {
		t.Error("the digest depends on the secret's value")
	}
	if c1.Digest() == a.Digest() {
		t.Error("naming a secret file does not change the digest")
	}
	d, err := loadYAML(t, dir, baseYAML+"safety: {max_writes: 7}\n")
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest() == a.Digest() {
		t.Error("max_writes changed, digest did not")
	}
}

func TestConfigSchedule(t *testing.T) {
	c := Defaults()
	if c.Location() != time.UTC {
		t.Errorf("no schedule: location %v", c.Location())
	}
	if _, err := c.CronSchedule(); err == nil {
		t.Error("empty schedule parsed")
	}
	from := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		spec, loc string
		next      time.Time
	}{
		{"CRON_TZ=Europe/Paris 30 2 * * *", "Europe/Paris", time.Date(2026, 3, 11, 1, 30, 0, 0, time.UTC)}, // 02:30 CET = 01:30 UTC
		{"30 2 * * *", "UTC", time.Date(2026, 3, 11, 2, 30, 0, 0, time.UTC)},                               // UTC, not the machine's zone
		{"TZ=America/New_York @daily", "America/New_York", time.Date(2026, 3, 11, 4, 0, 0, 0, time.UTC)},   // midnight EDT
		{"@every 6h", "UTC", from.Add(6 * time.Hour)},
	} {
		c.Schedule = tc.spec
		if got := c.Location().String(); got != tc.loc {
			t.Errorf("%q: location %s, want %s", tc.spec, got, tc.loc)
		}
		s, err := c.CronSchedule()
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if got := s.Next(from); !got.Equal(tc.next) {
			t.Errorf("%q: next after %v is %v, want %v", tc.spec, from, got.UTC(), tc.next)
		}
	}
	c.Schedule = "TZ=UTC" // robfig/cron panics on a zone without a spec
	if _, err := c.CronSchedule(); err == nil {
		t.Error("TZ=UTC without a spec parsed")
	}
}

func TestConfigMatcherOptions(t *testing.T) {
	dir := configDir(t)
	p, err := os.Create(filepath.Join(dir, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	params := matcher.DefaultParams()
	params.RunnerUpMargin = 4.5
	if err := json.NewEncoder(p).Encode(params); err != nil {
		t.Fatal(err)
	}
	p.Close()
	c, err := loadYAML(t, dir, baseYAML+"matching: {auto_threshold: 0.9, review_threshold: 0.3, params_file: params.json}\n")
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.MatcherOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.AutoThreshold != 0.9 || o.ReviewThreshold != 0.3 || o.Params == nil || o.Params.RunnerUpMargin != 4.5 || o.MaxBlockSize != matcher.DefaultOptions().MaxBlockSize {
		t.Errorf("options %+v", o)
	}
}

func TestConfigParseWithoutFile(t *testing.T) {
	c, err := Parse([]byte(baseYAML))
	if err != nil {
		t.Fatal(err)
	}
	if c.SalesNav.Leads[0] != "exports/leads.csv" || c.Path != "" {
		t.Errorf("Parse resolved paths: %q", c.SalesNav.Leads)
	}
	if err := c.ValidateWith(LoadOptions{SkipFileChecks: true}); err != nil {
		t.Errorf("skip file checks: %v", err)
	}
	// Without SkipFileChecks the relative path is looked up from the working directory.
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "exports/leads.csv does not exist") {
		t.Errorf("Validate: %v", err)
	}
}
