package sfsim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/navsync/navsync/internal/sfid"
)

// dmlError is one record's failure: statusCode/errorCode, message, fields.
type dmlError struct {
	code, msg string
	fields    []string
	dup       *duplicateResult // DUPLICATES_DETECTED
}

func (e *dmlError) Error() string { return e.code + ": " + e.msg }

func (e *dmlError) json() map[string]any {
	f := e.fields
	if f == nil {
		f = []string{}
	}
	m := map[string]any{"statusCode": e.code, "message": e.msg, "fields": f}
	if e.dup != nil {
		m["duplicateResult"] = e.dup.json()
	}
	return m
}

// bulkString is the failedResults form "CODE:message:f1,f2 --".
func (e *dmlError) bulkString() string {
	if len(e.fields) == 0 {
		return e.code + ":" + e.msg + ":--"
	}
	return e.code + ":" + e.msg + ":" + strings.Join(e.fields, ",") + " --"
}

func (e *dmlError) api() *apiError {
	status := 400
	switch e.code {
	case "ENTITY_IS_DELETED", "NOT_FOUND":
		status = 404
	}
	return &apiError{status: status, code: e.code, message: e.msg, fields: e.fields, dup: e.dup}
}

// maxEcho is how much of a value an error message quotes: Salesforce
// quotes the first 255 characters of a long value and marks the cut with
// "..." (STRING_TOO_LONG "data value too large: <255 characters>...
// (max length=255)").
const maxEcho = 255

// echo is s as an error message quotes it: at most maxEcho characters,
// then "..." when there were more.
func echo(s string) string {
	n := 0
	for i := range s {
		if n == maxEcho {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

// fieldErr is an error on field f; the values in args are quoted through
// echo (numbers as they are).
func fieldErr(code string, f *Field, format string, args ...any) *dmlError {
	for i, a := range args {
		switch a := a.(type) {
		case int, int64, float64:
		case string:
			args[i] = echo(a)
		default:
			args[i] = echo(fmt.Sprint(a))
		}
	}
	return &dmlError{code: code, msg: f.Label + ": " + fmt.Sprintf(format, args...), fields: []string{f.Name}}
}

var errRolledBack = &dmlError{code: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
	msg: "Record rolled back because not all records were valid and the request was using AllOrNone header"}

func errLockRow(ids ...string) *dmlError {
	return &dmlError{code: "UNABLE_TO_LOCK_ROW", msg: fmt.Sprintf("unable to obtain exclusive access to this record or %d records: %s", max(len(ids), 1), strings.Join(ids, ","))}
}

// input is one field value of a write: val is canonical, null clears it.
type input struct {
	f    *Field
	val  string
	null bool
}

// canon converts a JSON or CSV value to the field's canonical form.
func canon(f *Field, v any) (string, bool, *dmlError) {
	var s string
	switch x := v.(type) {
	case nil:
		return "", true, nil
	case bool:
		if f.Type != tBoolean && !f.isText() {
			return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %v", x)
		}
		s = strconv.FormatBool(x)
	case json.Number:
		s = x.String()
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		s = x
	default:
		return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %v", x)
	}
	if s == "" {
		return "", true, nil
	}
	switch f.Type {
	case tBoolean:
		switch strings.ToLower(s) {
		case "true", "1", "yes":
			return "true", false, nil
		case "false", "0", "no":
			return "false", false, nil
		}
		return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %s", s)
	case tInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fl, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || fl != float64(int64(fl)) {
				return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %s", s)
			}
			n = int64(fl)
		}
		return strconv.FormatInt(n, 10), false, nil
	case tDouble, tCurrency, tPercent:
		fl, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %s", s)
		}
		return strconv.FormatFloat(fl, 'f', -1, 64), false, nil
	case tDate:
		if len(s) > 10 && s[10] == 'T' {
			s = s[:10]
		}
		if _, err := time.Parse(dateLayout, s); err != nil {
			return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %s", s)
		}
		return s, false, nil
	case tDatetime:
		t, ok := parseDatetime(s)
		if !ok {
			return "", false, fieldErr("INVALID_TYPE_ON_FIELD_IN_RECORD", f, "value not of required type: %s", s)
		}
		return t.UTC().Format(datetimeLayout), false, nil
	case tReference, tID:
		return s, false, nil
	case tEmail:
		if !validEmail(s) {
			return "", false, fieldErr("INVALID_EMAIL_ADDRESS", f, "invalid email address: %s", s)
		}
	case tAddress:
		return "", false, fieldErr("INVALID_FIELD_FOR_INSERT_UPDATE", f, "compound fields cannot be written: %s", f.Name)
	}
	if f.Length > 0 && utf8.RuneCountInString(s) > f.Length {
		return "", false, fieldErr("STRING_TOO_LONG", f, "data value too large: %s (max length=%d)", s, f.Length)
	}
	return s, false, nil
}

// checkPicklist refuses a value outside a restricted picklist. API writes
// only (a loaded export may hold retired values); store lock held, since
// SetPicklist changes the values under it.
func checkPicklist(f *Field, v string) *dmlError {
	if f.Type != tPicklist || !f.RestrictedPicklist {
		return nil
	}
	for _, p := range f.Picklist {
		if p.Active && p.Value == v {
			return nil
		}
	}
	return fieldErr("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f, "bad value for restricted picklist field: %s", v)
}

func parseDatetime(s string) (time.Time, bool) {
	for _, l := range []string{datetimeLayout, restDatetime, time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// duplicateResult is the duplicateResult member of a DUPLICATES_DETECTED error.
type duplicateResult struct {
	object, rule, matchRule string
	prefix                  string // "/services/data/vNN.N"
	ids                     []string
}

func (d *duplicateResult) json() map[string]any {
	recs := make([]any, 0, len(d.ids))
	for _, id := range d.ids {
		recs = append(recs, map[string]any{"additionalInformation": []any{}, "fieldDiffs": []any{}, "matchConfidence": 100.0,
			"record": map[string]any{"attributes": map[string]any{"type": d.object, "url": d.prefix + "/sobjects/" + d.object + "/" + id}, "Id": id}})
	}
	return map[string]any{"allowSave": false, "duplicateRule": d.rule, "duplicateRuleEntityType": d.object,
		"errorMessage": dupMessage, "matchResults": []any{map[string]any{"entityType": d.object, "errors": []any{},
			"matchEngine": "FuzzyMatchEngine", "matchRecords": recs, "rule": d.matchRule, "size": len(d.ids), "success": true}}}
}

const dupMessage = "You're creating a duplicate record. We recommend you use an existing record instead."

// checkDuplicates applies the standard Contact and Lead duplicate rules
// (when the org has them on): same first and last name (case-insensitive)
// and the same email, or, for Contacts, the same account. Store lock held.
func (w *writeCtx) checkDuplicates(t *table, vals []string) *dmlError {
	if !w.s.opts.DuplicateRules || w.allowDup {
		return nil
	}
	o := t.obj
	if o.Name != "Contact" && o.Name != "Lead" {
		return nil
	}
	first, last := vals[o.iFirst], vals[o.iLast]
	same := func(r int32) bool {
		row := t.rows[r]
		return strings.EqualFold(rowValue(row, o.iFirst), first) && strings.EqualFold(rowValue(row, o.iLast), last)
	}
	var ids []string
	seen := map[int32]bool{}
	probe := func(field string) {
		f := o.Field(field)
		if f == nil || vals[f.index] == "" || t.idx[f.index] == nil {
			return
		}
		for _, r := range t.idx[f.index].lookup(vals[f.index], nil) {
			if !seen[r] && t.visible(r, false) && same(r) {
				seen[r] = true
				ids = append(ids, rowValue(t.rows[r], 0))
			}
		}
	}
	probe("Email")
	if o.Name == "Contact" {
		probe("AccountId")
	}
	if len(ids) == 0 {
		return nil
	}
	return &dmlError{code: "DUPLICATES_DETECTED", msg: dupMessage, dup: &duplicateResult{object: o.Name,
		rule: "Standard_" + o.Name + "_Duplicate_Rule", matchRule: "Standard_" + o.Name + "_Match_Rule_v1_1", prefix: w.prefix, ids: ids}}
}

// writeCtx is one write: the caller, the clock, and an undo log for
// all-or-none requests. The store lock is held for writing.
type writeCtx struct {
	s        *Server
	user     *User
	prof     *profile
	now      string
	undo     []undoStep
	prefix   string // "/services/data/vNN.N" of the request
	allowDup bool   // Sforce-Duplicate-Rule-Header: allowSave=true
	// assignCreate and assignUpdate run the org's Lead assignment rule on
	// created and updated Leads (Sforce-Auto-Assign, assignmentRuleId).
	assignCreate, assignUpdate bool
}

type undoStep struct {
	t      *table
	row    int32
	old    []string // nil: the row was created
	create bool
}

func (s *Server) newWriteCtx(u *User) *writeCtx {
	return &writeCtx{s: s, user: u, prof: u.profile(), now: nowStamp(s.now())}
}

func (w *writeCtx) checkObject(t *table, op string) *dmlError {
	o := t.obj
	allowed := map[string]bool{"insert": o.Createable, "update": o.Updateable, "delete": o.Deletable}[op]
	if !allowed {
		past := map[string]string{"insert": "inserted", "update": "updated", "delete": "deleted"}[op]
		return &dmlError{code: "INVALID_TYPE_FOR_OPERATION", msg: fmt.Sprintf("entity type cannot be %s: %s", past, o.Name)}
	}
	if !w.prof.canWrite(o.Name) {
		return &dmlError{code: "INSUFFICIENT_ACCESS_OR_READONLY", msg: "insufficient access rights on object id"}
	}
	return nil
}

// checkRef validates a reference value.
func (w *writeCtx) checkRef(f *Field, v string) (string, *dmlError) {
	id, err := sfid.To18(v)
	if err != nil {
		return "", fieldErr("MALFORMED_ID", f, "id value of incorrect type: %s", v)
	}
	t := w.s.st.tableForID(id)
	okType := false
	for _, to := range f.ReferenceTo {
		if t != nil && strings.EqualFold(t.obj.Name, to) {
			okType = true
		}
	}
	if !okType {
		return "", fieldErr("FIELD_INTEGRITY_EXCEPTION", f, "id value of incorrect type: %s", v)
	}
	r, ok := t.byID[id]
	if !ok {
		return "", &dmlError{code: "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", msg: "insufficient access rights on cross-reference id: " + echo(v)}
	}
	if t.deleted(r) {
		return "", &dmlError{code: "ENTITY_IS_DELETED", msg: "entity is deleted", fields: []string{f.Name}}
	}
	if t.obj.Name == "User" && f.Name == "OwnerId" && rowValue(t.rows[r], t.obj.Field("IsActive").index) == "false" {
		return id, &dmlError{code: "INACTIVE_OWNER_OR_USER"}
	}
	return id, nil
}

// apply puts inputs into vals, checking field access for op.
func (w *writeCtx) apply(t *table, vals []string, in []input, create bool) *dmlError {
	for _, x := range in {
		f := x.f
		if f.Name == "Id" {
			continue
		}
		if (create && !f.Createable) || (!create && !f.Updateable) || w.s.access(w.prof, t.obj, f) != FieldEdit {
			return &dmlError{code: "INVALID_FIELD_FOR_INSERT_UPDATE",
				msg:    fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name),
				fields: []string{f.Name}}
		}
		if x.null {
			vals[f.index] = ""
			continue
		}
		v := x.val
		if e := checkPicklist(f, v); e != nil {
			return e
		}
		if f.Type == tReference {
			id, e := w.checkRef(f, v)
			if e != nil {
				if e.code == "INACTIVE_OWNER_OR_USER" {
					e.msg = fmt.Sprintf("operation performed with inactive user [%s] as owner of %s", id, strings.ToLower(t.obj.Name))
				}
				return e
			}
			v = id
		}
		vals[f.index] = v
	}
	return nil
}

// finish checks required and unique fields and sets derived values.
func (w *writeCtx) finish(t *table, row int32, vals []string) *dmlError {
	o := t.obj
	var missing []string
	for _, f := range o.Fields {
		if f.Required() && vals[f.index] == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return &dmlError{code: "REQUIRED_FIELD_MISSING", msg: "Required fields are missing: [" + strings.Join(missing, ", ") + "]", fields: missing}
	}
	for i, f := range o.Fields {
		if !f.Unique || vals[i] == "" || t.idx[i] == nil {
			continue
		}
		for _, r := range t.idx[i].lookup(vals[i], nil) {
			if r != row {
				return &dmlError{code: "DUPLICATE_VALUE", msg: fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, rowValue(t.rows[r], 0))}
			}
		}
	}
	if o.Name == "Opportunity" {
		st := vals[o.Field("StageName").index]
		closed := st == "Closed Won" || st == "Closed Lost"
		vals[o.Field("IsClosed").index] = strconv.FormatBool(closed)
		vals[o.Field("IsWon").index] = strconv.FormatBool(st == "Closed Won")
	}
	return nil
}

func (w *writeCtx) setAudit(t *table, vals []string, create bool) {
	o := t.obj
	set := func(n, v string) {
		if f := o.Field(n); f != nil {
			vals[f.index] = v
		}
	}
	if create {
		set("CreatedDate", w.now)
		set("CreatedById", w.user.ID)
	}
	set("LastModifiedDate", w.now)
	set("LastModifiedById", w.user.ID)
}

// create validates and inserts one record, returning its id.
func (w *writeCtx) create(t *table, in []input) (string, *dmlError) {
	if e := w.checkObject(t, "insert"); e != nil {
		return "", e
	}
	for _, x := range in {
		if x.f.Name == "Id" && !x.null {
			return "", &dmlError{code: "INVALID_FIELD", msg: "cannot specify Id in an insert call", fields: []string{"Id"}}
		}
	}
	o := t.obj
	vals := make([]string, len(o.Fields))
	for _, f := range o.Fields {
		if f.Type == tPicklist && f.DefaultValue != "" && f.DefaultedOnCreate {
			vals[f.index] = f.DefaultValue
		}
	}
	if f := o.Field("OwnerId"); f != nil {
		vals[f.index] = w.user.ID
	}
	if e := w.apply(t, vals, in, true); e != nil {
		return "", e
	}
	if e := w.assignLead(t, vals, true); e != nil {
		return "", e
	}
	if e := w.finish(t, -1, vals); e != nil {
		return "", e
	}
	if e := w.checkDuplicates(t, vals); e != nil {
		return "", e
	}
	w.setAudit(t, vals, true)
	id := t.newID()
	vals[0] = id
	r := t.insert(vals)
	w.logStep(undoStep{t: t, row: r, create: true}, id)
	w.onePrimary(t, r, vals)
	return id, nil
}

// onePrimary keeps one primary contact role per Opportunity: marking a
// role primary clears the flag on the opportunity's other roles.
func (w *writeCtx) onePrimary(t *table, r int32, vals []string) {
	o := t.obj
	if o.Name != "OpportunityContactRole" || vals[o.Field("IsPrimary").index] != "true" {
		return
	}
	opp, prim := o.Field("OpportunityId").index, o.Field("IsPrimary").index
	for _, other := range append([]int32(nil), t.idx[opp].lookup(vals[opp], nil)...) {
		if other == r || rowValue(t.rows[other], prim) != "true" {
			continue
		}
		old := make([]string, len(o.Fields))
		decodeRow(t.rows[other], old)
		nv := append([]string(nil), old...)
		nv[prim] = "false"
		w.setAudit(t, nv, false)
		t.replace(other, old, nv)
		w.logStep(undoStep{t: t, row: other, old: old}, old[0])
	}
}

// update validates and changes row r.
func (w *writeCtx) update(t *table, r int32, in []input) *dmlError {
	if e := w.checkObject(t, "update"); e != nil {
		return e
	}
	if t.deleted(r) {
		return &dmlError{code: "ENTITY_IS_DELETED", msg: "entity is deleted"}
	}
	o := t.obj
	old := make([]string, len(o.Fields))
	decodeRow(t.rows[r], old)
	if o.Name == "Lead" && old[o.Field("IsConverted").index] == "true" {
		return &dmlError{code: "CANNOT_UPDATE_CONVERTED_LEAD", msg: "cannot reference converted lead"}
	}
	vals := append([]string(nil), old...)
	if e := w.apply(t, vals, in, false); e != nil {
		return e
	}
	if e := w.assignLead(t, vals, false); e != nil {
		return e
	}
	if e := w.finish(t, r, vals); e != nil {
		return e
	}
	w.setAudit(t, vals, false)
	t.replace(r, old, vals)
	w.logStep(undoStep{t: t, row: r, old: old}, old[0])
	w.onePrimary(t, r, vals)
	return nil
}

// remove soft-deletes row r (queryAll still sees it).
func (w *writeCtx) remove(t *table, r int32) *dmlError {
	if e := w.checkObject(t, "delete"); e != nil {
		return e
	}
	if t.deleted(r) {
		return &dmlError{code: "ENTITY_IS_DELETED", msg: "entity is deleted"}
	}
	o := t.obj
	old := make([]string, len(o.Fields))
	decodeRow(t.rows[r], old)
	vals := append([]string(nil), old...)
	vals[t.isDel] = "true"
	w.setAudit(t, vals, false)
	t.replace(r, old, vals)
	w.logStep(undoStep{t: t, row: r, old: old}, old[0])
	return nil
}

// logStep records a change applied to record id: its undo step, and one
// more write of the record for RecordWrites (rollback takes it away).
func (w *writeCtx) logStep(u undoStep, id string) {
	w.undo = append(w.undo, u)
	w.s.writes.noteLocked(id, 1)
}

// rollback undoes this write's steps, newest first.
func (w *writeCtx) rollback() {
	for i := len(w.undo) - 1; i >= 0; i-- {
		u := w.undo[i]
		t := u.t
		cur := make([]string, len(t.obj.Fields))
		decodeRow(t.rows[u.row], cur)
		w.s.writes.noteLocked(cur[0], -1)
		if u.create {
			for j, ix := range t.idx {
				if ix != nil {
					ix.remove(cur[j], u.row)
				}
			}
			delete(t.byID, cur[0])
			t.live--
			if int(u.row) == len(t.rows)-1 {
				t.rows = t.rows[:u.row]
			} else {
				// Not the last row: keep it as a purged tombstone no query sees.
				t.rows[u.row] = ""
			}
			continue
		}
		t.replace(u.row, cur, u.old)
	}
	w.undo = nil
}

// recordInputs parses a JSON record body against o. Unknown fields are a
// request-level INVALID_FIELD.
func recordInputs(o *Object, m map[string]any) ([]input, *dmlError, *apiError) {
	in := make([]input, 0, len(m))
	for k, v := range m {
		if k == "attributes" {
			continue
		}
		f := o.Field(k)
		if f == nil {
			return nil, nil, &apiError{status: 400, code: "INVALID_FIELD", message: fmt.Sprintf("No such column '%s' on sobject of type %s", echo(k), o.Name), noField: true}
		}
		val, null, e := canon(f, v)
		if e != nil {
			return nil, e, nil
		}
		in = append(in, input{f: f, val: val, null: null})
	}
	return in, nil, nil
}

// lockFault draws the lock fault for a write touching id.
func (s *Server) lockFault(id string) *dmlError {
	if s.faults.roll("lock", func(f *Faults) float64 { return f.Lock }) {
		return errLockRow(id)
	}
	return nil
}

// validEmail is Salesforce's loose check: local@domain.tld, no spaces,
// brackets, commas or quotes.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t<>(),;:\"[]\\") || strings.Count(s, "@") != 1 {
		return false
	}
	dom := s[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	return dot > 0 && dot < len(dom)-1 && !strings.Contains(dom, "..")
}
