package sfsim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/navsync/navsync/internal/sfid"
)

// Loader errors, usable with errors.Is.
var (
	ErrUnknownObject = errors.New("unknown object")
	ErrUnknownColumn = errors.New("unknown column")
	ErrBadValue      = errors.New("bad value")
)

// loadOrder loads parents before children.
var loadOrder = []string{"User", "Account", "Contact", "Lead", "Opportunity", "OpportunityContactRole"}

// Load adds records to object from a table: header holds API field names;
// relationship columns such as Account.Name are derived, so ignored; an
// unknown column is an error naming it. Rows keep their Id (a new one is
// made when empty); OwnerId, CreatedById and CreatedDate default to the
// admin user and now. User rows need a ProfileId of one of the four
// profiles. Loading does not apply API write rules (an export is taken as
// the org's truth) but checks value types.
func (s *Server) Load(object string, header []string, rows [][]string) error {
	t := s.st.table(object)
	if t == nil || t.obj.Name == "Organization" || t.obj.Name == "Profile" {
		return fmt.Errorf("sfsim: load %s: %w", object, ErrUnknownObject)
	}
	o := t.obj
	cols := make([]*Field, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if strings.Contains(h, ".") {
			continue
		}
		f := o.Field(h)
		if f == nil {
			return fmt.Errorf("sfsim: load %s: %w %q", o.Name, ErrUnknownColumn, h)
		}
		if f.derived {
			continue
		}
		cols[i] = f
	}
	now := nowStamp(s.now())
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	type def struct {
		i int
		v string
	}
	var defaults []def
	for _, d := range []struct{ n, v string }{{"OwnerId", s.adminID}, {"CreatedById", s.adminID}, {"LastModifiedById", s.adminID}, {"CreatedDate", now}, {"LastModifiedDate", now}} {
		if f := o.Field(d.n); f != nil {
			defaults = append(defaults, def{f.index, d.v})
		}
	}
	iCreated, iLastMod := -1, o.iLastMod
	if f := o.Field("CreatedDate"); f != nil {
		iCreated = f.index
	}
	for n, row := range rows {
		if len(row) != len(header) {
			return fmt.Errorf("sfsim: load %s row %d: %d values for %d columns: %w", o.Name, n+1, len(row), len(header), ErrBadValue)
		}
		vals := make([]string, len(o.Fields))
		for i, f := range cols {
			if f == nil || row[i] == "" {
				continue
			}
			v, null, e := canon(f, row[i])
			if e != nil {
				return fmt.Errorf("sfsim: load %s row %d column %s: %s: %w", o.Name, n+1, f.Name, e.msg, ErrBadValue)
			}
			if !null && (f.Type == tReference || f.Type == tID) {
				id, err := sfid.To18(v)
				if err != nil {
					return fmt.Errorf("sfsim: load %s row %d column %s: %q is not an id: %w", o.Name, n+1, f.Name, v, ErrBadValue)
				}
				v = id
			}
			vals[f.index] = v
		}
		lastModGiven := iLastMod >= 0 && vals[iLastMod] != ""
		for _, d := range defaults {
			if vals[d.i] == "" {
				vals[d.i] = d.v
			}
		}
		if iLastMod >= 0 && iCreated >= 0 && !lastModGiven {
			vals[iLastMod] = vals[iCreated]
		}
		if id := vals[0]; id == "" {
			vals[0] = t.newID()
		} else {
			if !strings.HasPrefix(id, o.KeyPrefix) {
				return fmt.Errorf("sfsim: load %s row %d: Id %s is not a %s id: %w", o.Name, n+1, id, o.Name, ErrBadValue)
			}
			if _, dup := t.byID[id]; dup {
				return fmt.Errorf("sfsim: load %s row %d: duplicate Id %s: %w", o.Name, n+1, id, ErrBadValue)
			}
		}
		if o.Name == "User" {
			if err := s.checkUserRow(o, vals, n+1); err != nil {
				return err
			}
		}
		if o.Name == "Opportunity" && vals[o.Field("IsClosed").index] == "" {
			st := vals[o.Field("StageName").index]
			vals[o.Field("IsClosed").index] = fmt.Sprint(st == "Closed Won" || st == "Closed Lost")
			vals[o.Field("IsWon").index] = fmt.Sprint(st == "Closed Won")
		}
		t.insert(vals)
	}
	return nil
}

func (s *Server) checkUserRow(o *Object, vals []string, n int) error {
	g := func(name string) string { return vals[o.Field(name).index] }
	set := func(name, v string) {
		if g(name) == "" {
			vals[o.Field(name).index] = v
		}
	}
	if profileByID(g("ProfileId")) == nil {
		return fmt.Errorf("sfsim: load User row %d: ProfileId %q is none of the four simulator profiles: %w", n, g("ProfileId"), ErrBadValue)
	}
	if g("Username") == "" {
		set("Username", g("Email"))
	}
	if g("Username") == "" {
		return fmt.Errorf("sfsim: load User row %d: Username and Email are empty: %w", n, ErrBadValue)
	}
	t := s.st.table("User")
	if len(t.idx[o.Field("Username").index].lookup(g("Username"), nil)) > 0 {
		return fmt.Errorf("sfsim: load User row %d: duplicate Username: %w", n, ErrBadValue)
	}
	set("Email", g("Username"))
	set("LastName", g("Username"))
	alias := strings.ToLower(g("FirstName") + g("LastName"))
	if len(alias) > 8 {
		alias = alias[:8]
	}
	set("Alias", alias)
	set("IsActive", "true")
	set("UserType", "Standard")
	set("TimeZoneSidKey", "America/Los_Angeles")
	set("LocaleSidKey", "en_US")
	set("LanguageLocaleKey", "en_US")
	set("EmailEncodingKey", "UTF-8")
	return nil
}

// LoadCSV loads a Bulk 2.0-format CSV (header row of API field names).
func (s *Server) LoadCSV(object string, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	recs, err := cr.ReadAll()
	if err != nil {
		return fmt.Errorf("sfsim: load %s: read csv: %w", object, err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("sfsim: load %s: empty csv: %w", object, ErrBadValue)
	}
	return s.Load(object, recs[0], recs[1:])
}

// LoadDir loads every <Object>.csv of dir (an org snapshot such as
// `navsync fixtures` writes under crm/, or a Data Loader export), parents
// first. Errors name the file.
func (s *Server) LoadDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sfsim: load dir: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			names = append(names, e.Name())
		}
	}
	rank := func(n string) int {
		obj := strings.TrimSuffix(n, filepath.Ext(n))
		for i, o := range loadOrder {
			if strings.EqualFold(o, obj) {
				return i
			}
		}
		return len(loadOrder)
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	if len(names) == 0 {
		return fmt.Errorf("sfsim: load dir %s: no CSV files", dir)
	}
	for _, n := range names {
		obj := strings.TrimSuffix(n, filepath.Ext(n))
		if t := s.st.table(obj); t == nil || obj == "Organization" || obj == "Profile" {
			return fmt.Errorf("%s: sfsim: load %s: %w", filepath.Join(dir, n), obj, ErrUnknownObject)
		}
	}
	for _, n := range names {
		obj := strings.TrimSuffix(n, filepath.Ext(n))
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return fmt.Errorf("sfsim: load dir: %w", err)
		}
		err = s.LoadCSV(obj, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, n), err)
		}
	}
	return nil
}

// Count returns the number of live (not deleted) records of object.
func (s *Server) Count(object string) int {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	t := s.st.table(object)
	if t == nil {
		return 0
	}
	return t.live
}

// Record is a record as the Go API returns it: field name → canonical
// value (booleans "true"/"false", datetimes 2006-01-02T15:04:05.000Z);
// null fields are absent.
type Record map[string]string

// Records returns the live records of object in storage order.
func (s *Server) Records(object string) []Record {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	t := s.st.table(object)
	if t == nil {
		return nil
	}
	var out []Record
	v := t.newView()
	for r := range t.rows {
		if !t.visible(int32(r), false) {
			continue
		}
		out = append(out, v.load(int32(r)).record())
	}
	return out
}

// Get returns one record by id (deleted records too, with IsDeleted true).
func (s *Server) Get(object, id string) (Record, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	t := s.st.table(object)
	if t == nil {
		return nil, false
	}
	r, ok := t.find(id)
	if !ok || t.rows[r] == "" {
		return nil, false
	}
	return t.newView().load(r).record(), true
}

func (v *view) record() Record {
	rec := Record{}
	for _, f := range v.t.obj.Fields {
		if x := v.get(f); x != "" {
			rec[f.Name] = strings.Clone(x)
		}
	}
	return rec
}

// Set changes fields of one record directly, as an admin in Setup or a
// data fix would: no permission, required-field or read-only checks, only
// value types (e.g. deactivate a user, mark a Lead converted). "" clears a
// field.
func (s *Server) Set(object, id string, fields map[string]string) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	t := s.st.table(object)
	if t == nil {
		return fmt.Errorf("sfsim: set %s: %w", object, ErrUnknownObject)
	}
	r, ok := t.find(id)
	if !ok || t.rows[r] == "" {
		return fmt.Errorf("sfsim: set %s %s: no such record", object, id)
	}
	old := make([]string, len(t.obj.Fields))
	decodeRow(t.rows[r], old)
	vals := append([]string(nil), old...)
	for name, val := range fields {
		f := t.obj.Field(name)
		if f == nil || f.derived || f.Name == "Id" {
			return fmt.Errorf("sfsim: set %s: %w %q", object, ErrUnknownColumn, name)
		}
		c, null, e := canon(f, val)
		if e != nil {
			return fmt.Errorf("sfsim: set %s.%s: %s: %w", object, f.Name, e.msg, ErrBadValue)
		}
		if null {
			c = ""
		}
		if f.Type == tReference && c != "" {
			id18, err := sfid.To18(c)
			if err != nil {
				return fmt.Errorf("sfsim: set %s.%s: %q is not an id: %w", object, f.Name, c, ErrBadValue)
			}
			c = id18
		}
		vals[f.index] = c
	}
	t.replace(r, old, vals)
	return nil
}
