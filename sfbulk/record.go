package sfbulk

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Record is one sObject as REST returns or accepts it: field name to value
// (string, bool, json.Number, nil, a nested Record for a parent relationship).
// The "attributes" entry, when present, holds {"type","url"}.
type Record map[string]any

// Type returns attributes.type, or "".
func (r Record) Type() string {
	if a, ok := r["attributes"].(map[string]any); ok {
		s, _ := a["type"].(string)
		return s
	}
	if a, ok := r["attributes"].(Record); ok {
		s, _ := a["type"].(string)
		return s
	}
	return ""
}

// Get returns a field by name or by dotted relationship path
// ("Account.Name"); nil for a missing field or a null parent.
func (r Record) Get(path string) any {
	var cur any = map[string]any(r)
	for part := range strings.SplitSeq(path, ".") {
		switch m := cur.(type) {
		case map[string]any:
			cur = m[part]
		case Record:
			cur = m[part]
		default:
			return nil
		}
	}
	return cur
}

// String returns the field as Bulk CSV would render it: "" for null,
// "true"/"false" for booleans, numbers in their JSON form.
func (r Record) String(path string) string {
	switch v := r.Get(path).(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// UnmarshalJSON decodes numbers as json.Number (ids and amounts stay exact)
// and nested objects as plain maps.
func (r *Record) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	m := map[string]any{}
	if err := d.Decode(&m); err != nil {
		return err
	}
	*r = m
	return nil
}
