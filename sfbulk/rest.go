package sfbulk

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQueryURI leaves room for the path and headers under Salesforce's
// 16,384-byte limit on URI plus headers (beyond it: 414 or 431).
const maxQueryURI = 14000

type queryPage struct {
	TotalSize      int      `json:"totalSize"`
	Done           bool     `json:"done"`
	NextRecordsURL string   `json:"nextRecordsUrl"`
	Records        []Record `json:"records"`
}

// Query runs a SOQL query through REST (GET /query), following
// nextRecordsUrl page by page, and yields each record. Use it for small
// look-ups; Bulk 2.0 (BulkQuery) is for exports. Stop the loop early to stop
// paging. Errors are yielded once, as the last element.
func (c *Client) Query(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return c.query(ctx, "/query", soql)
}

// QueryAll is Query including deleted and archived records (GET /queryAll).
func (c *Client) QueryAll(ctx context.Context, soql string) iter.Seq2[Record, error] {
	return c.query(ctx, "/queryAll", soql)
}

func (c *Client) query(ctx context.Context, path, soql string) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		v := url.Values{"q": {soql}}
		if n := len(v.Encode()); n > maxQueryURI {
			yield(nil, fmt.Errorf("query: %d bytes of encoded SOQL exceed the REST URI limit (16,384 with headers); split long IN lists or use BulkQuery: %w", n, ErrQueryTooLong))
			return
		}
		r := &request{method: http.MethodGet, path: path, query: v, idempotent: true}
		for page := 1; ; page++ {
			var p queryPage
			if err := c.doJSON(ctx, r, nil, &p); err != nil {
				yield(nil, fmt.Errorf("query page %d: %w", page, err))
				return
			}
			for _, rec := range p.Records {
				if !yield(rec, nil) {
					return
				}
			}
			if p.Done || p.NextRecordsURL == "" {
				return
			}
			next, err := url.Parse(p.NextRecordsURL)
			if err != nil || !strings.HasPrefix(next.Path, "/services/") {
				yield(nil, fmt.Errorf("query page %d: bad nextRecordsUrl", page))
				return
			}
			r = &request{method: http.MethodGet, path: next.Path, query: next.Query(), idempotent: true}
		}
	}
}

// QueryRecords collects Query's records (for look-ups known to be small).
func (c *Client) QueryRecords(ctx context.Context, soql string) ([]Record, error) {
	var out []Record
	for rec, err := range c.Query(ctx, soql) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// SObjectDescribe is the part of GET /sobjects/{Obj}/describe navsync uses.
type SObjectDescribe struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	KeyPrefix  string          `json:"keyPrefix"`
	Createable bool            `json:"createable"`
	Updateable bool            `json:"updateable"`
	Queryable  bool            `json:"queryable"`
	Fields     []FieldDescribe `json:"fields"`
	// RecordTypeInfos and ChildRelationships are kept raw.
	RecordTypeInfos    json.RawMessage `json:"recordTypeInfos,omitempty"`
	ChildRelationships json.RawMessage `json:"childRelationships,omitempty"`
}

// FieldDescribe is one entry of describe's fields[].
type FieldDescribe struct {
	Name               string          `json:"name"`
	Label              string          `json:"label"`
	Type               string          `json:"type"`
	Length             int             `json:"length"`
	Nillable           bool            `json:"nillable"`
	Createable         bool            `json:"createable"`
	Updateable         bool            `json:"updateable"`
	DefaultedOnCreate  bool            `json:"defaultedOnCreate"`
	DefaultValue       any             `json:"defaultValue"`
	RestrictedPicklist bool            `json:"restrictedPicklist"`
	DependentPicklist  bool            `json:"dependentPicklist"`
	Custom             bool            `json:"custom"`
	Calculated         bool            `json:"calculated"`
	Unique             bool            `json:"unique"`
	ExternalID         bool            `json:"externalId"`
	IDLookup           bool            `json:"idLookup"`
	ReferenceTo        []string        `json:"referenceTo"`
	RelationshipName   string          `json:"relationshipName"`
	PicklistValues     []PicklistValue `json:"picklistValues"`
}

// PicklistValue is one picklist entry.
type PicklistValue struct {
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
	Label        string `json:"label"`
	Value        string `json:"value"`
}

// Field finds a field by API name, case-insensitively (nil if absent).
func (d *SObjectDescribe) Field(name string) *FieldDescribe {
	for i := range d.Fields {
		if strings.EqualFold(d.Fields[i].Name, name) {
			return &d.Fields[i]
		}
	}
	return nil
}

// RequiredOnCreate: createable, not nillable, not defaulted, not a boolean.
func (f *FieldDescribe) RequiredOnCreate() bool {
	return f.Createable && !f.Nillable && !f.DefaultedOnCreate && f.Type != "boolean"
}

// HasPicklistValue reports whether v is an active value (exact match, as
// Salesforce compares API values).
func (f *FieldDescribe) HasPicklistValue(v string) bool {
	for _, p := range f.PicklistValues {
		if p.Active && p.Value == v {
			return true
		}
	}
	return false
}

// Describe returns the object's describe, cached for the life of the client.
// The result is shared: do not modify it.
func (c *Client) Describe(ctx context.Context, object string) (*SObjectDescribe, error) {
	if !validName(object) || strings.Contains(object, ".") {
		return nil, fmt.Errorf("describe: invalid object name %q", object)
	}
	key := strings.ToLower(object)
	c.mu.Lock()
	d, ok := c.describe[key]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	d = &SObjectDescribe{}
	if err := c.doJSON(ctx, &request{method: http.MethodGet, path: "/sobjects/" + object + "/describe", idempotent: true}, nil, d); err != nil {
		return nil, fmt.Errorf("describe %s: %w", object, err)
	}
	c.mu.Lock()
	c.describe[key] = d
	c.mu.Unlock()
	return d, nil
}

// SearchSuggestions asks GET /search/suggestions for records of object whose
// name starts with the words of q (at least 2 characters, at most 255).
// limit 0 leaves Salesforce's default (5). It reports whether more exist.
func (c *Client) SearchSuggestions(ctx context.Context, object, q string, limit int, fields ...string) ([]Record, bool, error) {
	if !validName(object) || strings.Contains(object, ".") {
		return nil, false, fmt.Errorf("search suggestions: invalid object name %q", object)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(q)); n < 2 || n > 255 {
		return nil, false, fmt.Errorf("search suggestions: query must be 2 to 255 characters, got %d", n)
	}
	v := url.Values{"q": {q}, "sobject": {object}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	for _, f := range fields {
		if !validName(f) {
			return nil, false, fmt.Errorf("search suggestions: invalid field %q", f)
		}
	}
	if len(fields) > 0 {
		v.Set("fields", strings.Join(fields, ","))
	}
	var out struct {
		AutoSuggestResults []Record `json:"autoSuggestResults"`
		HasMoreResults     bool     `json:"hasMoreResults"`
	}
	if err := c.doJSON(ctx, &request{method: http.MethodGet, path: "/search/suggestions", query: v, idempotent: true}, nil, &out); err != nil {
		return nil, false, fmt.Errorf("search suggestions: %w", err)
	}
	return out.AutoSuggestResults, out.HasMoreResults, nil
}

// Limits returns GET /limits (needs "View Setup and Configuration"). Per-app
// sub-objects are left out.
func (c *Client) Limits(ctx context.Context) (map[string]Limit, error) {
	var raw map[string]json.RawMessage
	if err := c.doJSON(ctx, &request{method: http.MethodGet, path: "/limits", idempotent: true}, nil, &raw); err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	out := make(map[string]Limit, len(raw))
	for k, v := range raw {
		var l Limit
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, fmt.Errorf("limits %s: %w", k, err)
		}
		out[k] = l
	}
	return out, nil
}
