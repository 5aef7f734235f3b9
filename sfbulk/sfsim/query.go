package sfsim

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// soqlSchema adapts the org schema to soql.Schema.
type soqlSchema struct{ s *schema }

func (a soqlSchema) Object(name string) (string, bool) {
	o := a.s.object(name)
	if o == nil {
		return "", false
	}
	return o.Name, true
}

func soqlField(f *Field) soql.Field {
	return soql.Field{Name: f.Name, Type: soql.TypeOf(f.Type), Index: f.index}
}

func (a soqlSchema) Field(object, name string) (soql.Field, bool) {
	o := a.s.object(object)
	if o == nil {
		return soql.Field{}, false
	}
	f := o.Field(name)
	if f == nil {
		return soql.Field{}, false
	}
	return soqlField(f), true
}

func (a soqlSchema) Relationship(object, name string) (soql.Relationship, bool) {
	o := a.s.object(object)
	if o == nil {
		return soql.Relationship{}, false
	}
	f := o.Relationship(name)
	if f == nil || len(f.ReferenceTo) == 0 || a.s.object(f.ReferenceTo[0]) == nil {
		return soql.Relationship{}, false
	}
	return soql.Relationship{Name: f.RelationshipName, Ref: soqlField(f), Target: a.s.object(f.ReferenceTo[0]).Name}, true
}

// qrec is a soql.Record over a store view, following parent hops through
// the id index. The store's read lock is held while it is used.
type qrec struct {
	st   *store
	v    *view
	hops map[*soql.Hop]*view // parent views, by the hop (of a resolved query) that reached them
}

func newQrec(st *store, t *table) *qrec {
	return &qrec{st: st, v: t.newView(), hops: map[*soql.Hop]*view{}}
}

// reset forgets cached parents; call it after re-taking the store lock.
func (q *qrec) reset() {
	for _, pv := range q.hops {
		pv.row = -1
	}
}

// parent returns the view of the record at the end of hops (nil if null).
func (q *qrec) parent(hops []soql.Hop) *view {
	cur := q.v
	for i := range hops {
		h := &hops[i]
		id := cur.vals[h.Ref.Index]
		if id == "" {
			return nil
		}
		pv := q.hops[h]
		if pv == nil {
			pv = q.st.table(h.Target).newView()
			pv.row = -1
			q.hops[h] = pv
		}
		t := pv.t
		r, ok := t.byID[id]
		if !ok || t.rows[r] == "" {
			return nil
		}
		if pv.row != r {
			pv.load(r)
		}
		cur = pv
	}
	return cur
}

func (q *qrec) Value(f *soql.FieldRef) (string, bool) {
	v := q.v
	if len(f.Hops) > 0 {
		v = q.parent(f.Hops)
		if v == nil {
			return "", true
		}
	}
	x := v.get(v.t.obj.Fields[f.Field.Index])
	return x, x == ""
}

// parseQuery parses and resolves SOQL, mapping errors to REST errors.
func (s *Server) parseQuery(src string) (*soql.Query, *table, error) {
	q, err := soql.Parse(src)
	if err == nil {
		err = q.ResolveAt(soqlSchema{s.schema}, s.now())
	}
	if err != nil {
		var se *soql.Error
		if errors.As(err, &se) {
			return nil, nil, &apiError{status: 400, code: se.Code, message: se.Message, noField: true}
		}
		return nil, nil, &apiError{status: 400, code: "MALFORMED_QUERY", message: err.Error(), noField: true}
	}
	return q, s.st.table(q.Object), nil
}

// candidates picks rows through an index when the WHERE clause (or one
// AND term of it) is Field = x or Field IN (...) on Id or an indexed field.
func candidates(t *table, where soql.Expr) ([]int32, bool) {
	var cmp *soql.Comparison
	switch e := where.(type) {
	case *soql.Comparison:
		cmp = e
	case *soql.And:
		for _, term := range e.Terms {
			if c, ok := term.(*soql.Comparison); ok && indexable(t, c) {
				cmp = c
				break
			}
		}
	}
	if cmp == nil || !indexable(t, cmp) {
		return nil, false
	}
	f := t.obj.Fields[cmp.Field.Field.Index]
	seen := map[int32]bool{}
	var out []int32
	for _, lit := range cmp.Values {
		v := lit.Text
		if f.Type == tID || f.Type == tReference {
			id, err := sfid.To18(v)
			if err != nil {
				continue
			}
			v = id
		}
		var rows []int32
		if f.Name == "Id" {
			if r, ok := t.byID[v]; ok {
				rows = []int32{r}
			}
		} else {
			rows = t.idx[f.index].lookup(v, nil)
		}
		for _, r := range rows {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, true
}

func indexable(t *table, c *soql.Comparison) bool {
	if len(c.Field.Hops) > 0 || (c.Op != soql.OpEq && c.Op != soql.OpIn) {
		return false
	}
	for _, l := range c.Values {
		if l.Kind != soql.LitString {
			return false
		}
	}
	f := t.obj.Fields[c.Field.Field.Index]
	return f.Name == "Id" || t.idx[f.index] != nil
}

// runQuery evaluates q: the matching rows in ORDER BY order, after OFFSET
// and LIMIT. It scans in chunks so writers are not held off for long.
func (s *Server) runQuery(q *soql.Query, t *table, all bool) []int32 {
	st := s.st
	var rows []int32
	// locked runs f under the read lock, released even if f panics.
	locked := func(f func()) {
		st.mu.RLock()
		defer st.mu.RUnlock()
		f()
	}
	var cand []int32
	indexed := false
	locked(func() { cand, indexed = candidates(t, q.Where) })
	rec := newQrec(st, t)
	test := func(r int32) {
		if t.visible(r, all) {
			rec.v.load(r)
			if q.Match(rec) {
				rows = append(rows, r)
			}
		}
	}
	const chunk = 1 << 16
	if indexed {
		locked(func() {
			for _, r := range cand {
				test(r)
			}
		})
	} else {
		for start, done := 0, false; !done; start += chunk {
			locked(func() {
				rec.reset()
				n := len(t.rows)
				if start >= n {
					done = true
					return
				}
				for r := start; r < min(start+chunk, n); r++ {
					test(int32(r))
				}
			})
		}
	}
	if len(q.OrderBy) > 0 {
		locked(func() {
			a, b := newQrec(st, t), newQrec(st, t)
			sort.SliceStable(rows, func(i, j int) bool {
				a.v.load(rows[i])
				b.v.load(rows[j])
				return q.Compare(a, b) < 0
			})
		})
	}
	if q.Offset > 0 {
		rows = rows[min(q.Offset, len(rows)):]
	}
	if q.Limit >= 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	return rows
}

// cursor is a REST query result being paged through nextRecordsUrl.
type cursor struct {
	q    *soql.Query
	t    *table
	rows []int32
	user string
}

type cursorState struct {
	mu    sync.Mutex
	m     map[string]*cursor
	order []string
	seq   uint64
	rows  int // row references held by all cursors
}

// Open cursors are bounded by count and by the rows they hold; the oldest
// go first (a later nextRecordsUrl then answers INVALID_QUERY_LOCATOR).
const (
	maxCursors    = 200
	maxCursorRows = 20_000_000
)

func (cs *cursorState) add(c *cursor) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.seq++
	id := sfid.New("01g", "5g", cs.seq)
	cs.m[id] = c
	cs.order = append(cs.order, id)
	cs.rows += len(c.rows)
	for len(cs.order) > 1 && (len(cs.order) > maxCursors || cs.rows > maxCursorRows) {
		cs.rows -= len(cs.m[cs.order[0]].rows)
		delete(cs.m, cs.order[0])
		cs.order = cs.order[1:]
	}
	return id
}

func (cs *cursorState) get(id string) *cursor {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[id]
}

func (c *call) batchSize() int {
	n := c.s.opts.QueryBatchSize
	for _, opt := range strings.Split(c.r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		if strings.EqualFold(k, "batchSize") {
			if b, err := strconv.Atoi(v); err == nil && b >= 200 && b <= 2000 {
				n = b
			}
		}
	}
	return n
}

func (c *call) handleQuery(all bool) error {
	src := c.r.URL.Query().Get("q")
	if strings.TrimSpace(src) == "" {
		return &apiError{status: 400, code: "MALFORMED_QUERY", message: "A query string has to be specified", noField: true}
	}
	q, t, err := c.s.parseQuery(src)
	if err != nil {
		return err
	}
	if c.r.URL.Query().Get("columns") == "true" {
		return c.columnMetadata(q, t)
	}
	rows := c.s.runQuery(q, t, all)
	if q.Count {
		writeJSON(c.w, 200, map[string]any{"totalSize": len(rows), "done": true, "records": []any{}})
		return nil
	}
	cur := &cursor{q: q, t: t, rows: rows, user: c.user.ID}
	return c.writePage(cur, "", 0, all)
}

func (c *call) handleQueryMore(locator string, all bool) error {
	id, off, ok := strings.Cut(locator, "-")
	n, err := strconv.Atoi(off)
	cur := c.s.cursors.get(id)
	if !ok || err != nil || cur == nil || n < 0 || n > len(cur.rows) || cur.user != c.user.ID {
		return &apiError{status: 400, code: "INVALID_QUERY_LOCATOR", message: "invalid query locator", noField: true}
	}
	return c.writePage(cur, id, n, all)
}

func (c *call) writePage(cur *cursor, id string, off int, all bool) error {
	size := c.batchSize()
	end := min(off+size, len(cur.rows))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"totalSize":%d,"done":%t,`, len(cur.rows), end == len(cur.rows))
	if end < len(cur.rows) {
		if id == "" {
			id = c.s.cursors.add(cur)
		}
		res := "query"
		if all {
			res = "queryAll"
		}
		buf.WriteString(`"nextRecordsUrl":`)
		jsonString(&buf, fmt.Sprintf("%s/%s/%s-%d", c.prefix(), res, id, end))
		buf.WriteByte(',')
	}
	buf.WriteString(`"records":[`)
	func() {
		st := c.s.st
		st.mu.RLock()
		defer st.mu.RUnlock()
		rec := newQrec(st, cur.t) // fresh: no parents cached from an earlier lock
		tree := selectTree(cur.q.Fields)
		for i, r := range cur.rows[off:end] {
			if i > 0 {
				buf.WriteByte(',')
			}
			rec.v.load(r)
			c.writeQueryRecord(&buf, rec, rec.v, tree)
		}
	}()
	buf.WriteString("]}")
	writeRawJSON(c.w, 200, buf.Bytes())
	return nil
}

// selNode is a select-list field or a relationship grouping its fields.
type selNode struct {
	name  string
	ref   *soql.FieldRef // leaf
	hops  []soql.Hop     // for a relationship: the hops to it
	kids  []*selNode
	index map[string]*selNode
}

func selectTree(fields []soql.FieldRef) *selNode {
	root := &selNode{index: map[string]*selNode{}}
	for i := range fields {
		f := &fields[i]
		cur := root
		for d, h := range f.Hops {
			k := strings.ToLower(h.Name)
			n := cur.index[k]
			if n == nil {
				n = &selNode{name: h.Name, hops: f.Hops[:d+1], index: map[string]*selNode{}}
				cur.index[k] = n
				cur.kids = append(cur.kids, n)
			}
			cur = n
		}
		cur.kids = append(cur.kids, &selNode{name: f.Field.Name, ref: f})
	}
	return root
}

func (c *call) writeQueryRecord(buf *bytes.Buffer, rec *qrec, v *view, n *selNode) {
	c.attributes(buf, v.t.obj.Name, v.id())
	for _, k := range n.kids {
		buf.WriteByte(',')
		jsonString(buf, k.name)
		buf.WriteByte(':')
		if k.ref != nil {
			fieldJSON(buf, v, v.t.obj.Fields[k.ref.Field.Index])
			continue
		}
		pv := rec.parent(k.hops)
		if pv == nil {
			buf.WriteString("null")
			continue
		}
		c.writeQueryRecord(buf, rec, pv, k)
	}
	buf.WriteByte('}')
}

// columnMetadata answers query?columns=true (the sf CLI asks it).
func (c *call) columnMetadata(q *soql.Query, t *table) error {
	var col func(n *selNode, o *Object) map[string]any
	col = func(n *selNode, o *Object) map[string]any {
		if n.ref != nil {
			f := o.Fields[n.ref.Field.Index]
			apex := map[string]string{tBoolean: "Boolean", tInt: "Integer", tDouble: "Double", tCurrency: "Double", tPercent: "Double",
				tDate: "Date", tDatetime: "Datetime", tID: "Id", tReference: "Id"}[f.Type]
			if apex == "" {
				apex = "String"
			}
			return map[string]any{"aggregate": false, "apexType": apex, "booleanType": f.Type == tBoolean, "columnName": f.Name,
				"custom": f.Custom, "displayName": f.Name, "foreignKeyName": nil, "insertable": f.Createable, "joinColumns": []any{},
				"numberType": f.isNumber(), "textType": f.isText(), "updatable": f.Updateable}
		}
		target := c.s.schema.object(n.hops[len(n.hops)-1].Target)
		var joins []any
		for _, k := range n.kids {
			joins = append(joins, col(k, target))
		}
		return map[string]any{"aggregate": false, "apexType": nil, "booleanType": false, "columnName": n.name, "custom": false,
			"displayName": n.name, "foreignKeyName": nil, "insertable": false, "joinColumns": joins, "numberType": false,
			"textType": false, "updatable": false}
	}
	tree := selectTree(q.Fields)
	cols := []any{}
	idSelected := false
	for _, k := range tree.kids {
		cols = append(cols, col(k, t.obj))
		if k.ref != nil && k.ref.Field.Name == "Id" {
			idSelected = true
		}
	}
	writeJSON(c.w, 200, map[string]any{"columnMetadata": cols, "entityName": t.obj.Name, "groupBy": false,
		"idSelected": idSelected, "keyPrefix": t.obj.KeyPrefix})
	return nil
}
