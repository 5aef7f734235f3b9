package soql

import (
	"strconv"
	"strings"
	"time"
)

// Type is how a field's values compare.
type Type uint8

// Field types. Describe types map onto them with TypeOf.
const (
	TypeString   Type = iota // string, email, phone, url, textarea, picklist, combobox, …: case-insensitive
	TypeID                   // id, reference: 15- or 18-character ids, case-sensitive on the first 15
	TypeBoolean              // boolean: true/false; never null (an empty value is false)
	TypeInteger              // int
	TypeDouble               // double, currency, percent
	TypeDate                 // date: YYYY-MM-DD
	TypeDateTime             // datetime: YYYY-MM-DDThh:mm:ss[.fff](Z|±hhmm)
)

// String is the type's name in Salesforce's filter messages ("must be of
// type dateTime").
func (t Type) String() string {
	switch t {
	case TypeID:
		return "id"
	case TypeBoolean:
		return "boolean"
	case TypeInteger:
		return "integer"
	case TypeDouble:
		return "double"
	case TypeDate:
		return "date"
	case TypeDateTime:
		return "dateTime"
	}
	return "string"
}

// TypeOf maps a describe field type (id, reference, boolean, int, double,
// currency, percent, date, datetime, string, picklist, …) to a Type.
func TypeOf(describeType string) Type {
	switch strings.ToLower(describeType) {
	case "id", "reference":
		return TypeID
	case "boolean":
		return TypeBoolean
	case "int", "long":
		return TypeInteger
	case "double", "currency", "percent":
		return TypeDouble
	case "date":
		return TypeDate
	case "datetime":
		return TypeDateTime
	}
	return TypeString
}

// Field is a field as the schema knows it. Index is the schema's own handle
// (a column number, say), copied into FieldRef for Record implementations.
type Field struct {
	Name  string // canonical API name
	Type  Type
	Index int
}

// Relationship is a parent relationship: Contact's Account is
// {Name: "Account", Ref: AccountId, Target: "Account"}.
type Relationship struct {
	Name   string
	Ref    Field
	Target string
}

// Schema tells Resolve what exists. Lookups are case-insensitive and
// return the canonical spelling.
type Schema interface {
	// Object returns the canonical name of a queryable object.
	Object(name string) (canonical string, ok bool)
	// Field returns a field of object.
	Field(object, name string) (Field, bool)
	// Relationship returns a parent relationship of object by its
	// relationship name (Account, Owner, ConvertedContact).
	Relationship(object, name string) (Relationship, bool)
}

// Resolve canonicalises the query's names against s, type-checks the
// literals and prepares the WHERE clause for Match, with date literals such
// as TODAY taken at time.Now(). Errors are *Error: INVALID_TYPE for an
// unknown object, INVALID_FIELD for an unknown field or relationship, a
// duplicate field or a literal of the wrong type, and
// INVALID_QUERY_FILTER_OPERATOR for a malformed id or an operator the
// field's type does not allow.
func (q *Query) Resolve(s Schema) error { return q.ResolveAt(s, time.Now()) }

// ResolveAt is Resolve with date literals taken at now.
func (q *Query) ResolveAt(s Schema, now time.Time) error {
	if err := q.resolve(s, now); err != nil {
		return err
	}
	return nil
}

func (q *Query) resolve(s Schema, now time.Time) *Error {
	q.resolved = false
	obj, ok := s.Object(q.Object)
	if !ok {
		return unknownObject(q.src, q.objectPos, q.Object)
	}
	q.Object = obj
	seen := make(map[string]bool, len(q.Fields))
	for i := range q.Fields {
		f := &q.Fields[i]
		if err := q.resolveField(s, f); err != nil {
			return err
		}
		key := strings.ToLower(f.Path)
		if seen[key] {
			return errAt(q.src, -1, CodeInvalidField, "duplicate field selected: "+f.Path)
		}
		seen[key] = true
	}
	if q.Where != nil {
		if err := q.resolveExpr(s, q.Where, now); err != nil {
			return err
		}
	}
	for i := range q.OrderBy {
		if err := q.resolveField(s, &q.OrderBy[i].Field); err != nil {
			return err
		}
	}
	q.resolved = true
	return nil
}

func (q *Query) resolveField(s Schema, f *FieldRef) *Error {
	cur := q.Object
	f.Hops = f.Hops[:0]
	parts := make([]string, len(f.Parts))
	for i, part := range f.Parts[:len(f.Parts)-1] {
		rel, ok := s.Relationship(cur, part)
		if !ok {
			return badRelationship(q.src, f.pos, part)
		}
		parts[i] = rel.Name
		f.Hops = append(f.Hops, Hop{Name: rel.Name, Ref: rel.Ref, Target: rel.Target, Path: strings.Join(parts[:i+1], ".")})
		cur = rel.Target
	}
	last := f.Parts[len(f.Parts)-1]
	fld, ok := s.Field(cur, last)
	if !ok {
		return noSuchColumn(q.src, f.pos, last, cur)
	}
	parts[len(parts)-1] = fld.Name
	f.Parts, f.Path, f.Object, f.Field = parts, strings.Join(parts, "."), cur, fld
	return nil
}

func (q *Query) resolveExpr(s Schema, e Expr, now time.Time) *Error {
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			if err := q.resolveExpr(s, t, now); err != nil {
				return err
			}
		}
	case *Or:
		for _, t := range e.Terms {
			if err := q.resolveExpr(s, t, now); err != nil {
				return err
			}
		}
	case *Not:
		return q.resolveExpr(s, e.X, now)
	case *Comparison:
		if err := q.resolveField(s, &e.Field); err != nil {
			return err
		}
		return q.compile(e, now)
	}
	return nil
}

// compiled is a comparison ready for evaluation: its literals converted to
// the field's type once, so Match only converts the record's value.
type compiled struct {
	typ     Type
	hasNull bool // a null literal (or '') is among the values
	strs    []string
	set     map[string]struct{} // large IN lists: lower-cased strings or 15-char ids
	nums    []float64
	bools   []bool
	ranges  []span // dates and date-times, milliseconds
	like    likePattern
}

type span struct{ lo, hi int64 }

func (q *Query) compile(c *Comparison, now time.Time) *Error {
	f := &c.Field
	t := f.Field.Type
	cc := compiled{typ: t}
	switch c.Op {
	case OpLike:
		if t == TypeID || t == TypeBoolean || t == TypeDate || t == TypeDateTime || t == TypeInteger || t == TypeDouble {
			return errAt(q.src, f.pos, CodeInvalidFilterOp, "invalid operator on "+t.String()+" field")
		}
	case OpLt, OpGt, OpLe, OpGe:
		if t == TypeBoolean {
			return errAt(q.src, f.pos, CodeInvalidFilterOp, "invalid operator on boolean field")
		}
	}
	for _, l := range c.Values {
		if l.Kind == LitNull {
			cc.hasNull = true
			continue
		}
		if err := q.addLiteral(&cc, c, l, now); err != nil {
			return err
		}
	}
	if c.Op == OpLike && len(c.Values) == 1 && c.Values[0].Kind == LitString {
		pat, err := decodeString(q.src, c.Values[0].pos, true)
		if err != nil {
			return err
		}
		cc.like = compileLike(pat)
	}
	if (c.Op == OpIn || c.Op == OpNotIn) && len(c.Values) > smallList {
		cc.buildSet()
	}
	c.c = cc
	return nil
}

// smallList is the IN-list length above which Match looks values up in a
// map instead of scanning.
const smallList = 8

func (q *Query) addLiteral(cc *compiled, c *Comparison, l Literal, now time.Time) *Error {
	f := &c.Field
	mismatch := func(quoted bool) *Error {
		how := "should not be enclosed in quotes"
		if quoted {
			how = "should be enclosed in quotes"
		}
		return errAt(q.src, l.pos, CodeInvalidField,
			"value of filter criterion for field '"+f.Path+"' must be of type "+f.Field.Type.String()+" and "+how)
	}
	switch cc.typ {
	case TypeString:
		if l.Kind != LitString {
			return mismatch(true)
		}
		if l.Text == "" {
			cc.hasNull = true // Salesforce stores no empty strings: '' means null
			return nil
		}
		cc.strs = append(cc.strs, l.Text)
	case TypeID:
		if l.Kind != LitString {
			return mismatch(true)
		}
		if l.Text == "" {
			cc.hasNull = true
			return nil
		}
		if !validID(l.Text) {
			return errAt(q.src, l.pos, CodeInvalidFilterOp, "invalid ID field: "+l.Text)
		}
		cc.strs = append(cc.strs, l.Text[:15])
	case TypeBoolean:
		switch l.Kind {
		case LitTrue:
			cc.bools = append(cc.bools, true)
		case LitFalse:
			cc.bools = append(cc.bools, false)
		default:
			return mismatch(false)
		}
	case TypeInteger, TypeDouble:
		if l.Kind != LitNumber {
			return mismatch(false)
		}
		v, err := strconv.ParseFloat(l.Text, 64)
		if err != nil {
			return mismatch(false)
		}
		cc.nums = append(cc.nums, v)
	case TypeDate, TypeDateTime:
		var sp span
		switch {
		case l.Kind == LitDateFunc:
			sp.lo, sp.hi = dateFuncRange(l.Text, l.N, now)
		case l.Kind == LitDate && cc.typ == TypeDate:
			d, _ := parseDate(l.Text)
			sp = span{d * msPerDay, (d + 1) * msPerDay}
		case l.Kind == LitDateTime && cc.typ == TypeDateTime:
			ms, _ := parseDateTime(l.Text)
			sp = span{ms, ms + 1}
		default:
			return mismatch(false)
		}
		cc.ranges = append(cc.ranges, sp)
	}
	return nil
}

func (cc *compiled) buildSet() {
	switch cc.typ {
	case TypeID:
		cc.set = make(map[string]struct{}, len(cc.strs))
		for _, s := range cc.strs {
			cc.set[s] = struct{}{}
		}
	case TypeString:
		for _, s := range cc.strs {
			if !isASCII(s) {
				return // the linear EqualFold scan handles Unicode folding
			}
		}
		cc.set = make(map[string]struct{}, len(cc.strs))
		for _, s := range cc.strs {
			cc.set[strings.ToLower(s)] = struct{}{}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

const idSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// validID reports whether s is a 15-character id, or an 18-character id
// whose checksum suffix matches.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	if len(s) == 15 {
		return true
	}
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			if c := s[chunk*5+i]; c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		want, got := idSuffixChars[v], s[15+chunk]
		if got >= 'a' && got <= 'z' {
			got -= 'a' - 'A'
		}
		if want != got {
			return false
		}
	}
	return true
}
