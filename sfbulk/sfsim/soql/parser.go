package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Query is a parsed SOQL query. Parse fills the names as written; Resolve
// canonicalises them against a Schema and prepares the WHERE clause for Match.
type Query struct {
	Fields []FieldRef // the select list, in order; empty for COUNT()
	Count  bool       // SELECT COUNT()
	Object string     // the FROM object
	Where  Expr       // nil without WHERE
	// OrderBy lists the ORDER BY items, in order.
	OrderBy []Order
	Limit   int // -1 when absent
	Offset  int // -1 when absent

	src       string
	objectPos int
	resolved  bool
}

// FieldRef is a field path such as Name or Account.Owner.Email. Before
// Resolve, Path and Parts are as written; after, they carry the schema's
// spelling and the rest of the struct describes the path.
type FieldRef struct {
	Path  string   // "Account.Name"
	Parts []string // ["Account", "Name"]
	// Hops are the relationships walked from the query's object, one per
	// part but the last (none for a plain field).
	Hops []Hop
	// Object is the object that holds Field: the query's object, or the
	// target of the last hop.
	Object string
	// Field is the leaf field.
	Field Field

	pos int
}

// Hop is one relationship step of a field path: Contact's Account is
// {Name: "Account", Ref: AccountId, Target: "Account"}.
type Hop struct {
	Name   string // the relationship name, as the schema spells it
	Ref    Field  // the reference field holding the parent's id
	Target string // the parent object
	// Path is the relationship path up to and including this hop
	// ("Account", then "Account.Owner"): a ready key for caching parent
	// records per path without building strings per record.
	Path string
}

// Order is one ORDER BY item.
type Order struct {
	Field      FieldRef
	Desc       bool
	NullsFirst bool // explicit NULLS FIRST/LAST, or the default: first when ascending, last when descending
}

// Expr is a WHERE condition: *And, *Or, *Not or *Comparison.
type Expr interface{ isExpr() }

// And is true when all its terms are.
type And struct{ Terms []Expr }

// Or is true when any of its terms is.
type Or struct{ Terms []Expr }

// Not negates X.
type Not struct{ X Expr }

// Op is a comparison operator.
type Op uint8

// Comparison operators. <> parses as OpNe.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpGt
	OpLe
	OpGe
	OpIn
	OpNotIn
	OpLike
)

var opNames = [...]string{"=", "!=", "<", ">", "<=", ">=", "IN", "NOT IN", "LIKE"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Comparison compares a field with one literal, or with a list for IN and
// NOT IN.
type Comparison struct {
	Field  FieldRef
	Op     Op
	Values []Literal

	c compiled // set by Resolve
}

func (*And) isExpr()        {}
func (*Or) isExpr()         {}
func (*Not) isExpr()        {}
func (*Comparison) isExpr() {}

// LitKind is the kind of a literal.
type LitKind uint8

// Literal kinds.
const (
	LitString   LitKind = iota // 'text' (Text is the decoded value)
	LitNumber                  // 42, -1.5
	LitDate                    // 2024-03-01
	LitDateTime                // 2024-03-01T10:05:00Z
	LitNull                    // null
	LitTrue                    // true
	LitFalse                   // false
	LitDateFunc                // TODAY, LAST_N_DAYS:30 (Text is the upper-case name, N the parameter)
)

// Literal is a value in a comparison.
type Literal struct {
	Kind LitKind
	Text string
	N    int // the parameter of a LAST_N_DAYS:n style date literal

	raw string
	pos int
}

// reserved words cannot name a field (Salesforce's SOQL reserved list).
var reserved = map[string]bool{
	"AND": true, "ASC": true, "DESC": true, "EXCLUDES": true, "FIRST": true, "FROM": true,
	"GROUP": true, "HAVING": true, "IN": true, "INCLUDES": true, "LAST": true, "LIKE": true,
	"LIMIT": true, "NOT": true, "NULL": true, "NULLS": true, "OR": true, "SELECT": true,
	"WHERE": true, "WITH": true,
}

// dateFuncs are the supported date literals; true means it takes ":n".
var dateFuncs = map[string]bool{
	"YESTERDAY": false, "TODAY": false, "TOMORROW": false,
	"LAST_WEEK": false, "THIS_WEEK": false, "NEXT_WEEK": false,
	"LAST_MONTH": false, "THIS_MONTH": false, "NEXT_MONTH": false,
	"LAST_90_DAYS": false, "NEXT_90_DAYS": false,
	"LAST_YEAR": false, "THIS_YEAR": false, "NEXT_YEAR": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "N_DAYS_AGO": true,
	"LAST_N_WEEKS": true, "NEXT_N_WEEKS": true, "LAST_N_MONTHS": true, "NEXT_N_MONTHS": true,
}

// MaxLength is Salesforce's limit on the length of a SOQL statement, in
// characters; MaxNesting bounds how deep conditions nest (parentheses and
// NOT together), a simulator limit that keeps parsing and evaluation
// within a small, fixed stack.
const (
	MaxLength  = 100000
	MaxNesting = 1000
)

// Parse parses a SOQL query of the supported subset (see the package doc).
// Errors are *Error with code MALFORMED_QUERY (or NUMBER_OUTSIDE_VALID_RANGE
// for an OFFSET above 2000). A statement longer than MaxLength characters
// is refused before it is read, as Salesforce does (MALFORMED_QUERY "SOQL
// statements cannot be longer than 100000 characters"), and conditions
// nested deeper than MaxNesting with QUERY_TOO_COMPLICATED.
func Parse(soql string) (*Query, error) {
	q, err := parse(soql)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func parse(src string) (*Query, *Error) {
	if len(src) > MaxLength && utf8.RuneCountInString(src) > MaxLength {
		return nil, errAt(src, -1, CodeMalformedQuery, "SOQL statements cannot be longer than "+strconv.Itoa(MaxLength)+" characters")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	return p.query()
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int // conditions open around the current one (parentheses and NOT)
}

// nest enters one more level of condition at token t; the caller calls
// p.depth-- when it leaves it.
func (p *parser) nest(t token) *Error {
	if p.depth >= MaxNesting {
		return errAt(p.src, t.pos, CodeQueryTooComplicated, "Query is too complicated: conditions nested more than "+strconv.Itoa(MaxNesting)+" levels deep")
	}
	p.depth++
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func isKw(t token, kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func (p *parser) unexpected(t token) *Error { return unexpectedToken(p.src, t) }

func (p *parser) expectKw(kw string) *Error {
	if t := p.next(); !isKw(t, kw) {
		return p.unexpected(t)
	}
	return nil
}

func (p *parser) expect(k tokKind) (token, *Error) {
	t := p.next()
	if t.kind != k {
		return t, p.unexpected(t)
	}
	return t, nil
}

func (p *parser) query() (*Query, *Error) {
	q := &Query{src: p.src, Limit: -1, Offset: -1}
	if err := p.expectKw("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.expectKw("FROM"); err != nil {
		return nil, err
	}
	obj := p.next()
	if up := strings.ToUpper(obj.text); obj.kind != tokIdent || (reserved[up] && up != "GROUP") || strings.Contains(obj.text, ".") {
		return nil, p.unexpected(obj)
	}
	q.Object, q.objectPos = obj.text, obj.pos

	t := p.peek()
	if err := p.unsupportedClause(t, "USING", "WITH", "GROUP", "HAVING", "FOR", "ALL"); err != nil {
		return nil, err
	}
	if isKw(t, "WHERE") {
		p.next()
		w, err := p.condition()
		if err != nil {
			return nil, err
		}
		q.Where = w
		t = p.peek()
	}
	if err := p.unsupportedClause(t, "WITH", "GROUP", "HAVING", "FOR", "ALL"); err != nil {
		return nil, err
	}
	if isKw(t, "ORDER") {
		p.next()
		if err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		for {
			o, err := p.orderItem()
			if err != nil {
				return nil, err
			}
			q.OrderBy = append(q.OrderBy, o)
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
		t = p.peek()
	}
	if isKw(t, "LIMIT") {
		p.next()
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		q.Limit = n
		t = p.peek()
	}
	if isKw(t, "OFFSET") {
		p.next()
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		if n > maxOffset {
			return nil, errAt(p.src, -1, CodeNumberOutsideRange, "Maximum SOQL offset allowed is "+strconv.Itoa(maxOffset))
		}
		q.Offset = n
		t = p.peek()
	}
	if err := p.unsupportedClause(t, "FOR", "ALL", "UPDATE"); err != nil {
		return nil, err
	}
	if t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

// unsupportedClause reports a clause Salesforce knows but this subset does
// not, so the caller hears "unsupported" rather than a bare syntax error.
func (p *parser) unsupportedClause(t token, kws ...string) *Error {
	for _, kw := range kws {
		if isKw(t, kw) {
			return unsupported(p.src, t.pos, strings.ToUpper(kw)+" clause")
		}
	}
	return nil
}

func (p *parser) selectList(q *Query) *Error {
	t := p.peek()
	if isKw(t, "COUNT") && p.peekAt(1).kind == tokLParen {
		p.next()
		p.next()
		if in := p.peek(); in.kind != tokRParen {
			if in.kind == tokIdent {
				return unsupported(p.src, t.pos, "COUNT(field) aggregate (only COUNT() is supported)")
			}
			return p.unexpected(in)
		}
		p.next()
		q.Count = true
		if c := p.peek(); c.kind == tokComma {
			return p.unexpected(c)
		}
		return nil
	}
	for {
		f, err := p.selectItem()
		if err != nil {
			return err
		}
		q.Fields = append(q.Fields, f)
		if p.peek().kind != tokComma {
			return nil
		}
		p.next()
	}
}

func (p *parser) selectItem() (FieldRef, *Error) {
	t := p.peek()
	switch {
	case t.kind == tokLParen:
		if isKw(p.peekAt(1), "SELECT") {
			return FieldRef{}, unsupported(p.src, t.pos, "parent-child subquery")
		}
	case t.kind == tokIdent && p.peekAt(1).kind == tokLParen:
		name := strings.ToUpper(t.text)
		switch name {
		case "FIELDS":
			return FieldRef{}, unsupported(p.src, t.pos, "FIELDS() (list the fields explicitly)")
		case "COUNT":
			return FieldRef{}, unsupported(p.src, t.pos, "COUNT(field) aggregate (only COUNT() is supported)")
		}
		return FieldRef{}, unsupported(p.src, t.pos, "function "+name+"()")
	case isKw(t, "TYPEOF"):
		return FieldRef{}, unsupported(p.src, t.pos, "TYPEOF")
	}
	return p.field()
}

func (p *parser) field() (FieldRef, *Error) {
	t := p.next()
	if t.kind != tokIdent || reserved[strings.ToUpper(t.text)] {
		return FieldRef{}, p.unexpected(t)
	}
	return FieldRef{Path: t.text, Parts: strings.Split(t.text, "."), pos: t.pos}, nil
}

func (p *parser) count() (int, *Error) {
	t := p.next()
	if t.kind != tokNumber || !digits(t.text) {
		return 0, p.unexpected(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n > maxLimit {
		return 0, errAt(p.src, t.pos, CodeMalformedQuery, "numeric value out of range: "+t.text)
	}
	return n, nil
}

func (p *parser) orderItem() (Order, *Error) {
	t := p.peek()
	if t.kind == tokIdent && p.peekAt(1).kind == tokLParen {
		return Order{}, unsupported(p.src, t.pos, "function "+strings.ToUpper(t.text)+"() in ORDER BY")
	}
	f, err := p.field()
	if err != nil {
		return Order{}, err
	}
	o := Order{Field: f}
	if t := p.peek(); isKw(t, "ASC") {
		p.next()
	} else if isKw(t, "DESC") {
		p.next()
		o.Desc = true
	}
	o.NullsFirst = !o.Desc
	if isKw(p.peek(), "NULLS") {
		p.next()
		switch t := p.next(); {
		case isKw(t, "FIRST"):
			o.NullsFirst = true
		case isKw(t, "LAST"):
			o.NullsFirst = false
		default:
			return Order{}, p.unexpected(t)
		}
	}
	return o, nil
}

// condition parses terms joined by AND or by OR; as in Salesforce, mixing
// the two at one level without parentheses is a syntax error.
func (p *parser) condition() (Expr, *Error) {
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	joiner := ""
	for {
		t := p.peek()
		var kw string
		switch {
		case isKw(t, "AND"):
			kw = "AND"
		case isKw(t, "OR"):
			kw = "OR"
		default:
			if len(terms) == 1 {
				return first, nil
			}
			if joiner == "AND" {
				return &And{Terms: terms}, nil
			}
			return &Or{Terms: terms}, nil
		}
		if joiner != "" && joiner != kw {
			return nil, p.unexpected(t)
		}
		joiner = kw
		p.next()
		x, err := p.term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, x)
	}
}

func (p *parser) term() (Expr, *Error) {
	t := p.peek()
	switch {
	case isKw(t, "NOT"):
		if err := p.nest(t); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.term()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case t.kind == tokLParen:
		if err := p.nest(t); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.condition()
		p.depth--
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return x, nil
	case t.kind == tokIdent && p.peekAt(1).kind == tokLParen:
		return nil, unsupported(p.src, t.pos, "function "+strings.ToUpper(t.text)+"() in WHERE")
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, *Error) {
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Field: f}
	t := p.next()
	switch {
	case t.kind == tokOp:
		c.Op = scalarOp(t.text)
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.Values = []Literal{v}
	case isKw(t, "LIKE"):
		c.Op = OpLike
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if v.Kind != LitString && v.Kind != LitNull {
			return nil, p.unexpected(p.toks[p.i-1])
		}
		c.Values = []Literal{v}
	case isKw(t, "IN"):
		c.Op = OpIn
		if c.Values, err = p.list(); err != nil {
			return nil, err
		}
	case isKw(t, "NOT"):
		if in := p.next(); !isKw(in, "IN") {
			return nil, p.unexpected(in)
		}
		c.Op = OpNotIn
		if c.Values, err = p.list(); err != nil {
			return nil, err
		}
	case isKw(t, "INCLUDES"), isKw(t, "EXCLUDES"):
		return nil, unsupported(p.src, t.pos, strings.ToUpper(t.text)+" (multi-select picklists)")
	default:
		return nil, p.unexpected(t)
	}
	return c, nil
}

func scalarOp(s string) Op {
	switch s {
	case "!=":
		return OpNe
	case "<":
		return OpLt
	case ">":
		return OpGt
	case "<=":
		return OpLe
	case ">=":
		return OpGe
	}
	return OpEq
}

func (p *parser) list() ([]Literal, *Error) {
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	if t := p.peek(); isKw(t, "SELECT") {
		return nil, unsupported(p.src, t.pos, "semi-join subquery")
	}
	var vals []Literal
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		t := p.next()
		if t.kind == tokRParen {
			return vals, nil
		}
		if t.kind != tokComma {
			return nil, p.unexpected(t)
		}
	}
}

func (p *parser) value() (Literal, *Error) {
	t := p.next()
	l := Literal{Text: t.text, raw: t.raw, pos: t.pos}
	switch t.kind {
	case tokString:
		l.Kind = LitString
	case tokNumber:
		l.Kind = LitNumber
	case tokDate:
		if _, ok := parseDate(t.text); !ok {
			return l, p.unexpected(t)
		}
		l.Kind = LitDate
	case tokDateTime:
		if _, ok := parseDateTime(t.text); !ok {
			return l, p.unexpected(t)
		}
		l.Kind = LitDateTime
	case tokIdent:
		name := strings.ToUpper(t.text)
		switch name {
		case "NULL":
			l.Kind = LitNull
		case "TRUE":
			l.Kind = LitTrue
		case "FALSE":
			l.Kind = LitFalse
		default:
			takesN, ok := dateFuncs[name]
			if !ok {
				return l, p.unexpected(t)
			}
			l.Kind, l.Text = LitDateFunc, name
			if takesN {
				if _, err := p.expect(tokColon); err != nil {
					return l, err
				}
				n, err := p.count()
				if err != nil {
					return l, err
				}
				l.N = n
				l.raw = p.src[t.pos : p.toks[p.i-1].pos+len(p.toks[p.i-1].raw)]
			}
		}
	default:
		return l, p.unexpected(t)
	}
	return l, nil
}
