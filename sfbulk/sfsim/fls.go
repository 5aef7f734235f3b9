package sfsim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// FieldAccess is a profile's field-level security on one field (Setup ›
// Object Manager › Fields › Set Field-Level Security).
type FieldAccess int

const (
	// FieldEdit is visible and editable as the schema allows (the default).
	FieldEdit FieldAccess = iota
	// FieldReadOnly is visible, neither createable nor updateable.
	FieldReadOnly
	// FieldHidden is not visible: absent from describe.
	FieldHidden
)

// SetFieldAccess sets a profile's field-level security on object.field.
// Describe answers the caller's profile accordingly (a hidden field is
// left out, a read-only one is neither createable nor updateable), and
// REST, Collections and Bulk ingest writes of such a field by that
// profile's users fail with INVALID_FIELD_FOR_INSERT_UPDATE. Queries do
// not check it. FieldEdit removes the setting.
func (s *Server) SetFieldAccess(profileID, object, field string, a FieldAccess) error {
	p := profileByID(profileID)
	if p == nil {
		return fmt.Errorf("sfsim: unknown profile %q", profileID)
	}
	o := s.schema.object(object)
	if o == nil {
		return fmt.Errorf("sfsim: set field access: %w %q", ErrUnknownObject, object)
	}
	f := o.Field(field)
	if f == nil || f.Name == "Id" {
		return fmt.Errorf("sfsim: set field access: %w %q on %s", ErrUnknownColumn, field, o.Name)
	}
	s.profMu.Lock()
	defer s.profMu.Unlock()
	if s.fieldAccess == nil {
		s.fieldAccess = map[string]FieldAccess{}
	}
	k := flsKey(p.id, o.Name, f.Name)
	if a == FieldEdit {
		delete(s.fieldAccess, k)
	} else {
		s.fieldAccess[k] = a
	}
	return nil
}

func flsKey(profileID, object, field string) string {
	return profileID + "|" + strings.ToLower(object) + "|" + strings.ToLower(field)
}

// access is p's field-level security on o.f.
func (s *Server) access(p *profile, o *Object, f *Field) FieldAccess {
	if p == nil {
		return FieldEdit
	}
	s.profMu.RLock()
	defer s.profMu.RUnlock()
	return s.fieldAccess[flsKey(p.id, o.Name, f.Name)]
}

// describeFor is o's describe as a user of profile p sees it.
func (s *Server) describeFor(o *Object, p *profile) []byte {
	b := s.describeJSON(o)
	if p == nil {
		return b
	}
	limited := map[string]FieldAccess{}
	s.profMu.RLock()
	for _, f := range o.Fields {
		if a := s.fieldAccess[flsKey(p.id, o.Name, f.Name)]; a != FieldEdit {
			limited[f.Name] = a
		}
	}
	s.profMu.RUnlock()
	if len(limited) == 0 {
		return b
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		return b
	}
	fields, _ := d["fields"].([]any)
	kept := fields[:0:0]
	for _, x := range fields {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		switch limited[name] {
		case FieldHidden:
			continue
		case FieldReadOnly:
			m["createable"], m["updateable"] = false, false
		}
		kept = append(kept, x)
	}
	d["fields"] = kept
	out, err := json.Marshal(d)
	if err != nil {
		return b
	}
	return out
}
