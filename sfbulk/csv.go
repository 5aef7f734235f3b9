package sfbulk

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// RowParser reads RFC 4180 CSV as Bulk API 2.0 writes it (every value
// double-quoted, `""` for an embedded quote, newlines inside quotes, LF or
// CRLF line endings, any one-byte delimiter) from a string holding a whole
// results page. Unquoted fields are accepted too.
//
// It is faster than encoding/csv because the page is already in memory: a
// field without an escaped quote is a substring of the page (no copy, no
// allocation); only fields containing `""` are built anew. The consequence:
// a retained field keeps its whole page alive, so strings.Clone values that
// are kept long after the page is consumed, when memory matters.
//
// Unlike encoding/csv, a CR inside a quoted value is kept as is.
type RowParser struct {
	s      string
	pos    int
	line   int
	delim  byte
	fields []string
}

// NewRowParser returns a parser over data with the given delimiter (',' for
// the COMMA columnDelimiter).
func NewRowParser(data string, delim byte) *RowParser {
	return &RowParser{s: data, delim: delim, line: 1}
}

// Reset makes the parser read data from the start, keeping its buffers.
func (p *RowParser) Reset(data string) {
	p.s, p.pos, p.line = data, 0, 1
}

// Line is the 1-based line at which the next record starts.
func (p *RowParser) Line() int { return p.line }

// CSVError is a malformed CSV record.
type CSVError struct {
	Line int
	Msg  string
}

func (e *CSVError) Error() string { return fmt.Sprintf("csv line %d: %s", e.Line, e.Msg) }

// Next returns the next record, or io.EOF after the last. The returned slice
// is reused by the following call; the strings in it are not.
func (p *RowParser) Next() ([]string, error) {
	s, i, d := p.s, p.pos, p.delim
	// Skip empty lines, as encoding/csv does.
	for i < len(s) && (s[i] == '\n' || (s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n')) {
		if s[i] == '\r' {
			i++
		}
		i++
		p.line++
	}
	if i >= len(s) {
		p.pos = i
		return nil, io.EOF
	}
	f := p.fields[:0]
	startLine := p.line
	for {
		if i < len(s) && s[i] == '"' {
			start := i + 1
			j := strings.IndexByte(s[start:], '"')
			if j < 0 {
				p.pos = len(s)
				return nil, &CSVError{Line: startLine, Msg: "unterminated quoted field"}
			}
			j += start
			if j+1 < len(s) && s[j+1] == '"' {
				field, end, err := p.quotedSlow(start, startLine)
				if err != nil {
					p.pos = len(s)
					return nil, err
				}
				f = append(f, field)
				i = end
			} else {
				field := s[start:j]
				f = append(f, field)
				p.line += strings.Count(field, "\n")
				i = j + 1
			}
		} else {
			j := i
			for j < len(s) && s[j] != d && s[j] != '\n' {
				j++
			}
			field := s[i:j]
			if j < len(s) && s[j] == '\n' && len(field) > 0 && field[len(field)-1] == '\r' {
				field = field[:len(field)-1]
			}
			f = append(f, field)
			i = j
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c == d {
			i++
			if i >= len(s) { // trailing delimiter at end of input: one more empty field
				f = append(f, "")
				break
			}
			continue
		}
		if c == '\n' {
			i++
			p.line++
			break
		}
		if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i += 2
			p.line++
			break
		}
		p.pos = len(s)
		return nil, &CSVError{Line: p.line, Msg: fmt.Sprintf("unexpected %q after a quoted field", c)}
	}
	p.pos = i
	p.fields = f
	return f, nil
}

// quotedSlow reads a quoted field containing escaped quotes; start is just
// after the opening quote. It returns the value and the index after the
// closing quote.
func (p *RowParser) quotedSlow(start, startLine int) (string, int, error) {
	s := p.s
	var b strings.Builder
	i := start
	for {
		j := strings.IndexByte(s[i:], '"')
		if j < 0 {
			return "", 0, &CSVError{Line: startLine, Msg: "unterminated quoted field"}
		}
		j += i
		b.WriteString(s[i:j])
		if j+1 < len(s) && s[j+1] == '"' {
			b.WriteByte('"')
			i = j + 2
			continue
		}
		v := b.String()
		p.line += strings.Count(v, "\n")
		return v, j + 1, nil
	}
}

// completeCSV reports whether a page ends at a record boundary: an even
// number of quote characters (no quoted field left open) and, when non-empty,
// a final line ending. It is how a truncated download is told from a whole one
// before any of its rows are handed out.
func completeCSV(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[len(b)-1] != '\n' {
		return false
	}
	return bytes.Count(b, []byte{'"'})%2 == 0
}

// delimiterByte maps a Bulk 2.0 columnDelimiter name to its byte.
func delimiterByte(name string) (byte, error) {
	switch strings.ToUpper(name) {
	case "", "COMMA":
		return ',', nil
	case "TAB":
		return '\t', nil
	case "PIPE":
		return '|', nil
	case "SEMICOLON":
		return ';', nil
	case "CARET":
		return '^', nil
	case "BACKQUOTE":
		return '`', nil
	}
	return 0, fmt.Errorf("unknown column delimiter %q", name)
}
