package batch

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
)

// lineOf is the line of key, or of its nearest parent found in the file.
func (c *Config) lineOf(key string) int {
	for key != "" {
		if l, ok := c.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// pathFields are the config's file and folder settings.
func (c *Config) pathFields() []struct {
	key string
	p   *string
} {
	a := &c.Salesforce.Auth
	return []struct {
		key string
		p   *string
	}{
		{"salesforce.auth.client_secret_file", &a.ClientSecretFile},
		{"salesforce.auth.private_key_file", &a.PrivateKeyFile},
		{"salesforce.auth.token_store", &a.TokenStore},
		{"contacts.auth.private_key_file", &c.Contacts.Auth.PrivateKeyFile},
		{"contacts.auth.token_store", &c.Contacts.Auth.TokenStore},
		{"matching.params_file", &c.Matching.ParamsFile},
		{"reports.dir", &c.Reports.Dir},
		{"reviews", &c.Reviews},
		{"state.path", &c.State.Path},
		{"work_dir", &c.WorkDir},
	}
}

// resolvePaths makes the file's relative paths absolute (against the
// config file's folder) and, unless o.SkipFileChecks, expands the exports'
// globs.
func (c *Config) resolvePaths(o LoadOptions) []Problem {
	var probs []Problem
	base := "."
	if c.Path != "" {
		base = filepath.Dir(c.Path)
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	resolve := func(key string, p *string) {
		s := *p
		switch {
		case s == "":
		case strings.HasPrefix(s, "~"):
			probs = append(probs, Problem{Key: key, Line: c.lineOf(key), Msg: fmt.Sprintf("%q: ~ is not expanded", s),
				Hint: "write the absolute path, or a path relative to the config file's folder"})
		case strings.HasPrefix(s, "$"):
			probs = append(probs, Problem{Key: key, Line: c.lineOf(key), Msg: fmt.Sprintf("%q: environment variables are not expanded in paths", s),
				Hint: "write the absolute path, or a path relative to the config file's folder"})
		case !filepath.IsAbs(s):
			*p = filepath.Join(base, s)
		}
	}
	for _, f := range c.pathFields() {
		resolve(f.key, f.p)
	}
	for _, list := range []struct {
		key string
		l   *[]string
	}{{"salesnav.leads", &c.SalesNav.Leads}, {"salesnav.accounts", &c.SalesNav.Accounts}} {
		for i := range *list.l {
			resolve(fmt.Sprintf("%s[%d]", list.key, i), &(*list.l)[i])
		}
		if !o.SkipFileChecks {
			probs = append(probs, c.expandGlobs(list.key, list.l)...)
		}
	}
	return probs
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// expandGlobs replaces glob entries of a list with the files they match
// (sorted), drops repeats, and keeps each entry's line.
func (c *Config) expandGlobs(key string, l *[]string) []Problem {
	var probs []Problem
	var out []string
	var lines []int
	seen := map[string]bool{}
	for i, p := range *l {
		k := fmt.Sprintf("%s[%d]", key, i)
		line := c.lineOf(k)
		files := []string{p}
		if hasMeta(p) {
			m, err := filepath.Glob(p)
			if err != nil {
				probs = append(probs, Problem{Key: k, Line: line, Msg: fmt.Sprintf("bad pattern %q: %v", p, err),
					Hint: "patterns use *, ? and [a-z]; write a file name, or escape [ as \\["})
				continue
			}
			files = files[:0]
			for _, f := range m {
				if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
					files = append(files, f)
				}
			}
			if len(files) == 0 {
				probs = append(probs, Problem{Key: k, Line: line, Msg: fmt.Sprintf("no file matches %q", p),
					Hint: "check the folder and the pattern; export the files first"})
				continue
			}
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
				lines = append(lines, line)
			}
		}
	}
	for i := range *l {
		delete(c.lines, fmt.Sprintf("%s[%d]", key, i))
	}
	for i, ln := range lines {
		if ln > 0 {
			c.lines[fmt.Sprintf("%s[%d]", key, i)] = ln
		}
	}
	*l = out
	return probs
}

// validator collects problems.
type validator struct {
	c     *Config
	files bool // look at files and the environment
	probs []Problem
}

func (v *validator) add(key, msg, hint string) {
	v.probs = append(v.probs, Problem{Key: key, Line: v.c.lineOf(key), Msg: msg, Hint: hint})
}

func (c *Config) problems(o LoadOptions) []Problem {
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	v := &validator{c: c, files: !o.SkipFileChecks}
	v.salesforce()
	v.auth()
	v.salesnav()
	v.matching()
	v.writeback()
	v.contacts()
	v.outputs()
	v.schedule()
	v.safety()
	v.reviews()
	return v.probs
}

const loginHint = "https://login.salesforce.com (production), https://test.salesforce.com (sandbox), your My Domain (https://acme.my.salesforce.com), or the simulator's login_url"

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// loginHost is the lower-case host of the login URL, or "".
func (c *Config) loginHost() string {
	u, err := url.Parse(c.Salesforce.LoginURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

var apiVersionRE = regexp.MustCompile(`^v?([0-9]{2,3})\.0$`)

func (v *validator) salesforce() {
	sf := v.c.Salesforce
	switch u, err := url.Parse(sf.LoginURL); {
	case sf.LoginURL == "":
		v.add("salesforce.login_url", "missing: which org to sign in to", loginHint)
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		v.add("salesforce.login_url", fmt.Sprintf("%q is not an absolute http(s) URL", sf.LoginURL), loginHint)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		v.add("salesforce.login_url", fmt.Sprintf("%q: plain http is only allowed for a loopback host (the simulator)", sf.LoginURL),
			"use https://"+u.Host+u.Path)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		v.add("salesforce.login_url", fmt.Sprintf("%q: a login URL has no query, fragment or user", sf.LoginURL), loginHint)
	case strings.HasSuffix(strings.ToLower(u.Hostname()), ".lightning.force.com"):
		v.add("salesforce.login_url", fmt.Sprintf("%q is a Lightning UI host, which does not serve OAuth", sf.LoginURL),
			"use the My Domain host: https://<domain>.my.salesforce.com (Setup › My Domain)")
	}
	if m := apiVersionRE.FindStringSubmatch(sf.APIVersion); m == nil {
		v.add("salesforce.api_version", fmt.Sprintf("%q is not an API version", sf.APIVersion),
			fmt.Sprintf("write it as %q (quoted, with .0); leave it out for the default", sfbulk.DefaultAPIVersion))
	} else if n, _ := strconv.Atoi(m[1]); n < 47 {
		v.add("salesforce.api_version", fmt.Sprintf("version %s is too old: Bulk API 2.0 queries need 47.0 or later", sf.APIVersion),
			fmt.Sprintf("use %q (the default)", sfbulk.DefaultAPIVersion))
	}
	if id := sf.OrgID; id != "" && (!sfid.Valid(id) || !strings.HasPrefix(id, sfid.Organization)) {
		v.add("salesforce.org_id", fmt.Sprintf("%q is not an org id (15 or 18 characters starting with 00D)", id),
			"Setup › Company Information › Salesforce.com Organization ID; or leave it out")
	}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// tokenStoreFile is the refresh_token flow's store file and whether the
// setting names a folder.
func tokenStoreFile(a AuthConfig) (path string, folder bool) {
	p := a.TokenStore
	if fi, err := os.Stat(p); err == nil {
		folder = fi.IsDir()
	} else {
		folder = !strings.EqualFold(filepath.Ext(p), ".json")
	}
	if folder {
		return sfbulk.UserTokenStore(p, a.Username).Path, true
	}
	return p, false
}

// ClientSecret reads the consumer secret from the environment variable or
// file the config names ("" when it names neither). Its errors wrap ErrConfig.
func (a AuthConfig) ClientSecret() (string, error) {
	s, err := readClientSecret(a)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrConfig)
	}
	return s, nil
}

func readClientSecret(a AuthConfig) (string, error) {
	switch {
	case a.ClientSecretEnv != "":
		s, ok := os.LookupEnv(a.ClientSecretEnv)
		if !ok || strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("environment variable %s is not set", a.ClientSecretEnv)
		}
		return strings.TrimSpace(s), nil
	case a.ClientSecretFile != "":
		if err := checkPrivate(a.ClientSecretFile); err != nil {
			return "", err
		}
		b, err := os.ReadFile(a.ClientSecretFile)
		if err != nil {
			return "", err
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s is empty", a.ClientSecretFile)
		}
		return s, nil
	}
	return "", nil
}

// checkPrivate refuses a file group or others may access (as sfbulk's
// token store does): a secret readable by other accounts is not a secret.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a folder", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %v: group and others must not read it (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	return nil
}

// readRSAKey checks a PEM RSA private key.
func readRSAKey(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return fmt.Errorf("%s is not a PEM file", path)
	}
	if _, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return fmt.Errorf("%s: not an RSA private key (PKCS #1 or #8): %v", path, err)
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return fmt.Errorf("%s: a %T, not an RSA key (Salesforce signs with RS256)", path, k)
	}
	return nil
}

func (v *validator) auth() {
	a := v.c.Salesforce.Auth
	const p = "salesforce.auth."
	if a.ClientID == "" {
		v.add(p+"client_id", "missing: the connected app's consumer key",
			"Setup › App Manager › your app › View › Consumer Key (it is not a secret)")
	} else if strings.ContainsAny(a.ClientID, " \t\r\n") {
		v.add(p+"client_id", "contains white space", "paste the consumer key alone")
	}
	if a.ClientSecretEnv != "" && a.ClientSecretFile != "" {
		v.add(p+"client_secret_file", "client_secret_env and client_secret_file are both set", "keep one of them")
	} else if a.ClientSecretEnv != "" && !envNameRE.MatchString(a.ClientSecretEnv) {
		v.add(p+"client_secret_env", fmt.Sprintf("%q is not an environment variable name", a.ClientSecretEnv),
			"name the variable (e.g. NAVSYNC_CLIENT_SECRET), never write the secret itself")
	} else if v.files {
		if _, err := readClientSecret(a); err != nil {
			key := p + "client_secret_env"
			hint := fmt.Sprintf("export %s=<consumer secret> in the job's environment (systemd: EnvironmentFile=; Kubernetes: a Secret)", a.ClientSecretEnv)
			if a.ClientSecretFile != "" {
				key, hint = p+"client_secret_file", "write the consumer secret alone into the file, chmod 600"
			}
			v.add(key, err.Error(), hint)
		}
	}
	hasSecret := a.ClientSecretEnv != "" || a.ClientSecretFile != ""
	unused := func(key, val, flows string) {
		if val != "" {
			v.add(p+key, fmt.Sprintf("set, but flow %s does not use it (only %s)", a.Flow, flows),
				"remove it, or set the flow that uses it")
		}
	}
	switch a.Flow {
	case "":
		v.add(p+"flow", "missing: how the job signs in", "refresh_token (a stored consent), jwt (a key file) or client_credentials (a Run-As user, My Domain only)")
	case FlowRefreshToken:
		unused("private_key_file", a.PrivateKeyFile, "jwt")
		v.tokenStore(a)
	case FlowJWT:
		unused("token_store", a.TokenStore, "refresh_token")
		if a.Username == "" {
			v.add(p+"username", "missing: the jwt flow signs in as this user", "the integration user's Salesforce username")
		}
		if a.PrivateKeyFile == "" {
			v.add(p+"private_key_file", "missing: the jwt flow signs with this key",
				"the PEM RSA key whose certificate the connected app holds (Use digital signatures), mode 0600")
		} else if v.files {
			if err := checkPrivate(a.PrivateKeyFile); err != nil {
				v.add(p+"private_key_file", err.Error(), "the key must exist and be readable by the job's user only")
			} else if err := readRSAKey(a.PrivateKeyFile); err != nil {
				v.add(p+"private_key_file", err.Error(), "openssl req -x509 -newkey rsa:2048 -nodes -keyout navsync.key -out navsync.crt -days 730 -subj /CN=navsync")
			}
		}
	case FlowClientCredentials:
		unused("username", a.Username, "jwt and refresh_token; client_credentials acts as the app's Run-As user")
		unused("private_key_file", a.PrivateKeyFile, "jwt")
		unused("token_store", a.TokenStore, "refresh_token")
		if !hasSecret {
			v.add(p+"client_secret_env", "missing: the client_credentials flow needs the consumer secret",
				"name an environment variable (client_secret_env) or a file (client_secret_file) holding it")
		}
		if h := v.c.loginHost(); h == "login.salesforce.com" || h == "test.salesforce.com" {
			v.add("salesforce.login_url", fmt.Sprintf("client_credentials is refused by %s (\"request not supported on this domain\")", h),
				"use the org's My Domain: https://<domain>.my.salesforce.com (sandbox: https://<domain>--<sandbox>.sandbox.my.salesforce.com)")
		}
	default:
		v.add(p+"flow", fmt.Sprintf("unknown flow %q", a.Flow), "one of refresh_token, jwt, client_credentials")
	}
}

func (v *validator) tokenStore(a AuthConfig) {
	const p = "salesforce.auth."
	if a.TokenStore == "" {
		v.add(p+"token_store", "missing: the refresh_token flow reads the stored consent from here",
			"a folder of <username>.json files (with username) or one .json file, mode 0600")
		return
	}
	file, folder := tokenStoreFile(a)
	if folder && a.Username == "" {
		v.add(p+"username", "missing: token_store is a folder; username says whose token to use",
			"the integration user's Salesforce username, or name the .json file itself in token_store")
		return
	}
	if !v.files {
		return
	}
	tok, err := sfbulk.NewFileTokenStore(file).Load(context.Background())
	switch {
	case errors.Is(err, sfbulk.ErrNoToken):
		v.add(p+"token_store", fmt.Sprintf("no stored token at %s", file),
			"the user grants consent once (authorization code with PKCE, docs/readme-sfbulk.md), which writes this file; for the simulator, navsync sim --write-config writes it")
	case errors.Is(err, sfbulk.ErrTokenStoreInsecure):
		v.add(p+"token_store", fmt.Sprintf("%s may be read by group or others", file), "chmod 600 "+file)
	case err != nil:
		v.add(p+"token_store", err.Error(), "the file must be the JSON an sfbulk token store writes")
	case tok.RefreshToken == "":
		v.add(p+"token_store", fmt.Sprintf("%s holds no refresh token: the run would stop when its access token expires", file),
			"sign the user in again with the refresh_token offline_access scope")
	case tok.ID != "" && v.c.Salesforce.OrgID != "" && !sfbulk.SameOrg(tok.ID, v.c.Salesforce.OrgID):
		org, _, _ := sfbulk.ParseIdentityURL(tok.ID)
		v.add(p+"token_store", fmt.Sprintf("%s holds a token of org %s, not of salesforce.org_id %s", file, org, v.c.Salesforce.OrgID),
			"a token of another org (a sandbox's?) is never used: sign in to the right org, or fix org_id")
	}
}

// checkFile checks an input file exists and can be read.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s does not exist", path)
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a folder, not a file", path)
	}
	return nil
}

func (v *validator) salesnav() {
	sn := v.c.SalesNav
	if len(sn.Leads) == 0 {
		v.add("salesnav.leads", "missing: at least one Sales Navigator lead export",
			"list CSV or Parquet files (globs allowed, e.g. exports/leads-*.csv), relative to the config's folder")
	}
	where := map[string]string{}
	for _, list := range []struct {
		key string
		l   []string
	}{{"salesnav.leads", sn.Leads}, {"salesnav.accounts", sn.Accounts}} {
		for i, f := range list.l {
			k := fmt.Sprintf("%s[%d]", list.key, i)
			if f == "" {
				v.add(k, "empty file name", "remove the entry")
				continue
			}
			if prev, dup := where[f]; dup {
				v.add(k, fmt.Sprintf("%s is also %s", f, prev), "list each export once, leads under leads and accounts under accounts")
				continue
			}
			where[f] = k
			if v.files {
				if err := checkReadable(f); err != nil {
					v.add(k, err.Error(), "export it from Sales Navigator first, or fix the path (relative paths start at the config's folder)")
				}
			}
		}
	}
}

func (v *validator) matching() {
	m := v.c.Matching
	okA := m.AutoThreshold > 0 && m.AutoThreshold <= 1
	okR := m.ReviewThreshold > 0 && m.ReviewThreshold <= 1
	if !okA {
		v.add("matching.auto_threshold", fmt.Sprintf("%v is not a probability in (0, 1]", m.AutoThreshold), "the default is 0.95")
	}
	if !okR {
		v.add("matching.review_threshold", fmt.Sprintf("%v is not a probability in (0, 1]", m.ReviewThreshold), "the default is 0.2")
	}
	if okA && okR && m.ReviewThreshold > m.AutoThreshold {
		v.add("matching.review_threshold", fmt.Sprintf("%v is above auto_threshold %v", m.ReviewThreshold, m.AutoThreshold),
			"review_threshold must not exceed auto_threshold: leads between the two are reported for review")
	}
	if m.ParamsFile != "" && v.files {
		if _, err := readParams(m.ParamsFile); err != nil {
			v.add("matching.params_file", err.Error(), "a params.json written by navsync match --train, or leave it out for the shipped parameters")
		}
	}
}

var apiSegmentRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$`)

// validFieldName reports whether s is a field API name: Name, Custom__c,
// or ns__Custom__c.
func validFieldName(s string) bool {
	parts := strings.Split(s, "__")
	switch len(parts) {
	case 1:
	case 2:
		if !strings.EqualFold(parts[1], "c") {
			return false
		}
	case 3:
		if !strings.EqualFold(parts[2], "c") || !apiSegmentRE.MatchString(parts[0]) || len(parts[0]) > 15 {
			return false
		}
	default:
		return false
	}
	name := parts[len(parts)-1]
	if len(parts) > 1 {
		name = parts[len(parts)-2]
	}
	return apiSegmentRE.MatchString(name) && len(name) <= 40
}

// protectedFields are never written back: ids, ownership, conversion and
// system fields.
var protectedFields = []string{"Id", "OwnerId", "AccountId", "RecordTypeId", "MasterRecordId", "ReportsToId",
	"IsConverted", "ConvertedContactId", "ConvertedAccountId", "ConvertedOpportunityId", "ConvertedDate", "IsDeleted",
	"CreatedById", "CreatedDate", "LastModifiedById", "LastModifiedDate", "SystemModstamp", "LastActivityDate"}

func (v *validator) writeback() {
	w := v.c.Writeback
	if len(w.Fields) == 0 {
		v.add("writeback.fields", "empty: a match writes nothing",
			"keep at least Sales_Navigator_Lead_Id__c from lead_id; to write nothing at all, run with --dry-run")
	}
	seen := map[string]string{}
	hasLeadID := false
	for i, f := range w.Fields {
		k := fmt.Sprintf("writeback.fields[%d]", i)
		switch {
		case f.Field == "":
			v.add(k+".field", "missing: the Salesforce field to write", "an API name such as LinkedIn_Profile_URL__c")
		case !validFieldName(f.Field):
			v.add(k+".field", fmt.Sprintf("%q is not a field API name", f.Field),
				"letters, digits and single underscores, starting with a letter; custom fields end in __c (Setup › Object Manager › Fields › Field Name)")
		case slices.ContainsFunc(protectedFields, func(p string) bool { return strings.EqualFold(p, f.Field) }):
			v.add(k+".field", fmt.Sprintf("%s is never written back", f.Field), "navsync does not change ids, owners, conversion or system fields")
		default:
			low := strings.ToLower(f.Field)
			if prev, dup := seen[low]; dup {
				v.add(k+".field", fmt.Sprintf("%s is written twice (also %s)", f.Field, prev), "keep one entry per field (API names ignore case)")
			} else {
				seen[low] = k
			}
		}
		switch {
		case f.From == "":
			v.add(k+".from", "missing: the lead column whose value is written", "one of "+strings.Join(WritebackColumns, ", "))
		case !slices.Contains(WritebackColumns, f.From):
			v.add(k+".from", fmt.Sprintf("unknown lead column %q", f.From), "one of "+strings.Join(WritebackColumns, ", "))
		case f.From == "lead_id":
			hasLeadID = true
		}
		if f.Overwrite != OverwriteNever && f.Overwrite != OverwriteAlways && f.Overwrite != "" {
			v.add(k+".overwrite", fmt.Sprintf("unknown policy %q", f.Overwrite),
				"never (default: a different value already there is kept and reported as a conflict) or always")
		}
	}
	if len(w.Fields) > 0 && !hasLeadID {
		v.add("writeback.fields", "no field takes lead_id: a later run could not tell which records are linked to which lead",
			"add {field: Sales_Navigator_Lead_Id__c, from: lead_id}")
	}
	if len(w.Objects) == 0 {
		v.add("writeback.objects", "empty: no object may be written", "Contact, Lead or both (the default)")
	}
	seenObj := map[string]bool{}
	for i, o := range w.Objects {
		k := fmt.Sprintf("writeback.objects[%d]", i)
		switch {
		case o != "Contact" && o != "Lead":
			hint := "Contact or Lead"
			if strings.EqualFold(o, "contact") || strings.EqualFold(o, "lead") {
				hint = "API names are written Contact and Lead"
			}
			v.add(k, fmt.Sprintf("%q cannot be written back", o), hint)
		case seenObj[o]:
			v.add(k, fmt.Sprintf("%s is listed twice", o), "list it once")
		}
		seenObj[o] = true
	}
	if w.BulkThreshold < 1 {
		v.add("writeback.bulk_threshold", fmt.Sprintf("%d: must be at least 1", w.BulkThreshold),
			"records of one object above this go through a Bulk API 2.0 ingest job; the default is 10000")
	}
	if w.LockRetries < 0 || w.LockRetries > 20 {
		v.add("writeback.lock_retries", fmt.Sprintf("%d: must be between 0 and 20", w.LockRetries), "the default is 5")
	}
}

func (v *validator) contacts() {
	ct := v.c.Contacts
	if ct.MonthlyQuota < 1 {
		v.add("contacts.monthly_quota", fmt.Sprintf("%d: must be at least 1", ct.MonthlyQuota), "Contacts created per user per month; the default is 1000")
	}
	if ct.DailyAPIBudget < 1 {
		v.add("contacts.daily_api_budget", fmt.Sprintf("%d: must be at least 1", ct.DailyAPIBudget), "API calls per user per day; the default is 1000")
	}
	switch {
	case len(ct.LeadSource) > 255 || strings.ContainsAny(ct.LeadSource, "\r\n"):
		v.add("contacts.lead_source", "not a picklist value (one line, at most 255 characters)", "a value of Contact.LeadSource, e.g. LinkedIn Sales Navigator")
	case ct.Enabled && strings.TrimSpace(ct.LeadSource) == "":
		v.add("contacts.lead_source", "missing: the LeadSource of the Contacts navsync creates",
			"an active value of the org's Contact.LeadSource picklist (Setup › Object Manager › Contact › Lead Source), e.g. LinkedIn Sales Navigator; the run checks it against the org before writing")
	}
	r := ct.OpportunityRole
	switch r.Policy {
	case RolePolicyNone, "":
		if r.Role != "" {
			v.add("contacts.opportunity_role.role", "set, but policy is none", "set policy to single_open_opportunity or most_recent_open_opportunity, or remove role")
		}
	case RolePolicySingleOpen, RolePolicyMostRecent:
		if r.Role == "" {
			v.add("contacts.opportunity_role.role", "missing: the OpportunityContactRole.Role to give", "a value of the org's Role picklist, e.g. Influencer")
		}
	default:
		v.add("contacts.opportunity_role.policy", fmt.Sprintf("unknown policy %q", r.Policy),
			"none, single_open_opportunity or most_recent_open_opportunity")
	}
	if ct.OrgTimeZone != "" {
		if _, err := time.LoadLocation(ct.OrgTimeZone); err != nil {
			v.add("contacts.org_time_zone", fmt.Sprintf("unknown time zone %q", ct.OrgTimeZone),
				"an IANA zone as in Setup › Company Information, e.g. America/New_York; leave it out for UTC")
		}
	}
	v.externalIDField()
	v.ownerAuth()
}

// externalIDField checks contacts.external_id_field: a writeback field
// (so every created Contact carries it) whose value is unique per lead.
func (v *validator) externalIDField() {
	f := v.c.Contacts.ExternalIDField
	const k = "contacts.external_id_field"
	if f == "" {
		return // the writeback field taking lead_id, which writeback() requires
	}
	if !validFieldName(f) {
		v.add(k, fmt.Sprintf("%q is not a field API name", f), "the Contact External ID field holding the lead id, e.g. Sales_Navigator_Lead_Id__c")
		return
	}
	for _, w := range v.c.Writeback.Fields {
		if !strings.EqualFold(w.Field, f) {
			continue
		}
		if w.From != "lead_id" && w.From != "profile_url" {
			v.add(k, fmt.Sprintf("%s takes %s, which is not unique per lead: upserts on it could merge two leads into one Contact", f, w.From),
				"name the writeback field taking lead_id (or profile_url)")
		}
		return
	}
	v.add(k, fmt.Sprintf("%s is not a writeback field, so created Contacts would not carry it", f),
		"name a writeback.fields entry taking lead_id, e.g. "+cmp.Or(v.c.Writeback.LeadIDField(), "Sales_Navigator_Lead_Id__c")+"; leave it out for that field")
}

// ownerAuth checks contacts.auth. Missing settings are problems only when
// contacts are enabled; what is set is always checked.
func (v *validator) ownerAuth() {
	a := v.c.Contacts.Auth
	enabled := v.c.Contacts.Enabled
	const p = "contacts.auth."
	unused := func(key, val, flows string) {
		if val != "" {
			v.add(p+key, fmt.Sprintf("set, but flow %s does not use it (only %s)", a.Flow, flows), "remove it, or set the flow that uses it")
		}
	}
	if a.RedirectURL != "" {
		if err := checkRedirectURL(a.RedirectURL); err != nil {
			v.add(p+"redirect_url", err.Error(), "a loopback callback URL of the connected app, e.g. "+DefaultRedirectURL)
		}
	}
	switch a.Flow {
	case "":
		if enabled {
			v.add(p+"flow", "missing: how navsync acts as each lead owner",
				"jwt (the connected app pre-authorizes the owners' profiles; nothing stored) or refresh_token (each owner signs in once: navsync auth login --user EMAIL)")
		}
	case FlowJWT:
		unused("token_store", a.TokenStore, "refresh_token")
		key := v.c.OwnerKeyFile()
		switch {
		case key == "":
			if enabled {
				v.add(p+"private_key_file", fmt.Sprintf("missing: the owners' JWT assertions are signed with this key (salesforce.auth uses flow %s, so its key cannot be shared)", v.c.Salesforce.Auth.Flow),
					"the PEM RSA key whose certificate the connected app holds (Use digital signatures), mode 0600")
			}
		case a.PrivateKeyFile == "":
			// salesforce.auth.private_key_file, checked there.
		case v.files && enabled:
			if err := checkPrivate(key); err != nil {
				v.add(p+"private_key_file", err.Error(), "the key must exist and be readable by the job's user only")
			} else if err := readRSAKey(key); err != nil {
				v.add(p+"private_key_file", err.Error(), "openssl req -x509 -newkey rsa:2048 -nodes -keyout navsync.key -out navsync.crt -days 730 -subj /CN=navsync")
			}
		}
	case FlowRefreshToken:
		unused("private_key_file", a.PrivateKeyFile, "jwt")
		switch {
		case a.TokenStore == "":
			v.add(p+"token_store", "missing: the folder holding each owner's token (<username>.json)",
				"e.g. tokens/owners; navsync auth login --user EMAIL writes into it")
		case strings.EqualFold(filepath.Ext(a.TokenStore), ".json"):
			v.add(p+"token_store", fmt.Sprintf("%s names a file: the owners' tokens are one file per user in a folder", a.TokenStore),
				"name a folder, e.g. tokens/owners")
		case v.files:
			if err := checkStoreDir(a.TokenStore); err != nil {
				v.add(p+"token_store", err.Error(), "chmod 700 "+a.TokenStore+" (navsync auth login creates it so)")
			}
		}
	case FlowClientCredentials:
		v.add(p+"flow", "client_credentials acts as one Run-As user, never as each owner",
			"jwt (pre-authorized profiles) or refresh_token (navsync auth login per owner)")
	default:
		v.add(p+"flow", fmt.Sprintf("unknown flow %q", a.Flow), "jwt or refresh_token")
	}
}

// checkRedirectURL accepts an http URL on a loopback host with a port: the
// authorization code comes back to a listener navsync auth login opens.
func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme != "http" || u.Host == "":
		return fmt.Errorf("%q is not an http:// URL", s)
	case !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("%q is not on a loopback host (localhost, 127.0.0.1, [::1])", s)
	case u.Port() == "":
		return fmt.Errorf("%q has no port", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: a callback URL has no query or fragment", s)
	}
	return nil
}

// checkStoreDir accepts a missing folder (navsync auth login creates it)
// or one only its owner may enter; anything else in its place is refused.
func checkStoreDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a folder", dir)
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s has mode %v: group and others must not read or write the owners' tokens", dir, fi.Mode().Perm())
	}
	return nil
}

func (v *validator) outputs() {
	for _, o := range []struct {
		key, path string
		dir       bool
		def       string
	}{
		{"reports.dir", v.c.Reports.Dir, true, "reports"},
		{"state.path", v.c.State.Path, false, "navsync.db"},
		{"work_dir", v.c.WorkDir, true, "work"},
	} {
		if o.path == "" {
			v.add(o.key, "empty", fmt.Sprintf("leave it out for %q beside the config file", o.def))
			continue
		}
		if !v.files {
			continue
		}
		fi, err := os.Stat(o.path)
		switch {
		case err != nil:
		case o.dir && !fi.IsDir():
			v.add(o.key, fmt.Sprintf("%s is a file, not a folder", o.path), "name a folder (it is created when missing)")
		case !o.dir && fi.IsDir():
			v.add(o.key, fmt.Sprintf("%s is a folder, not the state file", o.path), "name a file such as navsync.db (it is created when missing)")
		}
	}
}

func (v *validator) schedule() {
	s := v.c.Schedule
	if strings.TrimSpace(s) == "" {
		return
	}
	if _, err := parseSchedule(s); err != nil {
		hint := `five fields: minute hour day-of-month month day-of-week, e.g. "CRON_TZ=Europe/Berlin 30 2 * * *" (02:30 Berlin time), or @daily, @hourly, @every 6h`
		if tz, spec, _ := splitCronTZ(s); len(strings.Fields(spec)) == 6 || tz == "" && len(strings.Fields(s)) == 6 {
			hint = "navsync schedules have no seconds field: drop the first of the six fields"
		}
		v.add("schedule", fmt.Sprintf("bad cron expression %q: %v", s, err), hint)
	}
}

func (v *validator) safety() {
	s := v.c.Safety
	if s.MaxWrites < 1 {
		v.add("safety.max_writes", fmt.Sprintf("%d: must be at least 1", s.MaxWrites), "the most record writes one run may plan; the default is 50000")
	}
	if !(s.MaxGrowth > 1) {
		v.add("safety.max_growth", fmt.Sprintf("%v: must be above 1", s.MaxGrowth), "a run may plan up to this many times the previous run's writes; the default is 5")
	}
	if s.GrowthFloor < 0 {
		v.add("safety.growth_floor", fmt.Sprintf("%d: must not be negative", s.GrowthFloor), "the growth check applies above this many writes; the default is 1000")
	}
}

// reviews checks reports.review_rows and the reviews file.
func (v *validator) reviews() {
	if n := v.c.Reports.ReviewRows; n < 1 || n > 100000 {
		v.add("reports.review_rows", fmt.Sprintf("%d: must be between 1 and 100000", n),
			"how many pairs report.html's review queue holds; the default is 5000 (the page stays under about 20 MB whatever the number)")
	}
	if f := v.c.Reviews; f != "" && v.files {
		if err := checkReadable(f); err != nil {
			v.add("reviews", err.Error(), "a reviews.csv downloaded from report.html (lead_id, crm_id, verdict, reviewer, reviewed_at), or leave it out")
		}
	}
}
