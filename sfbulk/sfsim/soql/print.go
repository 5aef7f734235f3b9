package soql

import (
	"strconv"
	"strings"
)

// String prints q as SOQL: keywords in upper case, names and literals as
// written (or as Resolve spelled the names), every AND or OR group inside
// another condition in parentheses, NULLS FIRST or LAST always explicit.
// Parse(q.String()) gives back an equal query, nested no deeper than q's
// source.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.Count {
		b.WriteString("COUNT()")
	}
	for i, f := range q.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Path)
	}
	b.WriteString(" FROM ")
	b.WriteString(q.Object)
	if q.Where != nil {
		b.WriteString(" WHERE ")
		writeExpr(&b, q.Where)
	}
	for i, o := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.Field.Path)
		if o.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		if o.NullsFirst {
			b.WriteString(" NULLS FIRST")
		} else {
			b.WriteString(" NULLS LAST")
		}
	}
	if q.Limit >= 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.Limit))
	}
	if q.Offset >= 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(q.Offset))
	}
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *And:
		writeTerms(b, " AND ", e.Terms)
	case *Or:
		writeTerms(b, " OR ", e.Terms)
	case *Not:
		b.WriteString("NOT ")
		writeTerm(b, e.X)
	case *Comparison:
		writeComparison(b, e)
	}
}

func writeTerms(b *strings.Builder, op string, terms []Expr) {
	for i, t := range terms {
		if i > 0 {
			b.WriteString(op)
		}
		writeTerm(b, t)
	}
}

// writeTerm writes e as an operand: AND and OR groups in parentheses.
func writeTerm(b *strings.Builder, e Expr) {
	switch e.(type) {
	case *And, *Or:
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
	default:
		writeExpr(b, e)
	}
}

func writeComparison(b *strings.Builder, c *Comparison) {
	b.WriteString(c.Field.Path)
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	if c.Op == OpIn || c.Op == OpNotIn {
		b.WriteByte('(')
		for i, v := range c.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			writeLiteral(b, v)
		}
		b.WriteByte(')')
		return
	}
	if len(c.Values) > 0 {
		writeLiteral(b, c.Values[0])
	}
}

// writeLiteral writes a literal as it was written; one built by hand
// (without source text) is written from its kind and text.
func writeLiteral(b *strings.Builder, l Literal) {
	if l.raw != "" {
		b.WriteString(l.raw)
		return
	}
	switch l.Kind {
	case LitString:
		b.WriteString(Quote(l.Text))
	case LitNull:
		b.WriteString("null")
	case LitTrue:
		b.WriteString("true")
	case LitFalse:
		b.WriteString("false")
	case LitDateFunc:
		b.WriteString(l.Text)
		if dateFuncs[l.Text] {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(l.N))
		}
	default:
		b.WriteString(l.Text)
	}
}
