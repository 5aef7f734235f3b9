package sfsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/navsync/navsync/internal/sfid"
)

var seasons = []string{"Winter", "Spring", "Summer"}

// versionLabel names a release: v59.0 is Winter '24, v60.0 Spring '24.
func versionLabel(v int) string {
	k := v - 59
	return fmt.Sprintf("%s '%02d", seasons[((k%3)+3)%3], 24+floorDiv(k, 3))
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeAPIError(w, methodNotAllowed(r.Method, "GET", "HEAD"))
		return
	}
	out := make([]map[string]string, 0, maxVersion-minVersion+1)
	for v := minVersion; v <= maxVersion; v++ {
		out = append(out, map[string]string{"label": versionLabel(v), "url": fmt.Sprintf("/services/data/v%d.0", v), "version": fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, 200, out)
}

func (c *call) resources() error {
	p := c.prefix()
	res := map[string]string{}
	for _, k := range []string{"tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing", "jsonxform", "chatter", "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search", "smartdatadiscovery", "identity", "composite", "parameterizedSearch", "fingerprint", "theme", "nouns", "event", "serviceTemplates", "recent", "connect", "licensing", "limits", "process", "async-queries", "query", "match", "emailConnect", "compactLayouts", "knowledgeManagement", "sobjects", "actions", "support", "jobs"} {
		res[k] = p + "/" + k
	}
	res["identity"] = c.s.baseURL(c.r) + "/id/" + c.s.orgID + "/" + c.user.ID
	writeJSON(c.w, 200, res)
	return nil
}

func (c *call) handleLimits() error {
	if c.r.Method != http.MethodGet {
		return methodNotAllowed(c.r.Method, "GET", "HEAD")
	}
	b, _ := recordings.ReadFile("schema/limits.json")
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("limits recording: %w", err)
	}
	s := c.s
	l := s.limits
	l.mu.Lock()
	s.rollDayLocked()
	used, jobs := l.org, l.queryJobs
	l.mu.Unlock()
	if m, ok := d["DailyApiRequests"].(map[string]any); ok {
		m["Max"] = s.opts.DailyAPILimit
		m["Remaining"] = max(s.opts.DailyAPILimit-used, 0)
	}
	d["DailyBulkV2QueryJobs"] = map[string]any{"Max": 10000, "Remaining": max(10000-jobs, 0)}
	d["DailyBulkV2QueryFileStorageMB"] = map[string]any{"Max": 976562, "Remaining": 976562}
	d["DailyBulkApiBatches"] = map[string]any{"Max": 15000, "Remaining": 15000}
	d["DataStorageMB"] = map[string]any{"Max": 1024, "Remaining": 1024}
	writeJSON(c.w, 200, d)
	return nil
}

// ---- describe ----

func (s *Server) describeJSON(o *Object) []byte {
	s.describeMu.Lock()
	defer s.describeMu.Unlock()
	if b, ok := s.describeRaw[o.Name]; ok {
		return b
	}
	d := make(map[string]any, len(o.raw)+2)
	for k, v := range o.raw {
		d[k] = v
	}
	fields := make([]any, 0, len(o.Fields))
	for _, f := range o.Fields {
		fields = append(fields, f.describe())
	}
	d["fields"] = fields
	if _, ok := d["childRelationships"]; !ok {
		d["childRelationships"] = []any{}
	}
	b, _ := json.Marshal(d)
	// Recordings name other versions and hosts: normalise to the placeholders localize rewrites.
	b = reVersionPath.ReplaceAll(b, []byte("/services/data/v40.0/"))
	b = reSFHost.ReplaceAll(b, []byte("https://na88.salesforce.com"))
	s.describeRaw[o.Name] = b
	return b
}

var (
	reVersionPath = regexp.MustCompile(`/services/data/v\d+\.\d/`)
	reSFHost      = regexp.MustCompile(`https://[A-Za-z0-9.-]+\.(?:my\.)?salesforce\.com`)
)

func (c *call) localize(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("/services/data/v40.0/"), []byte(c.prefix()+"/"))
	return bytes.ReplaceAll(b, []byte("https://na88.salesforce.com"), []byte(c.s.baseURL(c.r)))
}

func (c *call) basicDescribe(o *Object) map[string]any {
	p := c.prefix() + "/sobjects/" + o.Name
	return map[string]any{
		"name": o.Name, "label": o.Label, "labelPlural": o.LabelPlural, "keyPrefix": o.KeyPrefix,
		"createable": o.Createable, "updateable": o.Updateable, "deletable": o.Deletable, "queryable": true,
		"retrieveable": true, "searchable": o.raw["searchable"], "custom": false, "customSetting": false, "layoutable": true,
		"activateable": false, "deprecatedAndHidden": false, "feedEnabled": false, "mergeable": o.raw["mergeable"],
		"mruEnabled": true, "replicateable": true, "triggerable": true, "undeletable": o.Deletable, "hasSubtypes": false, "isSubtype": false,
		"urls": map[string]string{"sobject": p, "describe": p + "/describe", "rowTemplate": p + "/{ID}"},
	}
}

// SetPicklist replaces a picklist field's values (first is the default
// when defaultFirst) and whether it is restricted, as an admin would in Setup.
func (s *Server) SetPicklist(object, field string, values []string, restricted bool) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.describeMu.Lock()
	defer s.describeMu.Unlock()
	o := s.schema.object(object)
	if o == nil {
		return fmt.Errorf("sfsim: set picklist: %w %q", ErrUnknownObject, object)
	}
	f := o.Field(field)
	if f == nil || (f.Type != tPicklist && f.Type != tMulti) {
		return fmt.Errorf("sfsim: set picklist: %s.%s is not a picklist", object, field)
	}
	pl := make([]PicklistValue, 0, len(values))
	for _, v := range values {
		pl = append(pl, PicklistValue{Value: v, Label: v, Active: true, Default: v == f.DefaultValue})
	}
	f.Picklist = pl
	f.RestrictedPicklist = restricted
	delete(s.describeRaw, o.Name)
	return nil
}

func (c *call) object(name string) (*Object, *table, error) {
	o := c.s.schema.object(name)
	if o == nil {
		return nil, nil, errNotFound()
	}
	return o, c.s.st.table(o.Name), nil
}

func (c *call) routeSObjects(segs []string) error {
	m := c.r.Method
	if len(segs) == 0 {
		if m != http.MethodGet {
			return methodNotAllowed(m, "GET", "HEAD")
		}
		list := make([]any, 0, len(c.s.schema.order))
		for _, n := range c.s.schema.order {
			list = append(list, c.basicDescribe(c.s.schema.object(n)))
		}
		writeJSON(c.w, 200, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
		return nil
	}
	o, t, err := c.object(segs[0])
	if err != nil {
		return err
	}
	switch len(segs) {
	case 1:
		switch m {
		case http.MethodGet:
			writeJSON(c.w, 200, map[string]any{"objectDescribe": c.basicDescribe(o), "recentItems": []any{}})
			return nil
		case http.MethodPost:
			return c.createOne(t)
		}
		return methodNotAllowed(m, "GET", "HEAD", "POST")
	case 2:
		if segs[1] == "describe" {
			if m != http.MethodGet {
				return methodNotAllowed(m, "GET", "HEAD")
			}
			writeRawJSON(c.w, 200, c.localize(c.s.describeFor(o, c.prof)))
			return nil
		}
		switch m {
		case http.MethodGet:
			return c.getOne(t, segs[1])
		case http.MethodPatch:
			return c.updateOne(t, segs[1])
		case http.MethodDelete:
			return c.deleteOne(t, segs[1])
		}
		return methodNotAllowed(m, "GET", "HEAD", "PATCH", "DELETE")
	case 3:
		val, err := url.PathUnescape(segs[2])
		if err != nil {
			return errNotFound()
		}
		switch m {
		case http.MethodGet:
			return c.getByExternal(t, segs[1], val)
		case http.MethodPatch:
			return c.upsertOne(t, segs[1], val)
		case http.MethodDelete:
			return c.deleteByExternal(t, segs[1], val)
		}
		return methodNotAllowed(m, "GET", "HEAD", "PATCH", "DELETE")
	}
	return errNotFound()
}

// ---- JSON records ----

func jsonString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// jsonValue writes a canonical value as the REST API types it.
func jsonValue(buf *bytes.Buffer, f *Field, v string) {
	if v == "" {
		buf.WriteString("null")
		return
	}
	switch f.Type {
	case tBoolean:
		buf.WriteString(v)
	case tInt, tDouble, tCurrency, tPercent:
		buf.WriteString(v)
	case tDatetime:
		if len(v) == len(datetimeLayout) && v[len(v)-1] == 'Z' {
			v = v[:len(v)-1] + "+0000"
		}
		jsonString(buf, v)
	default:
		jsonString(buf, v)
	}
}

// fieldJSON writes one field of a record; compound addresses are built
// from their components (null when all are null).
func fieldJSON(buf *bytes.Buffer, v *view, f *Field) {
	if f.Type != tAddress {
		jsonValue(buf, f, v.get(f))
		return
	}
	parts := v.t.obj.addressParts(f)
	some := false
	for _, p := range parts {
		if p != nil && v.get(p) != "" {
			some = true
		}
	}
	if !some {
		buf.WriteString("null")
		return
	}
	// Keys in Salesforce's order: city, country, geocodeAccuracy, latitude, longitude, postalCode, state, street.
	order := []struct {
		key string
		i   int
	}{{"city", 1}, {"country", 4}, {"geocodeAccuracy", 7}, {"latitude", 5}, {"longitude", 6}, {"postalCode", 3}, {"state", 2}, {"street", 0}}
	buf.WriteByte('{')
	for n, o := range order {
		if n > 0 {
			buf.WriteByte(',')
		}
		jsonString(buf, o.key)
		buf.WriteByte(':')
		if p := parts[o.i]; p != nil {
			jsonValue(buf, p, v.get(p))
		} else {
			buf.WriteString("null")
		}
	}
	buf.WriteByte('}')
}

func (c *call) attributes(buf *bytes.Buffer, obj, id string) {
	buf.WriteString(`{"attributes":{"type":`)
	jsonString(buf, obj)
	buf.WriteString(`,"url":`)
	jsonString(buf, c.prefix()+"/sobjects/"+obj+"/"+id)
	buf.WriteString(`}`)
}

// recordJSON writes one record with the given fields (nil = all).
func (c *call) recordJSON(buf *bytes.Buffer, v *view, fields []*Field) {
	if fields == nil {
		fields = v.t.obj.Fields
	}
	c.attributes(buf, v.t.obj.Name, v.id())
	for _, f := range fields {
		buf.WriteByte(',')
		jsonString(buf, f.Name)
		buf.WriteByte(':')
		fieldJSON(buf, v, f)
	}
	buf.WriteByte('}')
}

func (c *call) fieldsParam(o *Object) ([]*Field, error) {
	p := c.r.URL.Query().Get("fields")
	if p == "" {
		return nil, nil
	}
	var out []*Field
	for _, n := range strings.Split(p, ",") {
		f := o.Field(strings.TrimSpace(n))
		if f == nil {
			return nil, &apiError{status: 400, code: "INVALID_FIELD", message: fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", echo(strings.TrimSpace(n)), o.Name)}
		}
		out = append(out, f)
	}
	return out, nil
}

func (c *call) getOne(t *table, id string) error {
	fields, err := c.fieldsParam(t.obj)
	if err != nil {
		return err
	}
	st := c.s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	r, ok := t.find(id)
	if !ok || t.rows[r] == "" || !strings.HasPrefix(id, t.obj.KeyPrefix) {
		return errNotFound()
	}
	if t.deleted(r) {
		return &apiError{status: 404, code: "ENTITY_IS_DELETED", message: "entity is deleted", fields: []string{}}
	}
	var buf bytes.Buffer
	c.recordJSON(&buf, t.newView().load(r), fields)
	writeRawJSON(c.w, 200, buf.Bytes())
	return nil
}

// bodyRecord reads a single-record JSON body.
func (c *call) bodyRecord(o *Object) ([]input, *dmlError, error) {
	var m map[string]any
	if err := c.readJSON(&m); err != nil {
		return nil, nil, err
	}
	in, de, ae := recordInputs(o, m)
	if ae != nil {
		return nil, nil, ae
	}
	return in, de, nil
}

func saveResult(id string, created *bool) map[string]any {
	m := map[string]any{"id": id, "success": true, "errors": []any{}}
	if created != nil {
		m["created"] = *created
	}
	return m
}

func (c *call) createOne(t *table) error {
	in, de, err := c.bodyRecord(t.obj)
	if err != nil {
		return err
	}
	if de != nil {
		return de.api()
	}
	if de := c.s.lockFault(""); de != nil {
		return de.api()
	}
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	w := c.writeCtx()
	id, de := w.create(t, in)
	if de != nil {
		return de.api()
	}
	writeJSON(c.w, 201, saveResult(id, nil))
	return nil
}

func (c *call) updateOne(t *table, id string) error {
	in, de, err := c.bodyRecord(t.obj)
	if err != nil {
		return err
	}
	if de != nil {
		return de.api()
	}
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := t.find(id)
	if !ok || t.rows[r] == "" || !strings.HasPrefix(id, t.obj.KeyPrefix) {
		return errNotFound()
	}
	if de := c.s.lockFault(rowValue(t.rows[r], 0)); de != nil {
		return de.api()
	}
	w := c.writeCtx()
	if de := w.update(t, r, in); de != nil {
		return de.api()
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) deleteOne(t *table, id string) error {
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := t.find(id)
	if !ok || t.rows[r] == "" || !strings.HasPrefix(id, t.obj.KeyPrefix) {
		return errNotFound()
	}
	if de := c.s.lockFault(rowValue(t.rows[r], 0)); de != nil {
		return de.api()
	}
	w := c.writeCtx()
	if de := w.remove(t, r); de != nil {
		return de.api()
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// externalField resolves an upsert/lookup key field: Id or an external id.
func externalField(o *Object, name string) (*Field, error) {
	f := o.Field(name)
	if f == nil || !(f.ExternalID || f.Name == "Id") {
		return nil, &apiError{status: 404, code: "NOT_FOUND", message: "Provided external ID field does not exist or is not accessible: " + echo(name), noField: true}
	}
	return f, nil
}

// matchExternal returns the live rows whose f equals v. Lock held.
func matchExternal(t *table, f *Field, v string) []int32 {
	if f.Name == "Id" {
		if r, ok := t.find(v); ok && t.visible(r, false) {
			return []int32{r}
		}
		return nil
	}
	return t.idx[f.index].lookup(v, nil)
}

func (c *call) multipleChoices(t *table, rows []int32) error {
	urls := make([]string, 0, len(rows))
	for _, r := range rows {
		urls = append(urls, c.prefix()+"/sobjects/"+t.obj.Name+"/"+rowValue(t.rows[r], 0))
	}
	writeJSON(c.w, http.StatusMultipleChoices, urls)
	return nil
}

func (c *call) getByExternal(t *table, field, val string) error {
	f, err := externalField(t.obj, field)
	if err != nil {
		return err
	}
	fields, err := c.fieldsParam(t.obj)
	if err != nil {
		return err
	}
	st := c.s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	rows := matchExternal(t, f, val)
	switch len(rows) {
	case 0:
		return errNotFound()
	case 1:
		var buf bytes.Buffer
		c.recordJSON(&buf, t.newView().load(rows[0]), fields)
		writeRawJSON(c.w, 200, buf.Bytes())
		return nil
	}
	return c.multipleChoices(t, rows)
}

func (c *call) deleteByExternal(t *table, field, val string) error {
	f, err := externalField(t.obj, field)
	if err != nil {
		return err
	}
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	rows := matchExternal(t, f, val)
	switch len(rows) {
	case 0:
		return errNotFound()
	case 1:
		if de := c.s.lockFault(rowValue(t.rows[rows[0]], 0)); de != nil {
			return de.api()
		}
		w := c.writeCtx()
		if de := w.remove(t, rows[0]); de != nil {
			return de.api()
		}
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return c.multipleChoices(t, rows)
}

func (c *call) upsertOne(t *table, field, val string) error {
	f, err := externalField(t.obj, field)
	if err != nil {
		return err
	}
	in, de, err := c.bodyRecord(t.obj)
	if err != nil {
		return err
	}
	if de != nil {
		return de.api()
	}
	for _, x := range in {
		if x.f == f && x.val != val {
			return errBadRequest("INVALID_FIELD", fmt.Sprintf("The value of %s in the body does not match the value in the URL", f.Name))
		}
	}
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if de := c.s.lockFault(""); de != nil {
		return de.api()
	}
	rows := matchExternal(t, f, val)
	w := c.writeCtx()
	switch len(rows) {
	case 0:
		if f.Name == "Id" {
			return errNotFound()
		}
		in = append(in, input{f: f, val: val})
		id, de := w.create(t, dedupeInputs(in))
		if de != nil {
			return de.api()
		}
		created := true
		writeJSON(c.w, 201, saveResult(id, &created))
		return nil
	case 1:
		if de := w.update(t, rows[0], withoutField(in, f)); de != nil {
			return de.api()
		}
		created := false
		writeJSON(c.w, 200, saveResult(rowValue(t.rows[rows[0]], 0), &created))
		return nil
	}
	return c.multipleChoices(t, rows)
}

func withoutField(in []input, f *Field) []input {
	out := in[:0:0]
	for _, x := range in {
		if x.f != f {
			out = append(out, x)
		}
	}
	return out
}

func dedupeInputs(in []input) []input {
	seen := map[*Field]bool{}
	out := in[:0:0]
	for i := len(in) - 1; i >= 0; i-- {
		if !seen[in[i].f] {
			seen[in[i].f] = true
			out = append(out, in[i])
		}
	}
	return out
}

// ---- sObject Collections ----

const maxCollection = 200

func errTooMany() error {
	return &apiError{status: 400, code: "EXCEEDED_ID_LIMIT", message: "record limit reached. cannot submit more than 200 records into this call", noField: true}
}

type collectionBody struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

func (c *call) routeCollections(segs []string) error {
	m := c.r.Method
	switch {
	case len(segs) == 0 && m == http.MethodPost:
		return c.collectionWrite("create", nil, nil)
	case len(segs) == 0 && m == http.MethodPatch:
		return c.collectionWrite("update", nil, nil)
	case len(segs) == 0 && m == http.MethodDelete:
		return c.collectionDelete()
	case len(segs) == 0:
		return methodNotAllowed(m, "POST", "PATCH", "DELETE")
	case len(segs) == 1 && (m == http.MethodGet || m == http.MethodPost):
		return c.collectionRetrieve(segs[0])
	case len(segs) == 2 && m == http.MethodPatch:
		o, t, err := c.object(segs[0])
		if err != nil {
			return err
		}
		f, err := externalField(o, segs[1])
		if err != nil {
			return err
		}
		return c.collectionWrite("upsert", t, f)
	case len(segs) <= 2:
		return methodNotAllowed(m, "GET", "PATCH")
	}
	return errNotFound()
}

type recordResult struct {
	id      string
	created *bool
	err     *dmlError
}

func (r recordResult) json(upsert bool) map[string]any {
	m := map[string]any{"success": r.err == nil}
	if r.id != "" {
		m["id"] = echo(r.id) // a malformed id from the request is quoted short
	}
	if r.err != nil {
		m["errors"] = []any{r.err.json()}
	} else {
		m["errors"] = []any{}
	}
	if upsert {
		m["created"] = r.created != nil && *r.created
	}
	return m
}

func (c *call) collectionWrite(op string, upsertTable *table, extField *Field) error {
	var body collectionBody
	if err := c.readJSON(&body); err != nil {
		return err
	}
	if len(body.Records) > maxCollection {
		return errTooMany()
	}
	if len(body.Records) == 0 {
		return &apiError{status: 400, code: "INVALID_FIELD", message: "No records found in request", noField: true}
	}
	type parsed struct {
		t   *table
		in  []input
		id  string
		err *dmlError
	}
	ps := make([]parsed, len(body.Records))
	for i, rec := range body.Records {
		var typ string
		if a, ok := rec["attributes"].(map[string]any); ok {
			typ, _ = a["type"].(string)
		}
		t := upsertTable
		if t == nil || typ != "" {
			if typ == "" {
				return &apiError{status: 400, code: "INVALID_TYPE", message: "No SObject Type defined in JSON", noField: true}
			}
			_, tt, err := c.object(typ)
			if err != nil {
				return &apiError{status: 400, code: "INVALID_TYPE", message: fmt.Sprintf("sObject type '%s' is not supported.", echo(typ)), noField: true}
			}
			if upsertTable != nil && tt != upsertTable {
				return &apiError{status: 400, code: "INVALID_TYPE", message: "All records must be of type " + upsertTable.obj.Name, noField: true}
			}
			t = tt
		}
		in, de, ae := recordInputs(t.obj, rec)
		if ae != nil {
			return ae
		}
		ps[i] = parsed{t: t, in: in, err: de}
		for _, x := range in {
			if x.f.Name == "Id" {
				ps[i].id = x.val
			}
		}
		if op == "update" && ps[i].err == nil && ps[i].id == "" {
			ps[i].err = &dmlError{code: "MISSING_ARGUMENT", msg: "Id not specified in an update call"}
		}
	}
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	w := c.writeCtx()
	results := make([]recordResult, len(ps))
	locked := c.s.faults.roll("lock", func(f *Faults) float64 { return f.Lock })
	failed := false
	for i, p := range ps {
		res := recordResult{id: p.id, err: p.err}
		if res.err == nil && locked {
			locked = false
			res.err = errLockRow(p.id)
		}
		if res.err == nil {
			switch op {
			case "create":
				res.id, res.err = w.create(p.t, p.in)
			case "update":
				r, ok := p.t.find(p.id)
				if !ok || p.t.rows[r] == "" || !strings.HasPrefix(p.id, p.t.obj.KeyPrefix) {
					if !sfid.Valid(p.id) {
						res.err = &dmlError{code: "MALFORMED_ID", msg: "Record ID: id value of incorrect type: " + echo(p.id), fields: []string{"Id"}}
					} else {
						res.err = &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
					}
				} else {
					res.id = rowValue(p.t.rows[r], 0)
					res.err = w.update(p.t, r, p.in)
				}
			case "upsert":
				res.id, res.created, res.err = c.upsertRecord(w, p.t, extField, p.in)
			}
		}
		if res.err != nil {
			failed = true
			if op == "create" {
				res.id = ""
			}
		}
		results[i] = res
		if failed && body.AllOrNone {
			break
		}
	}
	if failed && body.AllOrNone {
		w.rollback()
		for i := range results {
			if results[i].err == nil {
				results[i].err = errRolledBack
				if op == "create" {
					results[i].id = ""
				}
			}
		}
	}
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = r.json(op == "upsert")
	}
	writeJSON(c.w, 200, out)
	return nil
}

func (c *call) upsertRecord(w *writeCtx, t *table, f *Field, in []input) (string, *bool, *dmlError) {
	val := ""
	for _, x := range in {
		if x.f == f {
			val = x.val
		}
	}
	if val == "" {
		return "", nil, &dmlError{code: "MISSING_ARGUMENT", msg: f.Name + " not specified", fields: []string{f.Name}}
	}
	rows := matchExternal(t, f, val)
	switch len(rows) {
	case 0:
		if f.Name == "Id" {
			return "", nil, &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
		}
		id, de := w.create(t, in)
		created := true
		return id, &created, de
	case 1:
		created := false
		id := rowValue(t.rows[rows[0]], 0)
		return id, &created, w.update(t, rows[0], withoutField(in, f))
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = rowValue(t.rows[r], 0)
	}
	return "", nil, &dmlError{code: "DUPLICATE_EXTERNAL_ID", msg: fmt.Sprintf("%s: more than one record found for external id field: %v", f.Label, ids), fields: []string{f.Name}}
}

func (c *call) collectionDelete() error {
	q := c.r.URL.Query()
	ids := strings.Split(q.Get("ids"), ",")
	if q.Get("ids") == "" {
		return &apiError{status: 400, code: "MISSING_ARGUMENT", message: "ids parameter is required", noField: true}
	}
	if len(ids) > maxCollection {
		return errTooMany()
	}
	allOrNone := q.Get("allOrNone") == "true"
	st := c.s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	w := c.writeCtx()
	results := make([]recordResult, len(ids))
	locked := c.s.faults.roll("lock", func(f *Faults) float64 { return f.Lock })
	failed := false
	for i, id := range ids {
		res := recordResult{id: id}
		t := st.tableForID(id)
		var r int32
		ok := t != nil
		if ok {
			r, ok = t.find(id)
		}
		switch {
		case !sfid.Valid(id):
			res.err = &dmlError{code: "MALFORMED_ID", msg: "malformed id " + echo(id)}
		case !ok || t.rows[r] == "":
			res.err = &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
		case locked:
			locked = false
			res.err = errLockRow(id)
		default:
			res.id = rowValue(t.rows[r], 0)
			res.err = w.remove(t, r)
		}
		if res.err != nil {
			failed = true
		}
		results[i] = res
		if failed && allOrNone {
			break
		}
	}
	if failed && allOrNone {
		w.rollback()
		for i := range results {
			if results[i].err == nil {
				results[i].err = errRolledBack
			}
		}
	}
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = r.json(false)
	}
	writeJSON(c.w, 200, out)
	return nil
}

func (c *call) collectionRetrieve(obj string) error {
	o, t, err := c.object(obj)
	if err != nil {
		return err
	}
	var ids, fieldNames []string
	if c.r.Method == http.MethodPost {
		var body struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if err := c.readJSON(&body); err != nil {
			return err
		}
		ids, fieldNames = body.IDs, body.Fields
	} else {
		q := c.r.URL.Query()
		if q.Get("ids") != "" {
			ids = strings.Split(q.Get("ids"), ",")
		}
		if q.Get("fields") != "" {
			fieldNames = strings.Split(q.Get("fields"), ",")
		}
	}
	if len(ids) == 0 || len(fieldNames) == 0 {
		return &apiError{status: 400, code: "MISSING_ARGUMENT", message: "ids and fields are required", noField: true}
	}
	if len(ids) > 2000 {
		return errTooMany()
	}
	var fields []*Field
	for _, n := range fieldNames {
		f := o.Field(strings.TrimSpace(n))
		if f == nil {
			return &apiError{status: 400, code: "INVALID_FIELD", message: fmt.Sprintf("No such column '%s' on entity '%s'.", echo(n), o.Name)}
		}
		fields = append(fields, f)
	}
	st := c.s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var buf bytes.Buffer
	buf.WriteByte('[')
	v := t.newView()
	for i, id := range ids {
		if i > 0 {
			buf.WriteByte(',')
		}
		r, ok := t.find(id)
		if !ok || !t.visible(r, false) {
			buf.WriteString("null")
			continue
		}
		c.recordJSON(&buf, v.load(r), fields)
	}
	buf.WriteByte(']')
	writeRawJSON(c.w, 200, buf.Bytes())
	return nil
}

// ---- search suggestions ----

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func (c *call) handleSuggestions() error {
	q := c.r.URL.Query()
	term := strings.Map(func(r rune) rune {
		if r == '"' || r == '*' || r == '?' {
			return -1
		}
		return r
	}, q.Get("q"))
	term = strings.TrimSpace(term)
	if q.Get("q") == "" {
		return &apiError{status: 400, code: "MISSING_ARGUMENT", message: "q parameter is required", noField: true}
	}
	n := len([]rune(term))
	cjk := false
	for _, r := range term {
		if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) {
			cjk = true
		}
	}
	if (n < 3 && !cjk) || n < 2 || n > 255 {
		return &apiError{status: 400, code: "INVALID_SEARCH", message: "search term must be between 3 and 255 characters long", noField: true}
	}
	obj := q.Get("sobject")
	if obj == "" {
		return &apiError{status: 400, code: "MISSING_ARGUMENT", message: "sobject parameter is required", noField: true}
	}
	o, t, err := c.object(obj)
	if err != nil {
		return &apiError{status: 400, code: "INVALID_TYPE", message: fmt.Sprintf("sObject type '%s' is not supported.", echo(obj)), noField: true}
	}
	limit := 5
	if l := q.Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > 2000 {
			return &apiError{status: 400, code: "INVALID_SEARCH", message: "limit must be an integer between 1 and 2000", noField: true}
		}
		limit = v
	}
	nameF := o.nameField
	if nameF == nil {
		return &apiError{status: 400, code: "INVALID_TYPE", message: fmt.Sprintf("sObject type '%s' does not support search suggestions.", o.Name), noField: true}
	}
	fields := []*Field{o.Field("Id"), nameF}
	if fl := q.Get("fields"); fl != "" {
		fields = []*Field{o.Field("Id")}
		for _, fn := range strings.Split(fl, ",") {
			f := o.Field(strings.TrimSpace(fn))
			if f == nil {
				return &apiError{status: 400, code: "INVALID_FIELD", message: fmt.Sprintf("No such column '%s' on entity '%s'.", echo(fn), o.Name), noField: true}
			}
			if f.Name != "Id" {
				fields = append(fields, f)
			}
		}
	}
	terms := words(term)
	st := c.s.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var buf bytes.Buffer
	buf.WriteString(`{"autoSuggestResults":[`)
	found, more := 0, false
	v := t.newView()
	for r := range t.rows {
		if !t.visible(int32(r), false) || len(terms) == 0 {
			continue
		}
		v.load(int32(r))
		if !suggestMatch(words(v.get(nameF)), terms) {
			continue
		}
		if found == limit {
			more = true
			break
		}
		if found > 0 {
			buf.WriteByte(',')
		}
		found++
		c.recordJSON(&buf, v, fields)
	}
	fmt.Fprintf(&buf, `],"hasMoreResults":%t}`, more)
	writeRawJSON(c.w, 200, buf.Bytes())
	return nil
}

// suggestMatch: every term but the last equals a word; the last is a word prefix.
func suggestMatch(ws, terms []string) bool {
	for i, t := range terms {
		ok := false
		for _, w := range ws {
			if w == t || (i == len(terms)-1 && strings.HasPrefix(w, t)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// writeCtx starts a write for this request (duplicate-rule header, version).
func (c *call) writeCtx() *writeCtx {
	w := c.s.newWriteCtx(c.user)
	w.prefix = c.prefix()
	w.assignCreate, w.assignUpdate = c.assign.onCreate, c.assign.onUpdate
	for _, part := range strings.Split(c.r.Header.Get("Sforce-Duplicate-Rule-Header"), ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if strings.EqualFold(k, "allowSave") && strings.EqualFold(strings.TrimSpace(val), "true") {
			w.allowDup = true
		}
	}
	return w
}
