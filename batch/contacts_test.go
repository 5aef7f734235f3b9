package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/navsync/navsync/batch/state"
	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk"
	"github.com/navsync/navsync/sfbulk/sfsim"
)

// contactsConfig turns contact creation on for the org: the owners sign in
// by JWT with the connected app's key, every user approved.
func (o *jobOrg) contactsConfig(t testing.TB) *Config {
	t.Helper()
	cfg := o.config(t)
	app := o.srv.ConnectedApp()
	key := filepath.Join(filepath.Dir(cfg.Path), "jwt.key")
	if err := os.WriteFile(key, app.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range o.srv.Records("User") {
		if err := o.srv.SetApproved(u["Username"], true); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Salesforce.LoginURL = o.hs.URL
	cfg.Salesforce.OrgID = o.srv.OrgID()
	cfg.Salesforce.Auth.ClientID = app.ClientID
	cfg.Contacts.Enabled = true
	cfg.Contacts.LeadSource = o.leadSource(t)
	cfg.Contacts.Auth = OwnerAuthConfig{Flow: FlowJWT, PrivateKeyFile: key}
	return cfg
}

// leadSource is an active value of the org's Contact.LeadSource.
func (o *jobOrg) leadSource(t testing.TB) string {
	t.Helper()
	c, err := o.connect("")(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Describe(context.Background(), "Contact")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Fields {
		if f.Name == "LeadSource" {
			for _, v := range f.PicklistValues {
				if v.Active {
					return v.Value
				}
			}
		}
	}
	t.Fatal("no active LeadSource value")
	return ""
}

// contactsByLead is every Contact carrying a lead id, by lead id.
func (o *jobOrg) contactsByLead() map[string][]sfsim.Record {
	out := map[string][]sfsim.Record{}
	for _, r := range o.srv.Records("Contact") {
		if id := r["Sales_Navigator_Lead_Id__c"]; id != "" {
			out[id] = append(out[id], r)
		}
	}
	return out
}

func creates(res *RunResult, status string) []Action {
	var out []Action
	for i, a := range res.Actions {
		if a.Kind == KindCreateContact && res.Outcomes[i].Status == status {
			out = append(out, a)
		}
	}
	return out
}

func TestRunCreatesContacts(t *testing.T) {
	org := newJobOrg(t, 3000, 31, sfsim.Options{})
	cfg := org.contactsConfig(t)
	truth := org.world.Truth()
	before := org.contactsByLead()

	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if org.srv.WriteRequests() != 0 {
		t.Fatal("the dry run wrote")
	}
	would := creates(dry, StatusWouldCreate)
	if len(would) == 0 {
		t.Fatal("the dry run would create no contact")
	}

	res, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := creates(res, StatusDone)
	if len(done) == 0 {
		t.Fatalf("no contact created: %v", res.Summary.Actions)
	}
	// What the dry run said would be created was created, unless the
	// owner's org answered otherwise (read-only, no API).
	planned := map[string]bool{}
	for _, a := range would {
		planned[a.LeadID] = true
	}
	for _, a := range done {
		if !planned[a.LeadID] {
			t.Errorf("lead %s created but not in the dry run's plan", a.LeadID)
		}
	}
	// Right Account, right owner, LeadSource and fields, one per lead.
	after := org.contactsByLead()
	for _, a := range done {
		lt := truth.Leads[a.LeadID]
		recs := after[a.LeadID]
		if len(recs) != 1+len(before[a.LeadID]) || len(before[a.LeadID]) != 0 {
			t.Fatalf("lead %s: %d Contacts", a.LeadID, len(recs))
		}
		r := recs[0]
		if r["Id"] != a.TargetID || r["AccountId"] != lt.AccountID || r["CreatedById"] != lt.OwnerUserID || r["OwnerId"] != lt.OwnerUserID ||
			r["LeadSource"] != cfg.Contacts.LeadSource || r["FirstName"] != a.Fields["FirstName"] || r["Title"] != a.Fields["Title"] ||
			r["MailingCountry"] != a.Fields["MailingCountry"] || r["LinkedIn_Profile_URL__c"] == "" {
			t.Fatalf("lead %s: Contact %v; action %+v; truth account %s owner %s", a.LeadID, r, a, lt.AccountID, lt.OwnerUserID)
		}
	}
	// Each owner outcome the world holds is reported as documented.
	reasons := map[string]int{}
	codes := map[string]int{}
	for i, a := range res.Actions {
		if a.Kind == KindCreateContact {
			reasons[a.Reason]++
			codes[res.Outcomes[i].ErrorCode]++
		}
	}
	for _, r := range []string{ReasonNoAccountMatch, ReasonOwnerNotInCRM, ReasonOwnerInactive, ReasonOwnerNoAPI} {
		if reasons[r] == 0 {
			t.Errorf("no create_contact with reason %s: %v", r, reasons)
		}
	}
	if codes["INSUFFICIENT_ACCESS_OR_READONLY"] == 0 {
		t.Errorf("a read-only owner's contacts did not fail with INSUFFICIENT_ACCESS_OR_READONLY: %v", codes)
	}
	for i, a := range res.Actions {
		if a.Reason == ReasonOwnerNotInCRM && a.Detail != OwnerNotInCRMMessage {
			t.Errorf("action %d detail %q", i, a.Detail)
		}
	}
	// quota.parquet's rows count what was created.
	n := 0
	for _, q := range res.Quota {
		n += q.Created
	}
	if n != len(done) {
		t.Errorf("quota rows count %d created, the run created %d", n, len(done))
	}
	if _, err := os.Stat(filepath.Join(res.ReportDir, QuotaFile)); err != nil {
		t.Error(err)
	}

	// The next run creates nothing again: the created Contacts are matched.
	again, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A lead decided none in the first run is matched to its new Contact
	// now; only leads the first run left possible (their candidate since
	// linked to another lead) may be created now.
	first := map[string]string{}
	for _, r := range res.Match.Leads {
		first[r.LeadID] = string(r.Decision)
	}
	for _, a := range creates(again, StatusDone) {
		if first[a.LeadID] == "none" {
			t.Errorf("lead %s was created again", a.LeadID)
		}
	}
	for id, recs := range org.contactsByLead() {
		if len(recs) > 1 {
			t.Errorf("lead %s has %d Contacts", id, len(recs))
		}
	}
}

func TestRunContactQuota(t *testing.T) {
	org := newJobOrg(t, 3000, 32, sfsim.Options{})
	cfg := org.contactsConfig(t)
	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	// The owner with the most contacts to create has 998 this month.
	per := map[string]int{}
	for _, a := range creates(dry, StatusWouldCreate) {
		per[a.OnBehalfOf]++
	}
	owner := ""
	for u, n := range per {
		if n > per[owner] || n == per[owner] && u < owner {
			owner = u
		}
	}
	if per[owner] < 5 {
		t.Fatalf("no owner with enough contacts to create: %v", per)
	}
	now := time.Date(2026, 12, 14, 12, 0, 0, 0, time.UTC)
	st, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddContactsCreated(context.Background(), owner, "2026-12", 998); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res, err := org.run(t, cfg, func(o *RunOptions) { o.Now = func() time.Time { return now } })
	if err != nil {
		t.Fatal(err)
	}
	got, over := 0, 0
	for i, a := range res.Actions {
		if a.Kind != KindCreateContact || a.OnBehalfOf != owner {
			continue
		}
		switch {
		case res.Outcomes[i].Status == StatusDone:
			got++
		case a.Reason == ReasonQuotaExceeded:
			over++
		}
	}
	if got != 2 || over != per[owner]-2 {
		t.Fatalf("owner at 998 of 1000: %d created, %d quota_exceeded, want 2 and %d", got, over, per[owner]-2)
	}
	// Next month the rest is created: never dropped.
	next := time.Date(2027, 1, 2, 12, 0, 0, 0, time.UTC)
	res, err = org.run(t, cfg, func(o *RunOptions) { o.Now = func() time.Time { return next } })
	if err != nil {
		t.Fatal(err)
	}
	got = 0
	for i, a := range res.Actions {
		if a.Kind == KindCreateContact && a.OnBehalfOf == owner && res.Outcomes[i].Status == StatusDone {
			got++
		}
	}
	if got != per[owner]-2 {
		t.Fatalf("next month: %d created, want %d", got, per[owner]-2)
	}
}

func TestRunContactSchemaStopsBeforeWrites(t *testing.T) {
	org := newJobOrg(t, 1000, 33, sfsim.Options{})
	cfg := org.contactsConfig(t)
	cfg.Contacts.LeadSource = "Carrier Pigeon"
	_, err := org.run(t, cfg, nil)
	if !errors.Is(err, ErrContactSchema) || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "valid values: ") {
		t.Fatalf("err = %v, want the LeadSource refused with the valid values", err)
	}
	if n := org.srv.WriteRequests(); n != 0 {
		t.Fatalf("%d write requests before the schema check", n)
	}
}

// ownerSwitch hands out the owners' clients, with one owner's replaced by
// a client of another org or a refusal.
type ownerSwitch struct {
	OwnerClients
	mu       sync.Mutex
	override map[string]func(ctx context.Context) (ContactWriter, error)
}

func (s *ownerSwitch) Client(ctx context.Context, userID, username string) (ContactWriter, error) {
	s.mu.Lock()
	f := s.override[userID]
	s.mu.Unlock()
	if f != nil {
		return f(ctx)
	}
	return s.OwnerClients.Client(ctx, userID, username)
}

// dupInjector is the integration user's client, adding records to the org
// around the first duplicate look-up (after the snapshot, before the
// creates), as another user would: before, so the look-up finds it, and
// after, so only the org's duplicate rule can.
type dupInjector struct {
	Client
	once          sync.Once
	before, after func()
}

func (d *dupInjector) QueryRecords(ctx context.Context, soql string) ([]sfbulk.Record, error) {
	first := false
	if strings.Contains(soql, "FROM Contact WHERE (AccountId IN") {
		d.once.Do(func() { first = true })
	}
	if first {
		d.before()
		defer d.after()
	}
	return d.Client.QueryRecords(ctx, soql)
}

func TestRunContactOwnerOutcomes(t *testing.T) {
	org := newJobOrg(t, 3000, 34, sfsim.Options{DuplicateRules: true})
	other := newJobOrg(t, 200, 35, sfsim.Options{OrgID: "00D5g0000000002EAA"})
	cfg := org.contactsConfig(t)
	dry, err := org.run(t, cfg, func(o *RunOptions) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	// Four owners with contacts to create, one per outcome.
	per := map[string][]Action{}
	var owners []string
	for _, a := range creates(dry, StatusWouldCreate) {
		if len(per[a.OnBehalfOf]) == 0 {
			owners = append(owners, a.OnBehalfOf)
		}
		per[a.OnBehalfOf] = append(per[a.OnBehalfOf], a)
	}
	slices.Sort(owners)
	if len(owners) < 4 {
		t.Fatalf("%d owners with contacts to create, want 4", len(owners))
	}
	otherOrg, revoked, dupOwner, fine := owners[0], owners[1], owners[2], owners[3]
	username := func(id string) string {
		for _, u := range org.srv.Records("User") {
			if u["Id"] == id {
				return u["Username"]
			}
		}
		return ""
	}
	// A revoked consent: the user's approval of the app is withdrawn.
	if err := org.srv.SetApproved(username(revoked), false); err != nil {
		t.Fatal(err)
	}
	// Two leads of dupOwner get a same-name Contact on their Account after
	// the snapshot: one before the duplicate look-up (found by it), one
	// after it (refused by the org's duplicate rule).
	byName, byRule := per[dupOwner][0], per[dupOwner][1]
	dupA, dupB := sfid.New(sfid.Contact, "9z", 1), sfid.New(sfid.Contact, "9z", 2)
	add := func(id string, a Action) func() {
		return func() {
			err := org.srv.Load("Contact", []string{"Id", "FirstName", "LastName", "AccountId", "OwnerId"}, [][]string{
				{id, a.Fields["FirstName"], a.Fields["LastName"], a.Fields["AccountId"], fine}})
			if err != nil {
				t.Error(err)
			}
		}
	}
	res, err := org.run(t, cfg, func(o *RunOptions) {
		conn := o.Connect
		o.Connect = func(ctx context.Context, c *Config, log *slog.Logger) (Client, error) {
			cl, err := conn(ctx, c, log)
			if err != nil {
				return nil, err
			}
			return &dupInjector{Client: cl, before: add(dupA, byName), after: add(dupB, byRule)}, nil
		}
		uc, err := NewUserClients(cfg, org.srv.OrgID(), mustStore(t, cfg), time.Now, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		o.Owners = &ownerSwitch{OwnerClients: ownerClientsAdapter{uc}, override: map[string]func(context.Context) (ContactWriter, error){
			// A token minted by another org for this owner.
			otherOrg: func(ctx context.Context) (ContactWriter, error) {
				c, err := other.connect("")(ctx, nil, nil)
				if err != nil {
					return nil, err
				}
				tok := &sfbulk.Token{AccessToken: "x", InstanceURL: other.hs.URL, ID: c.Identity().IDURL}
				return sfbulk.New(ctx, sfbulk.Config{ExpectOrgID: org.srv.OrgID()}, sfbulk.StaticTokenSource{T: tok})
			},
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	outcome := map[string]string{}
	for i, a := range res.Actions {
		if a.Kind == KindCreateContact && !a.Skip || a.Reason != "" && a.Kind == KindCreateContact {
			outcome[a.LeadID] = res.Outcomes[i].Status + "/" + a.Reason
			if a.LeadID == byName.LeadID || a.LeadID == byRule.LeadID {
				outcome[a.LeadID] += "/" + a.TargetID
			}
		}
	}
	for _, a := range per[otherOrg] {
		if outcome[a.LeadID] != StatusSkipped+"/"+ReasonDifferentOrg {
			t.Errorf("other-org owner's lead %s: %s", a.LeadID, outcome[a.LeadID])
		}
	}
	for _, a := range per[revoked] {
		if outcome[a.LeadID] != StatusSkipped+"/"+ReasonOwnerAuthRevoked {
			t.Errorf("revoked owner's lead %s: %s", a.LeadID, outcome[a.LeadID])
		}
	}
	if got := outcome[byName.LeadID]; got != StatusSkipped+"/"+ReasonPossibleDup+"/"+dupA {
		t.Errorf("same-name Contact added on the Account: %s", got)
	}
	if got := outcome[byRule.LeadID]; got != StatusSkipped+"/"+ReasonPossibleDup+"/"+dupB {
		t.Errorf("duplicate rule: %s", got)
	}
	for _, a := range per[fine] {
		if outcome[a.LeadID] != StatusDone+"/" {
			t.Errorf("other owners go on: lead %s %s", a.LeadID, outcome[a.LeadID])
		}
	}
	if len(org.contactsByLead()[byName.LeadID])+len(org.contactsByLead()[byRule.LeadID]) != 0 {
		t.Error("a possible duplicate was created")
	}
}

func mustStore(t testing.TB, cfg *Config) *state.Store {
	t.Helper()
	st, err := state.Open(context.Background(), cfg.State.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRunContactsUnderDrops(t *testing.T) {
	org := newJobOrg(t, 2000, 36, sfsim.Options{})
	cfg := org.contactsConfig(t)
	faults, err := sfsim.ParseFaults("drop=0.3,unavailable=0.1,seed=9")
	if err != nil {
		t.Fatal(err)
	}
	org.srv.SetFaults(faults)
	var last error
	for range 4 {
		if _, last = org.run(t, cfg, nil); last == nil {
			break
		}
		t.Logf("run under drops: %v", last)
	}
	if last != nil {
		t.Fatal(last)
	}
	if org.srv.FaultCounts()["drop"] == 0 {
		t.Fatal("no connection was dropped")
	}
	org.srv.SetFaults(sfsim.Faults{})
	created := 0
	for id, recs := range org.contactsByLead() {
		if len(recs) > 1 {
			t.Errorf("lead %s has %d Contacts", id, len(recs))
		}
		created++
	}
	if created == 0 {
		t.Fatal("nothing created")
	}
}

// shortOwners hands out the owners' clients, the first write of object
// (Contact or OpportunityContactRole) carrying two records or more, each
// of them then succeeding, answered one result short without an error;
// with lost, answered in full but for the last record, whose answer is
// lost (MaybeSent, errLostAnswer, as for a dropped connection).
// applied: Salesforce wrote the record the answer leaves out; else that
// record never reached it. Every record of object sent is counted by key.
type shortOwners struct {
	OwnerClients
	object, leadField string
	applied, lost     bool

	mu      sync.Mutex
	method  string         // "create" or "upsert": the call answered short
	owner   string         // whose call it was
	dropped sfbulk.Record  // the record left without a result
	records int            // the records the call carried
	sent    map[string]int // records sent, by shortKey
}

// errLostAnswer is a call's answer lost to a dropped connection.
var errLostAnswer = &sfbulk.RequestError{Method: "POST", Path: "/composite/sobjects", Sent: sfbulk.MaybeSent, Err: io.ErrUnexpectedEOF}

// answer is the call's answer without a result for its last record
// (res holds the others'): short, or with that record's answer lost.
func (s *shortOwners) answer(res []sfbulk.RecordResult) ([]sfbulk.RecordResult, error) {
	if s.lost {
		return append(res, sfbulk.RecordResult{Sent: sfbulk.MaybeSent, RequestErr: errLostAnswer}), errLostAnswer
	}
	return res, nil
}

func (s *shortOwners) Client(ctx context.Context, userID, username string) (ContactWriter, error) {
	c, err := s.OwnerClients.Client(ctx, userID, username)
	if err != nil {
		return nil, err
	}
	return shortWriter{ContactWriter: c, s: s, uid: userID}, nil
}

// shortKey names a record: a Contact by its lead id, a role by its Contact
// and Opportunity.
func (s *shortOwners) shortKey(r sfbulk.Record) string {
	if s.object == "Contact" {
		return fieldString(r[s.leadField])
	}
	return fieldString(r["ContactId"]) + "/" + fieldString(r["OpportunityId"])
}

type shortWriter struct {
	ContactWriter
	s   *shortOwners
	uid string
}

func (w shortWriter) Create(ctx context.Context, object string, recs []sfbulk.Record) ([]sfbulk.RecordResult, error) {
	return w.s.write(w.uid, "create", object, recs, func(r []sfbulk.Record) ([]sfbulk.RecordResult, error) {
		return w.ContactWriter.Create(ctx, object, r)
	})
}

func (w shortWriter) Upsert(ctx context.Context, object, ext string, recs []sfbulk.Record) ([]sfbulk.RecordResult, error) {
	return w.s.write(w.uid, "upsert", object, recs, func(r []sfbulk.Record) ([]sfbulk.RecordResult, error) {
		return w.ContactWriter.Upsert(ctx, object, ext, r)
	})
}

func (s *shortOwners) write(uid, method, object string, recs []sfbulk.Record,
	send func([]sfbulk.Record) ([]sfbulk.RecordResult, error)) ([]sfbulk.RecordResult, error) {
	if object != s.object {
		return send(recs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	count := func(rs []sfbulk.Record) {
		for _, r := range rs {
			s.sent[s.shortKey(r)]++
		}
	}
	allDone := func(res []sfbulk.RecordResult, err error) bool {
		return err == nil && !slices.ContainsFunc(res, func(r sfbulk.RecordResult) bool { return !r.Success })
	}
	n := len(recs)
	if s.dropped != nil || n < 2 {
		count(recs)
		return send(recs)
	}
	if s.applied {
		count(recs)
		res, err := send(recs)
		if !allDone(res, err) || len(res) != n {
			return res, err
		}
		s.method, s.owner, s.dropped, s.records = method, uid, recs[n-1], n
		return s.answer(res[:n-1])
	}
	count(recs[:n-1])
	res, err := send(recs[:n-1])
	if !allDone(res, err) {
		// Not a clean call: the last record goes too, answered.
		count(recs[n-1:])
		last, lerr := send(recs[n-1:])
		return append(res, last...), errors.Join(err, lerr)
	}
	s.method, s.owner, s.dropped, s.records = method, uid, recs[n-1], n
	return s.answer(res)
}

// plainLeadID is the integration user's client with Contact's lead id
// field described as a plain field, not an External ID: contacts are then
// created, not upserted.
type plainLeadID struct {
	Client
	field string
}

func (p plainLeadID) Describe(ctx context.Context, object string) (*sfbulk.SObjectDescribe, error) {
	d, err := p.Client.Describe(ctx, object)
	if err != nil || object != "Contact" {
		return d, err
	}
	c := *d
	c.Fields = slices.Clone(d.Fields)
	for i := range c.Fields {
		if strings.EqualFold(c.Fields[i].Name, p.field) {
			c.Fields[i].ExternalID = false
		}
	}
	return &c, nil
}

// TestRunContactShortAnswer: an owner's create (or upsert) of Contacts, or
// of their contact roles, whose answer holds one result fewer than the
// records sent leaves the record without a result unknown (it may have
// been written), its quota reservation held, and stops the apply as a
// lost answer does; the next run finds the record by its lead id (or its
// Contact and Opportunity) and never sends it again, or, when Salesforce
// did not write it, creates the Contact (or the role) once. The same holds
// for a record whose answer is lost. The unknown record's error message
// (outcome, journal, actions.parquet) says which it was and what the next
// run does.
func TestRunContactShortAnswer(t *testing.T) {
	const (
		contactNext = "the next run looks the Contact up by its external id field before sending again"
		roleNext    = "the next run looks the role up by its Contact and Opportunity before sending again"
	)
	for _, tc := range []struct {
		name            string
		object          string // whose first write is answered short
		upsert, applied bool
		lost            bool // the record's answer lost, not left out
	}{
		{"create, applied", "Contact", false, true, false},
		{"create, not applied", "Contact", false, false, false},
		{"upsert, applied", "Contact", true, true, false},
		{"upsert, not applied", "Contact", true, false, false},
		{"role, applied", "OpportunityContactRole", true, true, false},
		{"role, not applied", "OpportunityContactRole", true, false, false},
		{"create, answer lost, applied", "Contact", false, true, true},
		{"role, answer lost, not applied", "OpportunityContactRole", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			org := newJobOrg(t, 2000, 37, sfsim.Options{})
			cfg := org.contactsConfig(t)
			if tc.object == "OpportunityContactRole" {
				cfg.Contacts.OpportunityRole = OpportunityRoleConfig{Policy: RolePolicyMostRecent, Role: "Influencer"}
			}
			leadField := cfg.ContactExternalIDField()
			so := &shortOwners{object: tc.object, leadField: leadField, applied: tc.applied, lost: tc.lost, sent: map[string]int{}}
			run := func() (*RunResult, error) {
				return org.run(t, cfg, func(o *RunOptions) {
					if !tc.upsert {
						conn := o.Connect
						o.Connect = func(ctx context.Context, c *Config, log *slog.Logger) (Client, error) {
							cl, err := conn(ctx, c, log)
							if err != nil {
								return nil, err
							}
							return plainLeadID{Client: cl, field: leadField}, nil
						}
					}
					uc, err := NewUserClients(cfg, org.srv.OrgID(), mustStore(t, cfg), time.Now, slog.New(slog.DiscardHandler))
					if err != nil {
						t.Fatal(err)
					}
					so.OwnerClients = ownerClientsAdapter{uc}
					o.Owners = so
				})
			}
			before := org.contactsByLead()
			month, _ := quotaMonth(cfg, time.Now())

			res, err := run()
			if so.dropped == nil {
				t.Fatalf("no %s write was answered short (err %v)", tc.object, err)
			}
			if want := map[bool]string{false: "create", true: "upsert"}[tc.upsert]; tc.object == "Contact" && so.method != want {
				t.Fatalf("contacts went by %s, want %s", so.method, want)
			}
			// Like a lost answer, the short answer stops the apply.
			if want := map[bool]string{false: "results for", true: io.ErrUnexpectedEOF.Error()}[tc.lost]; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("run with a short answer (lost %v): err %v, want %q", tc.lost, err, want)
			}
			if res == nil {
				t.Fatal(err)
			}
			runID := res.Summary.RunID
			key := so.shortKey(so.dropped)
			di := slices.IndexFunc(res.Actions, func(a Action) bool {
				if tc.object == "Contact" {
					return a.Kind == KindCreateContact && a.LeadID == fieldString(so.dropped[leadField])
				}
				return a.Kind == KindCreateContactRole && a.Fields["ContactId"] == fieldString(so.dropped["ContactId"])
			})
			if di < 0 {
				t.Fatalf("no action for the record left out %v", so.dropped)
			}
			dropped := res.Actions[di]
			next := map[bool]string{true: contactNext, false: roleNext}[tc.object == "Contact"]
			wantMsg := fmt.Sprintf("Salesforce's answer held %d results for %d records sent; %s", so.records-1, so.records, next)
			if so.records == 2 {
				wantMsg = "Salesforce's answer held 1 result for 2 records sent; " + next
			}
			if tc.lost {
				wantMsg = "no answer from Salesforce; " + next
			}
			if o := res.Outcomes[di]; o.Status != StatusUnknown || o.ErrorCode != "UNAVAILABLE" || o.ErrorMessage != wantMsg {
				t.Errorf("the record left out of the answer: %s %s %q, want unknown UNAVAILABLE %q", o.Status, o.ErrorCode, o.ErrorMessage, wantMsg)
			}
			st := mustStore(t, cfg)
			unknown, err := st.ActionsInState(ctx, runID, state.Unknown)
			if err != nil {
				t.Fatal(err)
			}
			if len(unknown) != 1 || unknown[0].Seq != dropped.Seq {
				t.Errorf("journalled unknown: %v, want only action %d", unknown, dropped.Seq)
			} else if unknown[0].ErrorCode != "UNAVAILABLE" || unknown[0].ErrorMessage != wantMsg {
				t.Errorf("journalled unknown with %s %q, want UNAVAILABLE %q", unknown[0].ErrorCode, unknown[0].ErrorMessage, wantMsg)
			}
			_, rows := readParquet(t, filepath.Join(res.ReportDir, ActionsFile)).RowMaps()
			if di >= len(rows) || rows[di]["lead_id"] != dropped.LeadID || rows[di]["action"] != dropped.Kind {
				t.Fatalf("actions.parquet row %d: %v, want lead %s's %s", di, rows[min(di, len(rows)-1)], dropped.LeadID, dropped.Kind)
			}
			if got := rows[di]["error_message"]; got != wantMsg {
				t.Errorf("actions.parquet error_message %q, want %q", got, wantMsg)
			}
			held, err := st.OpenReservations(ctx, runID)
			if err != nil {
				t.Fatal(err)
			}
			var heldSeqs []int
			for _, r := range held {
				heldSeqs = append(heldSeqs, r.Seq)
			}
			wantHeld := []int{dropped.Seq} // the Contact's reservation; a role has none
			if tc.object != "Contact" {
				wantHeld = nil
			}
			if !slices.Equal(heldSeqs, wantHeld) {
				t.Errorf("reservations held after the run: %v, want %v", heldSeqs, wantHeld)
			}
			// The apply stopped: only contacts of the owners after this
			// one are left not sent, for the next run.
			notSent := map[string]bool{}
			for i, a := range res.Actions {
				if a.Kind == KindCreateContact && res.Outcomes[i].Status == StatusNotSent {
					if a.OnBehalfOf <= so.owner {
						t.Errorf("lead %s of owner %s not sent; the short answer was owner %s's", a.LeadID, a.OnBehalfOf, so.owner)
					}
					notSent[a.LeadID] = true
				}
			}
			sentBefore := so.sent[key]

			// The next run reconciles it, then finishes the work.
			res2, err := run()
			if err != nil {
				t.Fatal(err)
			}
			found, notFound := 0, 1
			if tc.applied {
				found, notFound = 1, 0
			}
			if rc := res2.Reconciled; !slices.Contains(rc.Runs, runID) || rc.Done != found || rc.NotApplied != notFound {
				t.Errorf("reconciled %+v, want run %s with %d found and %d not applied", rc, runID, found, notFound)
			}
			resent := 0
			if !tc.applied {
				// Never reached Salesforce: created now, once (a role
				// for the Contact the first run created).
				resent = 1
			}
			if n := so.sent[key] - sentBefore; n != resent {
				t.Errorf("the record left out was sent %d times by the next run, want %d", n, resent)
			}
			acts, err := st.Actions(ctx, runID)
			if err != nil {
				t.Fatal(err)
			}
			wantState := map[bool]string{true: state.Done, false: state.NotApplied}[tc.applied]
			if got := acts[dropped.Seq].State; got != wantState {
				t.Errorf("the record left out is journalled %s after reconciliation, want %s", got, wantState)
			}
			for i, a := range res2.Actions {
				if a.Kind == KindCreateContact && notSent[a.LeadID] && (res2.Outcomes[i].Status == StatusNotSent || res2.Outcomes[i].Status == StatusUnknown) {
					t.Errorf("lead %s, not sent by the first run: %s in the next", a.LeadID, res2.Outcomes[i].Status)
				}
			}
			after := org.contactsByLead()
			for id, recs := range after {
				if len(recs) > 1 {
					t.Errorf("lead %s has %d Contacts", id, len(recs))
				}
			}
			if tc.object == "Contact" {
				if n := len(after[dropped.LeadID]); n != 1 {
					t.Errorf("lead %s: %d Contacts, want 1", dropped.LeadID, n)
				}
			} else {
				roles := 0
				for _, r := range org.srv.Records("OpportunityContactRole") {
					if r["ContactId"]+"/"+r["OpportunityId"] == key {
						roles++
					}
				}
				if roles != 1 {
					t.Errorf("%d OpportunityContactRoles for %s, want 1", roles, key)
				}
			}
			// The owner's quota counts each Contact created for it once,
			// nothing held.
			if held, err := st.OpenReservations(ctx, runID); err != nil || len(held) != 0 {
				t.Errorf("reservations of the first run still held: %v %v", held, err)
			}
			mine := 0
			for id, recs := range after {
				if len(before[id]) == 0 && len(recs) == 1 && recs[0]["CreatedById"] == so.owner {
					mine++
				}
			}
			created, reserved, err := st.ContactQuota(ctx, so.owner, month)
			if err != nil {
				t.Fatal(err)
			}
			if created != mine || reserved != 0 {
				t.Errorf("owner %s's quota: %d created, %d reserved; %d Contacts created in the org", so.owner, created, reserved, mine)
			}
		})
	}
}

// createFault is what interceptFirstCreate does to its call.
type createFault int

const (
	applyNoAnswer createFault = iota // the org writes the records; the answer is lost (connection dropped)
	noAnswer                         // the connection drops before the org sees the records
	refuseAll                        // the org answers each record with a validation error, writing nothing
)

// interceptFirstCreate does fault to the first create of object (POST
// /composite/sobjects, or an upsert: PATCH /composite/sobjects/<object>/<field>); with applyNoAnswer, to the first the org applies
// to each of its records (a read-only owner's call is answered as it is
// and waited past). It returns the records of the call it hit, filled in
// once the call has gone.
func interceptFirstCreate(t *testing.T, org *jobOrg, object string, fault createFault) func() []map[string]any {
	t.Helper()
	var mu sync.Mutex
	var hit []map[string]any
	done := false
	org.mu.Lock()
	org.answer = func(w http.ResponseWriter, r *http.Request) bool {
		upsert := r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/composite/sobjects/"+object+"/")
		if !upsert && (r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/composite/sobjects")) {
			return false
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req struct {
			Records []map[string]any `json:"records"`
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.Records) == 0 {
			return false
		}
		if typ, _ := req.Records[0]["attributes"].(map[string]any); !upsert && typ["type"] != object {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if done {
			return false
		}
		if fault != applyNoAnswer {
			done, hit = true, req.Records
			if fault == noAnswer {
				panic(http.ErrAbortHandler)
			}
			w.Header().Set("Content-Type", "application/json")
			out := make([]map[string]any, len(req.Records))
			for i := range out {
				out[i] = map[string]any{"id": nil, "success": false, "errors": []map[string]any{{
					"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "refused by a validation rule", "fields": []string{}}}}
			}
			json.NewEncoder(w).Encode(out)
			return true
		}
		rec := httptest.NewRecorder()
		org.srv.Handler().ServeHTTP(rec, r)
		if !recordedSuccess(rec) {
			// Not a clean create (a read-only owner): answered as it was.
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return true
		}
		done, hit = true, req.Records
		panic(http.ErrAbortHandler) // applied, and never answered
	}
	org.mu.Unlock()
	return func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(hit)
	}
}

// recordedSuccess: a collections answer with every record a success.
func recordedSuccess(rec *httptest.ResponseRecorder) bool {
	var results []struct {
		Success bool `json:"success"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &results) != nil {
		return false
	}
	for _, r := range results {
		if !r.Success {
			return false
		}
	}
	return true
}

// loseFirstContactCreate makes the org apply the first create of Contacts
// that succeeds for each of its records and drop the connection without
// an answer. It returns the lead ids (Sales_Navigator_Lead_Id__c) the lost
// call carried, filled in once the call has gone.
func loseFirstContactCreate(t *testing.T, org *jobOrg) func() []string {
	t.Helper()
	recs := interceptFirstCreate(t, org, "Contact", applyNoAnswer)
	return func() []string {
		var ids []string
		for _, r := range recs() {
			ids = append(ids, fieldString(r[DefaultLeadIDField]))
		}
		return ids
	}
}

// TestRunContactLostAnswerProfileURLExternalID: with
// contacts.external_id_field the writeback field taking profile_url (a URL
// field, not an External ID: Contacts are created, not upserted), a create
// applied by Salesforce whose answer is lost is found by the next run by
// the value the run wrote into that field (the profile URL, not the lead
// id): journalled done, its quota reservation confirmed, never sent again,
// one Contact per lead.
func TestRunContactLostAnswerProfileURLExternalID(t *testing.T) {
	ctx := context.Background()
	org := newJobOrg(t, 2000, 38, sfsim.Options{})
	cfg := org.contactsConfig(t)
	cfg.Contacts.ExternalIDField = DefaultProfileURLField
	// The config allows it (the test's connection needs no auth keys).
	for _, p := range cfg.problems(LoadOptions{SkipFileChecks: true}) {
		if strings.HasPrefix(p.Key, "contacts.") {
			t.Fatalf("config problem: %v", p)
		}
	}
	lost := loseFirstContactCreate(t, org)
	before := org.contactsByLead()
	month, _ := quotaMonth(cfg, time.Now())

	res, err := org.run(t, cfg, nil)
	if err == nil {
		t.Fatal("the run with a lost answer succeeded")
	}
	if res == nil {
		t.Fatal(err)
	}
	leads := lost()
	if len(leads) == 0 {
		t.Fatalf("no Contact create was lost: %v", err)
	}
	owner := ""
	for i, a := range res.Actions {
		if a.Kind == KindCreateContact && slices.Contains(leads, a.LeadID) {
			if s := res.Outcomes[i].Status; s != StatusUnknown {
				t.Errorf("lead %s of the lost call: %s, want unknown", a.LeadID, s)
			}
			if a.Fields[DefaultProfileURLField] == "" || a.Fields[DefaultProfileURLField] == a.LeadID {
				t.Fatalf("lead %s: profile URL %q", a.LeadID, a.Fields[DefaultProfileURLField])
			}
			owner = a.OnBehalfOf
		}
	}
	for _, id := range leads {
		if n := len(org.contactsByLead()[id]); n != 1 {
			t.Fatalf("lead %s: %d Contacts after the lost call, want 1 (applied)", id, n)
		}
	}

	res2, err := org.run(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runID := res.Summary.RunID
	if rc := res2.Reconciled; !slices.Contains(rc.Runs, runID) || rc.Done != len(leads) || rc.NotApplied != 0 {
		t.Errorf("reconciled %+v, want run %s with %d found and none not applied", rc, runID, len(leads))
	}
	st := mustStore(t, cfg)
	acts, err := st.Actions(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == KindCreateContact && slices.Contains(leads, a.LeadID) && a.State != state.Done {
			t.Errorf("lead %s of the lost call journalled %s after reconciliation, want done", a.LeadID, a.State)
		}
	}
	for i, a := range res2.Actions {
		if a.Kind == KindCreateContact && slices.Contains(leads, a.LeadID) && !a.Skip {
			t.Errorf("lead %s of the lost call planned again: %s %s", a.LeadID, res2.Outcomes[i].Status, a.Reason)
		}
	}
	after := org.contactsByLead()
	for id, recs := range after {
		if len(recs) > 1 {
			t.Errorf("lead %s has %d Contacts", id, len(recs))
		}
	}
	// The owner's quota counts each Contact created for it once.
	mine := 0
	for id, recs := range after {
		if len(before[id]) == 0 && len(recs) == 1 && recs[0]["CreatedById"] == owner {
			mine++
		}
	}
	created, reserved, err := st.ContactQuota(ctx, owner, month)
	if err != nil {
		t.Fatal(err)
	}
	if created != mine || reserved != 0 {
		t.Errorf("owner %s's quota: %d created, %d reserved; %d Contacts created for it in the org", owner, created, reserved, mine)
	}
}

// TestReconcileContactsByLongValues: open creates are looked up by the
// value they wrote into the external id field however long (a chunk of 200
// profile URLs takes several queries under the REST URI limit), with the
// field named in another case than the mapping that filled it; a create
// that wrote no value there, or whose value is in no Contact, is not
// found.
func TestReconcileContactsByLongValues(t *testing.T) {
	ctx := context.Background()
	org := newJobOrg(t, 100, 39, sfsim.Options{})
	c, err := org.connect("")(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := func(i int) string {
		return "https://www.linkedin.com/sales/lead/ACwAA" + strings.Repeat("x", 40) + "," + "NAME_SEARCH," + string(rune('a'+i%26)) + fmt.Sprint(i)
	}
	var rows [][]string
	var acts []state.Action
	want := map[int]string{}
	for i := range 230 {
		a := state.Action{Seq: i, LeadID: fmt.Sprint("L", i), Kind: KindCreateContact, Object: "Contact",
			Fields: map[string]string{DefaultLeadIDField: fmt.Sprint("L", i), DefaultProfileURLField: url(i)}}
		switch {
		case i == 7:
			delete(a.Fields, DefaultProfileURLField) // wrote none: cannot be found by it
		case i%10 != 3: // i%10 == 3: never created
			id := sfid.New(sfid.Contact, "8y", uint64(i+1))
			rows = append(rows, []string{id, "F", fmt.Sprint("N", i), url(i)})
			want[i] = id
		}
		acts = append(acts, a)
	}
	if err := org.srv.Load("Contact", []string{"Id", "FirstName", "LastName", DefaultProfileURLField}, rows); err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	if err := createdContacts(ctx, c, acts, strings.ToLower(DefaultProfileURLField), got); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("found %d Contacts, want %d", len(got), len(want))
		for i, id := range want {
			if got[i] != id {
				t.Errorf("action %d: %q, want %q", i, got[i], id)
			}
		}
	}
}

// cannedReader answers every query with its records.
type cannedReader struct {
	RecordReader
	recs []sfbulk.Record
}

func (c cannedReader) QueryRecords(context.Context, string) ([]sfbulk.Record, error) {
	return c.recs, nil
}

// TestFindDuplicatesSameLeadByExternalIDValue: the pre-create look-up
// tells this lead's own Contact (created by an earlier run) from another
// same-name Contact by the value the create writes into the external id
// field, here the profile URL, not by the lead id.
func TestFindDuplicatesSameLeadByExternalIDValue(t *testing.T) {
	const acc, u1, u2 = "001A", "https://www.linkedin.com/in/ann-1", "https://www.linkedin.com/in/bob-2"
	actions := []Action{
		{LeadID: "L1", Fields: map[string]string{"AccountId": acc, "FirstName": "Ann", "LastName": "Lee", DefaultLeadIDField: "L1", DefaultProfileURLField: u1}},
		{LeadID: "L2", Fields: map[string]string{"AccountId": acc, "FirstName": "Bob", "LastName": "Lee", DefaultLeadIDField: "L2", DefaultProfileURLField: u2}},
	}
	r := cannedReader{recs: []sfbulk.Record{
		{"Id": "003X", "AccountId": acc, "FirstName": "Ann", "LastName": "Lee", DefaultProfileURLField: u1},
		{"Id": "003Y", "AccountId": acc, "FirstName": "Bob", "LastName": "Lee", DefaultProfileURLField: "L2"},
	}}
	got, err := findDuplicates(context.Background(), r, actions, []int{0, 1}, DefaultProfileURLField)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]dupHit{0: {id: "003X", sameLead: true}, 1: {id: "003Y"}}
	if !maps.Equal(got, want) {
		t.Errorf("findDuplicates = %+v, want %+v", got, want)
	}
}

// rolesOf counts the org's OpportunityContactRoles by Contact and
// Opportunity ("contact/opportunity").
func rolesOf(org *jobOrg) map[string]int {
	out := map[string]int{}
	for _, r := range org.srv.Records("OpportunityContactRole") {
		out[r["ContactId"]+"/"+r["OpportunityId"]]++
	}
	return out
}

// TestRunContactRoleRetried: a contact role lost by the run that created
// its Contact (refused, sent without an answer and not applied, or never
// sent because the Contact's own answer was lost) is planned by the next
// run for that Contact (the journal says navsync created it; a look-up
// says the role is not in the org) and created once, by the Contact's
// owner; a third run creates nothing.
func TestRunContactRoleRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		object string // whose first create is hit
		fault  createFault
	}{
		{"role refused", "OpportunityContactRole", refuseAll},
		{"role lost, not applied", "OpportunityContactRole", noAnswer},
		{"contact lost, applied: its role never sent", "Contact", applyNoAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := newJobOrg(t, 2000, 40, sfsim.Options{})
			cfg := org.contactsConfig(t)
			cfg.Contacts.OpportunityRole = OpportunityRoleConfig{Policy: RolePolicyMostRecent, Role: "Influencer"}
			hit := interceptFirstCreate(t, org, tc.object, tc.fault)
			// Contacts are created, not upserted: a lost upsert is sent
			// again, a lost create is not.
			plain := func(o *RunOptions) {
				conn := o.Connect
				o.Connect = func(ctx context.Context, c *Config, log *slog.Logger) (Client, error) {
					cl, err := conn(ctx, c, log)
					if err != nil {
						return nil, err
					}
					return plainLeadID{Client: cl, field: DefaultLeadIDField}, nil
				}
			}
			run := func() (*RunResult, error) { return org.run(t, cfg, plain) }

			res1, err1 := run()
			if res1 == nil {
				t.Fatal(err1)
			}
			recs := hit()
			if len(recs) == 0 {
				t.Fatalf("no %s create was hit (err %v)", tc.object, err1)
			}
			// The leads whose role the first run lost, with their Contact
			// and the role's Opportunity as planned.
			type lostRole struct{ contact, opp, owner string }
			lost := map[string]lostRole{}
			contactOf := map[string]string{} // lead -> Contact, from the org
			for id, rs := range org.contactsByLead() {
				contactOf[id] = rs[0]["Id"]
			}
			for _, r := range recs {
				switch tc.object {
				case "Contact":
					lead := fieldString(r[DefaultLeadIDField])
					lost[lead] = lostRole{contact: contactOf[lead]}
				default:
					for _, a := range res1.Actions {
						if a.Kind == KindCreateContactRole && a.Fields["ContactId"] == fieldString(r["ContactId"]) {
							lost[a.LeadID] = lostRole{contact: a.Fields["ContactId"], opp: a.Fields["OpportunityId"], owner: a.OnBehalfOf}
						}
					}
				}
			}
			for i, a := range res1.Actions {
				if l, ok := lost[a.LeadID]; ok && a.Kind == KindCreateContactRole {
					if res1.Outcomes[i].Status == StatusDone {
						t.Fatalf("lead %s: the role the first run lost is done", a.LeadID)
					}
					l.opp, l.owner = a.Fields["OpportunityId"], a.OnBehalfOf
					lost[a.LeadID] = l
				}
			}
			var lostLeads []string
			for lead, l := range lost {
				if tc.object == "Contact" && l.opp == "" {
					delete(lost, lead) // no role planned (the policy found no Opportunity)
					continue
				}
				if l.contact == "" || l.opp == "" {
					t.Fatalf("lead %s: lost role %+v", lead, l)
				}
				if n := rolesOf(org)[l.contact+"/"+l.opp]; n != 0 {
					t.Fatalf("lead %s: %d roles in the org after the first run", lead, n)
				}
				lostLeads = append(lostLeads, lead)
			}
			if len(lostLeads) == 0 {
				t.Fatal("no role lost")
			}

			if tc.fault == refuseAll {
				// A dry run says it would create them, and writes nothing.
				writes := org.srv.WriteRequests()
				dry, err := org.run(t, cfg, func(o *RunOptions) { plain(o); o.DryRun = true })
				if err != nil {
					t.Fatal(err)
				}
				would := map[string]bool{}
				for i, a := range dry.Actions {
					if a.Kind == KindCreateContactRole && dry.Outcomes[i].Status == StatusWouldCreate {
						would[a.LeadID] = true
					}
				}
				for _, lead := range lostLeads {
					if !would[lead] {
						t.Errorf("lead %s: the dry run would not create its role", lead)
					}
				}
				if org.srv.WriteRequests() != writes {
					t.Error("the dry run wrote")
				}
			}

			// The next run plans the missing roles and creates each once.
			res2, err := run()
			if err != nil {
				t.Fatal(err)
			}
			retried := map[string]int{}
			for i, a := range res2.Actions {
				l, ok := lost[a.LeadID]
				if !ok || a.Kind != KindCreateContactRole {
					continue
				}
				if o := res2.Outcomes[i]; o.Status != StatusDone || a.Fields["ContactId"] != l.contact ||
					a.Fields["OpportunityId"] != l.opp || a.OnBehalfOf != l.owner {
					t.Errorf("lead %s: second run's role %s %s %v by %s, want done for %+v", a.LeadID, o.Status, a.Reason, a.Fields, a.OnBehalfOf, l)
				}
				retried[a.LeadID]++
			}
			for _, lead := range lostLeads {
				l := lost[lead]
				if retried[lead] != 1 {
					t.Errorf("lead %s: %d roles planned by the second run, want 1", lead, retried[lead])
				}
				if n := rolesOf(org)[l.contact+"/"+l.opp]; n != 1 {
					t.Errorf("lead %s: %d roles in the org after the second run, want 1", lead, n)
				}
			}
			for id, rs := range org.contactsByLead() {
				if len(rs) > 1 {
					t.Errorf("lead %s has %d Contacts", id, len(rs))
				}
			}

			// A third run creates nothing.
			before := rolesOf(org)
			contacts := len(org.srv.Records("Contact"))
			res3, err := run()
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range res3.Actions {
				if (a.Kind == KindCreateContactRole || a.Kind == KindCreateContact) && res3.Outcomes[i].Status == StatusDone {
					t.Errorf("third run: %s for lead %s done", a.Kind, a.LeadID)
				}
			}
			if after := rolesOf(org); !maps.Equal(after, before) || len(org.srv.Records("Contact")) != contacts {
				t.Errorf("the third run changed the org: %d roles, %d Contacts; before %d and %d", len(after), len(org.srv.Records("Contact")),
					len(before), contacts)
			}
			if res3.Summary.Status != "succeeded" {
				t.Errorf("third run %s", res3.Summary.Status)
			}
		})
	}
}
