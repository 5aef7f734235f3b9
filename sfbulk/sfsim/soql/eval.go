package soql

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Record gives Match and Compare the values of one record. Value returns
// the value of a resolved field path (walking f.Hops to parent records as
// needed) in its wire form: text as is, ids, "true"/"false", numbers in
// decimal, dates as YYYY-MM-DD, date-times as ISO 8601 with a zone. null is
// true when the field, or a parent on the path, is null; for text and id
// fields an empty string counts as null too, since Salesforce stores none.
type Record interface {
	Value(f *FieldRef) (v string, null bool)
}

// Match reports whether r satisfies the query's WHERE clause (true without
// one). The query must have been resolved. Match does not allocate in the
// common case and is safe for concurrent use.
func (q *Query) Match(r Record) bool {
	if q.Where == nil {
		return true
	}
	if !q.resolved {
		panic("soql: Match on a query that was not resolved")
	}
	return eval(q.Where, r)
}

func eval(e Expr, r Record) bool {
	switch e := e.(type) {
	case *Comparison:
		return e.match(r)
	case *And:
		for _, t := range e.Terms {
			if !eval(t, r) {
				return false
			}
		}
		return true
	case *Or:
		for _, t := range e.Terms {
			if eval(t, r) {
				return true
			}
		}
		return false
	case *Not:
		return !eval(e.X, r)
	}
	return false
}

// isNull applies the per-type null rules to a record value.
func isNull(t Type, v string, null bool) bool {
	if null {
		return true
	}
	return v == "" && (t == TypeString || t == TypeID)
}

func (c *Comparison) match(r Record) bool {
	cc := &c.c
	v, null := r.Value(&c.Field)
	if cc.typ == TypeBoolean && isNull(TypeString, v, null) {
		v, null = "false", false // booleans are never null in Salesforce
	}
	if isNull(cc.typ, v, null) {
		switch c.Op {
		case OpEq, OpIn:
			return cc.hasNull
		case OpNe, OpNotIn:
			return !cc.hasNull
		}
		return false
	}
	switch c.Op {
	case OpEq:
		return !cc.hasNull && cc.equalAny(v)
	case OpNe:
		return cc.hasNull || !cc.equalAny(v)
	case OpIn:
		return cc.equalAny(v)
	case OpNotIn:
		return !cc.equalAny(v)
	case OpLike:
		return !cc.hasNull && cc.like.match(v)
	}
	if cc.hasNull {
		return false // ordering against null matches nothing
	}
	return cc.order(c.Op, v)
}

// equalAny reports whether the non-null value v equals one of the literals.
func (cc *compiled) equalAny(v string) bool {
	switch cc.typ {
	case TypeString:
		if cc.set != nil && len(v) <= 256 && isASCII(v) {
			var buf [256]byte
			b := buf[:len(v)]
			for i := 0; i < len(v); i++ {
				c := v[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[i] = c
			}
			_, ok := cc.set[string(b)]
			return ok
		}
		for _, s := range cc.strs {
			if strings.EqualFold(s, v) {
				return true
			}
		}
	case TypeID:
		if len(v) < 15 {
			return false
		}
		key := v[:15]
		if cc.set != nil {
			_, ok := cc.set[key]
			return ok
		}
		for _, s := range cc.strs {
			if s == key {
				return true
			}
		}
	case TypeBoolean:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, x := range cc.bools {
			if x == b {
				return true
			}
		}
	case TypeInteger, TypeDouble:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, n := range cc.nums {
			if n == x {
				return true
			}
		}
	case TypeDate, TypeDateTime:
		ms, ok := parseInstant(v)
		if !ok {
			return false
		}
		for _, sp := range cc.ranges {
			if ms >= sp.lo && ms < sp.hi {
				return true
			}
		}
	}
	return false
}

// order evaluates <, >, <= or >= against the single literal.
func (cc *compiled) order(op Op, v string) bool {
	var cmp int // sign of value - literal; for ranges relative to [lo, hi)
	switch cc.typ {
	case TypeString:
		if len(cc.strs) == 0 {
			return false
		}
		cmp = compareFold(v, cc.strs[0])
	case TypeID:
		if len(cc.strs) == 0 || len(v) < 15 {
			return false
		}
		cmp = strings.Compare(v[:15], cc.strs[0])
	case TypeInteger, TypeDouble:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || len(cc.nums) == 0 {
			return false
		}
		cmp = compareFloat(x, cc.nums[0])
	case TypeDate, TypeDateTime:
		ms, ok := parseInstant(v)
		if !ok || len(cc.ranges) == 0 {
			return false
		}
		sp := cc.ranges[0]
		switch op {
		case OpLt:
			return ms < sp.lo
		case OpLe:
			return ms < sp.hi
		case OpGt:
			return ms >= sp.hi
		case OpGe:
			return ms >= sp.lo
		}
		return false
	default:
		return false
	}
	switch op {
	case OpLt:
		return cmp < 0
	case OpLe:
		return cmp <= 0
	case OpGt:
		return cmp > 0
	case OpGe:
		return cmp >= 0
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseBool(v string) (bool, bool) {
	switch {
	case strings.EqualFold(v, "true") || v == "1":
		return true, true
	case strings.EqualFold(v, "false") || v == "0":
		return false, true
	}
	return false, false
}

// compareFold compares a and b case-insensitively, rune by rune.
func compareFold(a, b string) int {
	for len(a) > 0 && len(b) > 0 {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		ra, rb = unicode.ToLower(ra), unicode.ToLower(rb)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case len(a) > 0:
		return 1
	case len(b) > 0:
		return -1
	}
	return 0
}

// Compare orders two records by the query's ORDER BY: negative when a sorts
// before b, positive after, zero when the ORDER BY does not tell them apart
// (use a stable sort to keep the natural order). Nulls go first or last as
// each item says. The query must have been resolved.
func (q *Query) Compare(a, b Record) int {
	for i := range q.OrderBy {
		o := &q.OrderBy[i]
		t := o.Field.Field.Type
		va, na := a.Value(&o.Field)
		vb, nb := b.Value(&o.Field)
		if t == TypeBoolean {
			na, nb = false, false // booleans are never null: parseBool reads "" as false
		}
		na, nb = isNull(t, va, na), isNull(t, vb, nb)
		switch {
		case na && nb:
			continue
		case na || nb:
			if na == o.NullsFirst {
				return -1
			}
			return 1
		}
		c := compareValues(t, va, vb)
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func compareValues(t Type, a, b string) int {
	switch t {
	case TypeString:
		return compareFold(a, b)
	case TypeBoolean:
		x, _ := parseBool(a)
		y, _ := parseBool(b)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case TypeInteger, TypeDouble:
		x, errX := strconv.ParseFloat(a, 64)
		y, errY := strconv.ParseFloat(b, 64)
		if errX == nil && errY == nil {
			return compareFloat(x, y)
		}
	case TypeDate, TypeDateTime:
		x, okX := parseInstant(a)
		y, okY := parseInstant(b)
		if okX && okY {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}

// likePattern is a compiled LIKE pattern: segments separated by %, each a
// run of literal runes and _ (any one rune). anchoredStart/End say whether
// the pattern does not begin/end with %.
type likePattern struct {
	segs          [][]likeRune
	anchoredStart bool
	anchoredEnd   bool
}

type likeRune struct {
	r   rune
	any bool // _
}

// compileLike compiles a pattern in decodeString's LIKE form (a backslash
// before a literal %, _ or backslash).
func compileLike(p string) likePattern {
	lp := likePattern{anchoredStart: true, anchoredEnd: true}
	var seg []likeRune
	first := true
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		switch r {
		case '\\':
			r, n = utf8.DecodeRuneInString(p[i:])
			i += n
			seg = append(seg, likeRune{r: r})
		case '_':
			seg = append(seg, likeRune{any: true})
		case '%':
			if first && len(seg) == 0 {
				lp.anchoredStart = false
			}
			lp.segs = append(lp.segs, seg)
			seg = nil
			if i == len(p) {
				lp.anchoredEnd = false
			}
		default:
			seg = append(seg, likeRune{r: r})
		}
		first = false
	}
	if lp.anchoredEnd {
		lp.segs = append(lp.segs, seg)
	}
	return lp
}

// match reports whether the whole of v matches, case-insensitively.
func (lp *likePattern) match(v string) bool {
	segs := lp.segs
	if len(segs) == 0 {
		return v == "" || !lp.anchoredEnd
	}
	if lp.anchoredStart {
		n, ok := matchAt(segs[0], v)
		if !ok {
			return false
		}
		if len(segs) == 1 && lp.anchoredEnd {
			return n == len(v)
		}
		v, segs = v[n:], segs[1:]
	}
	last := -1
	if lp.anchoredEnd {
		last = len(segs) - 1
	}
	for i, seg := range segs {
		if i == last {
			// The final segment must match exactly the end of v.
			start, ok := suffixStart(v, len(seg))
			if !ok {
				return false
			}
			n, ok := matchAt(seg, v[start:])
			return ok && start+n == len(v)
		}
		found := false
		for off := 0; off <= len(v); {
			if n, ok := matchAt(seg, v[off:]); ok {
				v, found = v[off+n:], true
				break
			}
			if off == len(v) {
				break
			}
			_, w := utf8.DecodeRuneInString(v[off:])
			off += w
		}
		if !found {
			return false
		}
	}
	return true
}

// matchAt matches seg at the start of v, returning the bytes consumed.
func matchAt(seg []likeRune, v string) (int, bool) {
	n := 0
	for _, lr := range seg {
		if n >= len(v) {
			return 0, false
		}
		r, w := utf8.DecodeRuneInString(v[n:])
		if !lr.any && !foldEq(lr.r, r) {
			return 0, false
		}
		n += w
	}
	return n, true
}

// suffixStart returns the byte offset where the last k runes of v start.
func suffixStart(v string, k int) (int, bool) {
	i := len(v)
	for ; k > 0; k-- {
		if i == 0 {
			return 0, false
		}
		_, w := utf8.DecodeLastRuneInString(v[:i])
		i -= w
	}
	return i, true
}

func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	return unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}
