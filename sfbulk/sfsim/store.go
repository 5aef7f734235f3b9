package sfsim

import (
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/navsync/navsync/internal/sfid"
)

// The store keeps each object's records as packed rows: one string per
// record holding (field index, length, bytes) triples for the non-empty
// fields only. A million Contacts cost their data plus a string header each,
// not a map per record. Decoding a row yields substrings of it, so reads do
// not allocate per value.

// Canonical value forms: booleans "true"/"false", numbers as written
// ("42", "1.5"), dates "2006-01-02", datetimes "2006-01-02T15:04:05.000Z";
// "" is null.
const (
	dateLayout     = "2006-01-02"
	datetimeLayout = "2006-01-02T15:04:05.000Z"
	restDatetime   = "2006-01-02T15:04:05.000+0000"
)

func encodeRow(vals []string) string {
	n := 0
	for _, v := range vals {
		if v != "" {
			n += len(v) + 4
		}
	}
	b := make([]byte, 0, n)
	for i, v := range vals {
		if v == "" {
			continue
		}
		b = binary.AppendUvarint(b, uint64(i))
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return string(b)
}

// decodeRow fills vals (len = number of fields) from row.
func decodeRow(row string, vals []string) {
	clear(vals)
	for p := 0; p < len(row); {
		i, n := uvarint(row, p)
		p += n
		l, n := uvarint(row, p)
		p += n
		if int(i) < len(vals) {
			vals[i] = row[p : p+int(l)]
		}
		p += int(l)
	}
}

// rowValue returns one field of a packed row without decoding the rest.
func rowValue(row string, field int) string {
	for p := 0; p < len(row); {
		i, n := uvarint(row, p)
		p += n
		l, n := uvarint(row, p)
		p += n
		if int(i) == field {
			return row[p : p+int(l)]
		}
		p += int(l)
	}
	return ""
}

func uvarint(s string, p int) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; p+i < len(s); i++ {
		c := s[p+i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return x, len(s) - p
}

// index maps a field value (lower-cased unless case-sensitive) to rows.
// One map serves both unique and repeated values: a value >= 0 is the
// only row; a negative value -(slot+1) points into multi.
type index struct {
	fold  bool
	m     map[string]int32
	multi [][]int32
	free  []int32 // unused multi slots
}

func newIndex(fold bool) *index {
	return &index{fold: fold, m: map[string]int32{}}
}

func (ix *index) key(v string) string {
	if ix.fold {
		return strings.ToLower(v)
	}
	return v
}

func (ix *index) add(v string, row int32) {
	if v == "" {
		return
	}
	k := ix.key(v)
	x, ok := ix.m[k]
	switch {
	case !ok:
		ix.m[strings.Clone(k)] = row
	case x >= 0:
		var slot int32
		if n := len(ix.free); n > 0 {
			slot = ix.free[n-1]
			ix.free = ix.free[:n-1]
			ix.multi[slot] = []int32{x, row}
		} else {
			slot = int32(len(ix.multi))
			ix.multi = append(ix.multi, []int32{x, row})
		}
		ix.m[k] = -(slot + 1)
	default:
		ix.multi[-x-1] = append(ix.multi[-x-1], row)
	}
}

func (ix *index) remove(v string, row int32) {
	if v == "" {
		return
	}
	k := ix.key(v)
	x, ok := ix.m[k]
	if !ok {
		return
	}
	if x >= 0 {
		if x == row {
			delete(ix.m, k)
		}
		return
	}
	slot := -x - 1
	rows := ix.multi[slot]
	for i, r := range rows {
		if r == row {
			rows = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
	switch len(rows) {
	case 0, 1:
		if len(rows) == 1 {
			ix.m[k] = rows[0]
		} else {
			delete(ix.m, k)
		}
		ix.multi[slot] = nil
		ix.free = append(ix.free, slot)
	default:
		ix.multi[slot] = rows
	}
}

// lookup returns the rows holding v; buf is reused for the single-row
// case. The result must not be kept across writes.
func (ix *index) lookup(v string, buf []int32) []int32 {
	x, ok := ix.m[ix.key(v)]
	switch {
	case !ok:
		return nil
	case x >= 0:
		return append(buf[:0], x)
	}
	return ix.multi[-x-1]
}

// table holds one object's records.
type table struct {
	obj   *Object
	rows  []string
	byID  map[string]int32
	idx   []*index // by field index; nil = not indexed
	seq   uint64   // last sequence number used for new ids
	live  int      // rows not deleted
	isDel int      // index of IsDeleted
}

func newTable(o *Object) *table {
	t := &table{obj: o, byID: map[string]int32{}, idx: make([]*index, len(o.Fields)), isDel: -1}
	for i, f := range o.Fields {
		switch {
		case f.Name == "Id" || f.derived:
		case f.Type == tReference:
			t.idx[i] = newIndex(false) // canonical 18-character ids
		case f.ExternalID, f.Unique, f.Type == tEmail, f.Name == "Username":
			t.idx[i] = newIndex(!f.CaseSensitive)
		case f.NameField && o.Name == "Account":
			t.idx[i] = newIndex(true)
		}
		if f.Name == "IsDeleted" {
			t.isDel = i
		}
	}
	return t
}

// visible reports whether a query sees row r (all: queryAll, which also
// sees soft-deleted rows; purged rows are never seen).
func (t *table) visible(r int32, all bool) bool {
	row := t.rows[r]
	if row == "" {
		return false
	}
	return all || t.isDel < 0 || rowValue(row, t.isDel) != "true"
}

func (t *table) deleted(row int32) bool {
	return t.isDel >= 0 && rowValue(t.rows[row], t.isDel) == "true"
}

// insert appends a record (vals by field index; vals[0]... Id included).
func (t *table) insert(vals []string) int32 {
	r := int32(len(t.rows))
	t.rows = append(t.rows, encodeRow(vals))
	t.byID[strings.Clone(vals[0])] = r
	deleted := t.isDel >= 0 && vals[t.isDel] == "true"
	if !deleted {
		t.live++
		for i, ix := range t.idx {
			if ix != nil {
				ix.add(vals[i], r)
			}
		}
	}
	return r
}

// replace stores new values for row r, keeping indexes in step.
func (t *table) replace(r int32, old, vals []string) {
	wasDel := t.isDel >= 0 && old[t.isDel] == "true"
	nowDel := t.isDel >= 0 && vals[t.isDel] == "true"
	for i, ix := range t.idx {
		if ix == nil {
			continue
		}
		if !wasDel && (nowDel || old[i] != vals[i]) {
			ix.remove(old[i], r)
		}
		if !nowDel && (wasDel || old[i] != vals[i]) {
			ix.add(vals[i], r)
		}
	}
	switch {
	case wasDel && !nowDel:
		t.live++
	case !wasDel && nowDel:
		t.live--
	}
	t.rows[r] = encodeRow(vals)
}

// newID returns a fresh id with the object's key prefix on pod 5g.
func (t *table) newID() string {
	for {
		t.seq++
		id := sfid.New(t.obj.KeyPrefix, "5g", t.seq)
		if _, ok := t.byID[id]; !ok {
			return id
		}
	}
}

// find returns the row of id (15 or 18 characters).
func (t *table) find(id string) (int32, bool) {
	id18, err := sfid.To18(id)
	if err != nil {
		return 0, false
	}
	r, ok := t.byID[id18]
	return r, ok
}

// store is the org's data: one table per object under one lock.
type store struct {
	mu     sync.RWMutex
	schema *schema
	tables map[string]*table // lower-case object name
}

func newStore(s *schema) *store {
	st := &store{schema: s, tables: map[string]*table{}}
	for _, o := range s.objects {
		st.tables[strings.ToLower(o.Name)] = newTable(o)
	}
	return st
}

func (st *store) table(name string) *table { return st.tables[strings.ToLower(name)] }

// tableForID returns the table whose key prefix starts id.
func (st *store) tableForID(id string) *table {
	if len(id) < 3 {
		return nil
	}
	o := st.schema.byPref[id[:3]]
	if o == nil {
		return nil
	}
	return st.table(o.Name)
}

// view reads one record: decoded values plus derived fields.
type view struct {
	t    *table
	row  int32
	vals []string
}

func (t *table) newView() *view { return &view{t: t, vals: make([]string, len(t.obj.Fields))} }

func (v *view) load(r int32) *view {
	v.row = r
	decodeRow(v.t.rows[r], v.vals)
	return v
}

// get returns the canonical value of f ("" = null).
func (v *view) get(f *Field) string {
	if f.derived {
		switch {
		case f.Name == "SystemModstamp":
			return v.vals[v.t.obj.iLastMod]
		case f.Name == "Name":
			first := v.vals[v.t.obj.iFirst]
			last := v.vals[v.t.obj.iLast]
			if first == "" {
				return last
			}
			if last == "" {
				return first
			}
			return first + " " + last
		}
		return ""
	}
	s := v.vals[f.index]
	if s == "" && f.Type == tBoolean {
		if f.DefaultValue != "" {
			return f.DefaultValue
		}
		return "false"
	}
	return s
}

func (v *view) id() string { return v.vals[0] }

func nowStamp(t time.Time) string { return t.UTC().Format(datetimeLayout) }
