package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ and org_time_zone work on hosts without a zoneinfo database (distroless images)

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/navsync/navsync/internal/snapshot"
	"github.com/navsync/navsync/matcher"
	"github.com/navsync/navsync/sfbulk"
)

// ErrConfig is wrapped by every configuration error Load, LoadWith and
// Validate return (a *ValidationError, or a config file that cannot be
// read), so a command maps them to its "bad configuration" exit code.
var ErrConfig = errors.New("invalid configuration")

// Config is the job's configuration (navsync.yaml; navsync.example.yaml at
// the repository root shows and explains every key). Load reads it; every
// relative path in the file is resolved against the file's folder.
type Config struct {
	// Path is the file the config was loaded from ("" when built in code).
	Path       string           `yaml:"-"`
	Salesforce SalesforceConfig `yaml:"salesforce"`
	SalesNav   SalesNavConfig   `yaml:"salesnav"`
	Matching   MatchingConfig   `yaml:"matching"`
	Writeback  WritebackConfig  `yaml:"writeback"`
	// Contacts is contact creation on behalf of the leads' owners.
	Contacts ContactsConfig `yaml:"contacts"`
	Reports  ReportsConfig  `yaml:"reports"`
	State    StateConfig    `yaml:"state"`
	// WorkDir holds each run's snapshot: WorkDir/<run id>/crm/ (default "work").
	WorkDir string `yaml:"work_dir"`
	// Schedule is a cron expression for navsync schedule: five fields
	// (minute hour day-of-month month day-of-week) or a descriptor (@daily,
	// @hourly, @every 6h), with an optional "CRON_TZ=Area/City " prefix. A
	// schedule without CRON_TZ is read in UTC, whatever the machine's zone.
	// Empty: no schedule (navsync schedule refuses to start).
	Schedule string       `yaml:"schedule"`
	Safety   SafetyConfig `yaml:"safety"`
	// Reviews is a reviews.csv (downloaded from a run's report.html, or
	// written by hand: lead_id, crm_id, verdict, reviewer, reviewed_at)
	// whose verdicts every run imports into the state store, idempotently,
	// before matching; navsync run --reviews adds another. "": none.
	Reviews string `yaml:"reviews"`

	// lines maps key paths ("salesforce.auth.flow", "writeback.fields[1]")
	// to their line in Path, for problems found after decoding.
	lines map[string]int
}

// SalesforceConfig says which org the job acts on and how it signs in.
type SalesforceConfig struct {
	// LoginURL is the login host: sfbulk.ProductionLoginURL, sfbulk.SandboxLoginURL,
	// a My Domain (https://acme.my.salesforce.com), or http://127.0.0.1:PORT
	// for the simulator (plain http only for loopback hosts). Required: the
	// org a job writes into is never implied.
	LoginURL string `yaml:"login_url"`
	// APIVersion like "62.0" (default sfbulk.DefaultAPIVersion; 47.0 or later
	// for Bulk API 2.0 queries).
	APIVersion string `yaml:"api_version"`
	// OrgID, when set (15 or 18 characters), makes the job refuse a token of
	// any other org, e.g. a sandbox token against production.
	OrgID string     `yaml:"org_id"`
	Auth  AuthConfig `yaml:"auth"`
	// DeleteBulkJobs deletes the Bulk API 2.0 jobs a run made once it is
	// done with them (default true): each extract query job once its rows
	// are in the snapshot file (or its error is logged), each ingest job
	// once the outcomes of its records are in the journal (a job whose
	// outcome is still unknown is kept for the next run's reconciliation).
	// false leaves them to Salesforce, which deletes a job, with its
	// results, 7 days after it ended.
	DeleteBulkJobs bool `yaml:"delete_bulk_jobs"`
}

// Auth flows.
const (
	FlowRefreshToken      = "refresh_token"
	FlowJWT               = "jwt"
	FlowClientCredentials = "client_credentials"
)

// AuthConfig is the connected app and the flow the job signs in with.
// Secrets are never written in the config: the consumer secret comes from an
// environment variable or a file, refresh tokens from a token store, the JWT
// key from a key file.
type AuthConfig struct {
	// Flow is FlowRefreshToken, FlowJWT or FlowClientCredentials.
	Flow string `yaml:"flow"`
	// ClientID is the connected app's consumer key (not a secret).
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names an environment variable holding the consumer
	// secret; ClientSecretFile is a file holding it (mode 0600: a file
	// group or others may read is refused). At most one of the two. Required
	// by client_credentials; optional otherwise (when set, token responses'
	// signatures are checked).
	ClientSecretEnv  string `yaml:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// Username is the integration user: jwt signs in as this user;
	// refresh_token picks this user's token from a token-store folder.
	Username string `yaml:"username"`
	// PrivateKeyFile is the jwt flow's PEM RSA key (PKCS #1 or #8, mode 0600).
	PrivateKeyFile string `yaml:"private_key_file"`
	// TokenStore is the refresh_token flow's sfbulk file token store: a
	// folder holding one <username>.json per user (sfbulk.UserTokenStore;
	// needs Username), or one .json file (sfbulk.NewFileTokenStore). An
	// existing folder, or a path not ending in .json, is a folder.
	TokenStore string `yaml:"token_store"`
}

// SalesNavConfig lists the Sales Navigator exports (CSV or Parquet). An
// entry may be a glob (filepath.Match syntax, e.g. exports/leads-*.csv):
// Load replaces it with the files it matches, sorted; a glob that matches
// nothing is an error.
type SalesNavConfig struct {
	Leads    []string `yaml:"leads"`    // required
	Accounts []string `yaml:"accounts"` // optional
}

// MatchingConfig are the matcher's thresholds and parameters.
type MatchingConfig struct {
	// AutoThreshold: at or above, a clear best candidate is a match and
	// written back. ReviewThreshold: at or above, reported as possible.
	// 0 < ReviewThreshold <= AutoThreshold <= 1; defaults from matcher.DefaultOptions().
	AutoThreshold   float64 `yaml:"auto_threshold"`
	ReviewThreshold float64 `yaml:"review_threshold"`
	// ParamsFile is a params.json written by navsync match --train ("":
	// the shipped parameters).
	ParamsFile string `yaml:"params_file"`
}

// Overwrite policies of a writeback field.
const (
	// OverwriteNever writes a field only when it is empty: a non-empty
	// different value is left alone and the action reported as a conflict.
	OverwriteNever = "never"
	// OverwriteAlways replaces a different value.
	OverwriteAlways = "always"
)

// WritebackConfig is what a match writes onto its Contact or Lead.
type WritebackConfig struct {
	// Fields default to DefaultWritebackFields(). One of them must take
	// lead_id: it is how a later run knows a record is linked to its lead.
	Fields []WritebackField `yaml:"fields"`
	// Objects may be written (default Contact and Lead).
	Objects []string `yaml:"objects"`
	// BulkThreshold: more records of one object than this are written by a
	// Bulk API 2.0 ingest job instead of sObject Collections (default 10,000).
	BulkThreshold int `yaml:"bulk_threshold"`
	// LockRetries is how often a record refused with UNABLE_TO_LOCK_ROW is
	// sent again (default 5).
	LockRetries int `yaml:"lock_retries"`
}

// WritebackField is one Salesforce field set from one lead export column.
type WritebackField struct {
	// Field is the API name on Contact and Lead (custom fields end in __c).
	Field string `yaml:"field"`
	// From is a lead export column, one of WritebackColumns.
	From string `yaml:"from"`
	// Overwrite is OverwriteNever (default) or OverwriteAlways.
	Overwrite string `yaml:"overwrite"`
}

// WritebackColumns are the lead export columns a writeback field may take
// its value from (DESIGN.md's lead export, single-valued columns except the
// names).
var WritebackColumns = []string{"lead_id", "profile_url", "email", "phone", "current_title", "current_company",
	"current_company_domain", "city", "state", "country", "lead_list", "owner_email"}

// DefaultWritebackFields are Sales_Navigator_Lead_Id__c <- lead_id and
// LinkedIn_Profile_URL__c <- profile_url, neither overwriting a value.
func DefaultWritebackFields() []WritebackField {
	return []WritebackField{
		{Field: snapshot.DefaultLeadIDField, From: "lead_id", Overwrite: OverwriteNever},
		{Field: snapshot.DefaultProfileURLField, From: "profile_url", Overwrite: OverwriteNever},
	}
}

// Opportunity contact role policies.
const (
	RolePolicyNone       = "none"
	RolePolicySingleOpen = "single_open_opportunity"
	RolePolicyMostRecent = "most_recent_open_opportunity"
)

// ContactsConfig is contact creation for unmatched leads, on behalf of
// their owners (DESIGN.md "Actions"; docs/readme-contacts.md).
type ContactsConfig struct {
	Enabled bool `yaml:"enabled"`
	// LeadSource is the created Contacts' LeadSource: an active value of the
	// org's Contact.LeadSource picklist (checked against describe at run
	// time). Required when Enabled.
	LeadSource string `yaml:"lead_source"`
	// MonthlyQuota is the most Contacts created per user per calendar month (default 1,000).
	MonthlyQuota int `yaml:"monthly_quota"`
	// DailyAPIBudget is the most API calls per user per day, counted from
	// every call made with that user's token (default 1,000).
	DailyAPIBudget  int                   `yaml:"daily_api_budget"`
	OpportunityRole OpportunityRoleConfig `yaml:"opportunity_role"`
	// OrgTimeZone (IANA, e.g. America/New_York) is where months and days of
	// the quotas begin; "" means UTC.
	OrgTimeZone string `yaml:"org_time_zone"`
	// ExternalIDField is the Contact field created Contacts are upserted on,
	// so a resend never makes a second Contact. It must be a writeback
	// field taking lead_id (or profile_url): "" means the writeback field
	// taking lead_id (see Config.ContactExternalIDField).
	ExternalIDField string `yaml:"external_id_field"`
	// Auth is how navsync acts as each owner.
	Auth OwnerAuthConfig `yaml:"auth"`
}

// DefaultRedirectURL is the loopback callback of navsync auth login; the
// connected app must list it as a Callback URL.
const DefaultRedirectURL = "http://localhost:1717/OauthRedirect"

// OwnerAuthConfig is how navsync gets a token for each lead owner, with
// the job's connected app (salesforce.auth.client_id and its secret).
type OwnerAuthConfig struct {
	// Flow is FlowJWT (the connected app pre-authorizes the owners'
	// profiles or permission sets; nothing is stored) or FlowRefreshToken
	// (each owner signs in once with navsync auth login). Required when
	// contacts are enabled.
	Flow string `yaml:"flow"`
	// PrivateKeyFile is the jwt flow's PEM RSA key (mode 0600). Default,
	// when salesforce.auth.flow is jwt: salesforce.auth.private_key_file
	// (see Config.OwnerKeyFile).
	PrivateKeyFile string `yaml:"private_key_file"`
	// TokenStore is the refresh_token flow's folder: one <username>.json
	// (sfbulk.UserTokenStore, mode 0600) per owner, written by navsync auth
	// login. The folder must not be open to group or others.
	TokenStore string `yaml:"token_store"`
	// RedirectURL is navsync auth login's loopback callback (default
	// DefaultRedirectURL); it must be a Callback URL of the connected app.
	RedirectURL string `yaml:"redirect_url"`
}

// OpportunityRoleConfig adds an OpportunityContactRole to a created
// Contact's account's open opportunity.
type OpportunityRoleConfig struct {
	// Policy is RolePolicyNone (default), RolePolicySingleOpen (only when
	// the account has exactly one open opportunity) or RolePolicyMostRecent.
	Policy string `yaml:"policy"`
	// Role is the OpportunityContactRole.Role value (required unless none).
	Role string `yaml:"role"`
}

// ReportsConfig is where reports go: Dir/run_date=YYYY-MM-DD/run_id=<id>/.
type ReportsConfig struct {
	Dir string `yaml:"dir"` // default "reports"
	// ReviewRows caps the review queue of report.html (default 5,000): the
	// possible pairs past it are counted on the page and left to
	// matches.parquet.
	ReviewRows int `yaml:"review_rows"`
}

// StateConfig is the SQLite state store (journal, run history, quota ledger).
type StateConfig struct {
	Path string `yaml:"path"` // default "navsync.db"
}

// SafetyConfig is the brake checked before any write: a plan with more
// than MaxWrites record writes, or (above GrowthFloor writes) more than
// MaxGrowth times the previous successful run's, stops unless --force.
type SafetyConfig struct {
	MaxWrites   int     `yaml:"max_writes"`   // default 50,000
	MaxGrowth   float64 `yaml:"max_growth"`   // default 5
	GrowthFloor int     `yaml:"growth_floor"` // default 1,000
}

// Defaults returns a Config with every default set and nothing required
// (login host, auth, exports) filled in. Load decodes a file onto it.
func Defaults() *Config {
	mo := matcher.DefaultOptions()
	return &Config{
		Salesforce: SalesforceConfig{APIVersion: sfbulk.DefaultAPIVersion, DeleteBulkJobs: true},
		Matching:   MatchingConfig{AutoThreshold: mo.AutoThreshold, ReviewThreshold: mo.ReviewThreshold},
		Writeback: WritebackConfig{
			Fields:        DefaultWritebackFields(),
			Objects:       []string{"Contact", "Lead"},
			BulkThreshold: 10000,
			LockRetries:   5,
		},
		Contacts: ContactsConfig{MonthlyQuota: 1000, DailyAPIBudget: 1000,
			OpportunityRole: OpportunityRoleConfig{Policy: RolePolicyNone},
			Auth:            OwnerAuthConfig{RedirectURL: DefaultRedirectURL}},
		Reports: ReportsConfig{Dir: "reports", ReviewRows: 5000},
		State:   StateConfig{Path: "navsync.db"},
		WorkDir: "work",
		Safety:  SafetyConfig{MaxWrites: 50000, MaxGrowth: 5, GrowthFloor: 1000},
	}
}

// LoadOptions change what Load and Validate check.
type LoadOptions struct {
	// SkipFileChecks skips every check that looks outside the config file:
	// that export, key, secret, params and token-store files exist, are
	// readable and private, that globs match, and that the secret's
	// environment variable is set. Globs are then left unexpanded. For
	// checking an example, or a config written for another machine.
	SkipFileChecks bool
}

// Load reads path, decodes it onto Defaults(), resolves relative paths
// against path's folder (making them absolute), expands globs and validates
// the result. Every problem found is returned together in a
// *ValidationError (errors.Is(err, ErrConfig)).
func Load(path string) (*Config, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &readError{path: path, err: err}
	}
	c, probs := parse(b)
	c.Path = path
	probs = append(probs, c.resolvePaths(o)...)
	probs = append(probs, c.problems(o)...)
	if err := newValidationError(path, probs); err != nil {
		return c, err
	}
	return c, nil
}

// Parse decodes YAML onto Defaults() without looking at files or resolving
// paths (Path is empty: relative paths stay relative to the working
// directory). The error, if any, is a *ValidationError.
func Parse(data []byte) (*Config, error) {
	c, probs := parse(data)
	return c, newValidationError("", probs)
}

// Validate checks the config, files included, and returns every problem
// found in a *ValidationError, or nil. Paths are checked as they are
// (Load has made the file's paths absolute; a relative path set afterwards,
// e.g. from a flag, is relative to the working directory).
func (c *Config) Validate() error { return c.ValidateWith(LoadOptions{}) }

// ValidateWith is Validate with options.
func (c *Config) ValidateWith(o LoadOptions) error {
	return newValidationError(c.Path, c.problems(o))
}

// readError is a config file that cannot be read.
type readError struct {
	path string
	err  error
}

func (e *readError) Error() string {
	hint := ""
	if errors.Is(e.err, os.ErrNotExist) {
		hint = " (pass --config FILE, or start from navsync.example.yaml)"
	}
	return fmt.Sprintf("config: %v%s", e.err, hint)
}
func (e *readError) Unwrap() error        { return e.err }
func (e *readError) Is(target error) bool { return target == ErrConfig }

// Problem is one thing wrong with a config.
type Problem struct {
	Key  string // key path, e.g. "writeback.fields[1].from" ("" for the whole file)
	Line int    // line in the file, 0 when unknown (a missing section)
	Msg  string
	Hint string // how to fix it, may be ""
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString("\n      hint: ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// ValidationError is every problem of a config, in file order (problems
// without a line last).
type ValidationError struct {
	Path     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	name := e.Path
	if name == "" {
		name = "config"
	}
	n := len(e.Problems)
	if n == 1 {
		fmt.Fprintf(&b, "%s: 1 problem:", name)
	} else {
		fmt.Fprintf(&b, "%s: %d problems:", name, n)
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *ValidationError) Is(target error) bool { return target == ErrConfig }

func newValidationError(path string, probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	seen := map[Problem]bool{}
	out := probs[:0:0]
	for _, p := range probs {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := out[i].Line, out[j].Line
		if (li == 0) != (lj == 0) {
			return lj == 0
		}
		return li < lj
	})
	return &ValidationError{Path: path, Problems: out}
}

// Digest is "sha256:<hex>" of the effective configuration (defaults
// applied, paths resolved, globs expanded), for run.json: two runs with the
// same digest ran with the same settings. Secrets are not in it (the config
// holds only the names of their environment variables and files).
func (c *Config) Digest() string {
	cp := *c
	cp.Path = ""
	b, err := yaml.Marshal(&cp)
	if err != nil { // plain strings, numbers and slices: cannot fail
		b, _ = json.Marshal(&cp)
	}
	h := sha256.New()
	h.Write([]byte("navsync config v1\n"))
	h.Write(b)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Location is the schedule's time zone: its CRON_TZ= (or TZ=) prefix, else
// UTC.
func (c *Config) Location() *time.Location {
	tz, _, ok := splitCronTZ(c.Schedule)
	if !ok || tz == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// CronSchedule parses Schedule with robfig/cron's standard parser (five
// fields and descriptors), in Location(). An empty Schedule is an error.
func (c *Config) CronSchedule() (cron.Schedule, error) {
	return parseSchedule(c.Schedule)
}

// MatcherOptions are matcher.DefaultOptions() with the configured
// thresholds and, with ParamsFile, its parameters.
func (c *Config) MatcherOptions() (matcher.Options, error) {
	o := matcher.DefaultOptions()
	o.AutoThreshold, o.ReviewThreshold = c.Matching.AutoThreshold, c.Matching.ReviewThreshold
	if c.Matching.ParamsFile != "" {
		p, err := readParams(c.Matching.ParamsFile)
		if err != nil {
			return o, fmt.Errorf("matching.params_file: %v: %w", err, ErrConfig)
		}
		o.Params = p
	}
	return o, nil
}

// FieldNames are the writeback fields' API names, in order (for the
// snapshot's queries).
func (w WritebackConfig) FieldNames() []string {
	out := make([]string, len(w.Fields))
	for i, f := range w.Fields {
		out[i] = f.Field
	}
	return out
}

// FieldFrom is the first writeback field taking its value from column
// (e.g. LeadIDField), or "".
func (w WritebackConfig) FieldFrom(column string) string {
	for _, f := range w.Fields {
		if f.From == column {
			return f.Field
		}
	}
	return ""
}

// LeadIDField is the field holding the Sales Navigator lead id.
func (w WritebackConfig) LeadIDField() string { return w.FieldFrom("lead_id") }

// Writes reports whether object (Contact or Lead) may be written.
func (w WritebackConfig) Writes(object string) bool {
	for _, o := range w.Objects {
		if o == object {
			return true
		}
	}
	return false
}

// ContactExternalIDField is the Contact field created Contacts are
// upserted on: contacts.external_id_field, or the writeback field taking
// lead_id.
func (c *Config) ContactExternalIDField() string {
	if c.Contacts.ExternalIDField != "" {
		return c.Contacts.ExternalIDField
	}
	return c.Writeback.LeadIDField()
}

// OwnerKeyFile is the PEM key the owners' JWT assertions are signed with:
// contacts.auth.private_key_file, or salesforce.auth.private_key_file when
// the job itself signs in with jwt ("" when neither applies).
func (c *Config) OwnerKeyFile() string {
	if k := c.Contacts.Auth.PrivateKeyFile; k != "" {
		return k
	}
	if c.Salesforce.Auth.Flow == FlowJWT {
		return c.Salesforce.Auth.PrivateKeyFile
	}
	return ""
}

// Location is the org's time zone (org_time_zone), where quota months and
// days begin; UTC when unset or unknown.
func (ct ContactsConfig) Location() *time.Location {
	if ct.OrgTimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(ct.OrgTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// readParams reads a params.json of navsync match --train.
func readParams(path string) (*matcher.Params, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p matcher.Params
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not a params.json: %v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// splitCronTZ splits "CRON_TZ=Zone spec" (or "TZ=Zone spec"). ok is false
// when the prefix has no spec after it.
func splitCronTZ(s string) (tz, spec string, ok bool) {
	s = strings.TrimSpace(s)
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if rest, found := strings.CutPrefix(s, p); found {
			tz, spec, found = strings.Cut(rest, " ")
			return tz, strings.TrimSpace(spec), found && strings.TrimSpace(spec) != ""
		}
	}
	return "", s, true
}

// parseSchedule parses a schedule in its zone (UTC without CRON_TZ).
func parseSchedule(s string) (sched cron.Schedule, err error) {
	tz, spec, ok := splitCronTZ(s)
	if spec == "" || !ok {
		if tz != "" {
			return nil, fmt.Errorf("CRON_TZ=%s is not followed by a schedule", tz)
		}
		return nil, errors.New("empty schedule")
	}
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("unknown time zone %q", tz)
	}
	defer func() { // robfig/cron panics on a few malformed specs
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return cron.ParseStandard("CRON_TZ=" + tz + " " + spec)
}
