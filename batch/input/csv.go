package input

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// csvScanner reads RFC 4180 records one at a time without holding the file
// in memory. Unlike encoding/csv it keeps what a reject report needs: the
// physical line where a record starts, the record's raw bytes, and whether
// its quoting was malformed — and it goes on after a bad record instead of
// losing its place. Fields are slices of the record's bytes (or, for
// fields with "" escapes, of an unescaping buffer), so a single-line record
// is parsed without copying.
type csvScanner struct {
	br   *bufio.Reader
	line int   // physical lines consumed so far
	off  int64 // bytes consumed so far

	// The current record, valid until the next call to next.
	start    int    // physical line of the record's first byte (header = 1)
	raw      []byte // the record's bytes without the final line break
	fields   [][]byte
	badQuote bool // a quote inside an unquoted field, text after a closing quote, or an unterminated quote

	rawBuf  []byte // raw of a multi-line record (lines joined with \n)
	buf     []byte // unescaped bytes of fields with "" escapes
	spans   []span
	lineBuf []byte
	first   bool
}

// span is one field of the current record: raw[start:end], or, when esc,
// the same bytes with "" unescaped.
type span struct {
	start, end int
	esc        bool
}

// maxRecordBytes bounds one record (an unterminated quote would otherwise
// swallow the rest of the file into memory).
const maxRecordBytes = 4 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newCSVScanner(r io.Reader) *csvScanner {
	return &csvScanner{br: bufio.NewReaderSize(r, 1<<20), first: true}
}

// readLine returns the next physical line including its '\n' (absent at
// EOF), or io.EOF when nothing is left.
func (s *csvScanner) readLine() ([]byte, error) {
	l, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.lineBuf = append(s.lineBuf[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = s.br.ReadSlice('\n')
			s.lineBuf = append(s.lineBuf, l...)
		}
		l = s.lineBuf
	}
	if len(l) > 0 {
		s.line++
		s.off += int64(len(l))
		if s.first {
			s.first = false
			l = bytes.TrimPrefix(l, utf8BOM)
		}
		if err == io.EOF {
			err = nil
		}
		return l, err
	}
	if err == nil {
		err = io.EOF
	}
	return nil, err
}

// next reads one record. Blank lines between records are skipped. It
// returns io.EOF at the end of the input.
func (s *csvScanner) next() error {
	s.raw, s.spans, s.badQuote = nil, s.spans[:0], false
	var (
		multi      bool // the record spans lines; raw is rawBuf
		inQuotes   bool
		afterQuote bool // just closed a quoted field
		quoted     bool // the current field is quoted
		esc        bool // the current field has "" escapes
		fieldStart = true
		fstart     int // current field's first byte (after the opening quote if quoted)
		fend       int // closing quote position of a quoted field
	)
	endField := func(pos int) {
		if quoted {
			s.spans = append(s.spans, span{fstart, fend, esc})
		} else {
			s.spans = append(s.spans, span{fstart, pos, false})
		}
		quoted, esc, afterQuote, fieldStart = false, false, false, true
		fstart = pos + 1
	}
	for {
		l, err := s.readLine()
		if err != nil {
			if err == io.EOF && s.raw != nil {
				// EOF inside a quoted field: unterminated.
				s.badQuote = true
				fend = len(s.raw)
				endField(len(s.raw))
				s.build()
				return nil
			}
			return err
		}
		content := l
		if n := len(content); n > 0 && content[n-1] == '\n' {
			content = content[:n-1]
			if n := len(content); n > 0 && content[n-1] == '\r' {
				content = content[:n-1]
			}
		}
		base := 0
		if s.raw == nil {
			if len(content) == 0 {
				continue // blank line between records
			}
			s.start = s.line
			s.raw = content // aliases the reader's buffer until the next read
		} else {
			s.rawBuf = append(s.rawBuf, '\n')
			base = len(s.rawBuf)
			s.rawBuf = append(s.rawBuf, content...)
			s.raw = s.rawBuf
		}
		n := len(content)
		for i := 0; i < n; {
			if inQuotes {
				k := bytes.IndexByte(content[i:], '"')
				if k < 0 {
					break // the quoted field goes on past this line
				}
				i += k
				if i+1 < n && content[i+1] == '"' {
					esc = true
					i += 2
					continue
				}
				inQuotes, afterQuote = false, true
				fend = base + i
				i++
				continue
			}
			switch content[i] {
			case ',':
				endField(base + i)
				i++
			case '"':
				if fieldStart {
					inQuotes, quoted, fieldStart = true, true, false
					fstart = base + i + 1
				} else {
					s.badQuote = true
				}
				i++
			default:
				if afterQuote {
					s.badQuote = true
				}
				fieldStart = false
				i++
				for i < n && content[i] != ',' && content[i] != '"' {
					i++
				}
			}
		}
		if !inQuotes {
			endField(len(s.raw))
			s.build()
			return nil
		}
		if !multi {
			// The next read overwrites the reader's buffer: keep a copy.
			multi = true
			s.rawBuf = append(s.rawBuf[:0], s.raw...)
			s.raw = s.rawBuf
		}
		if len(s.rawBuf) > maxRecordBytes {
			s.badQuote = true
			fend = len(s.raw)
			endField(len(s.raw))
			s.build()
			return nil
		}
	}
}

// countRows counts the physical lines left that have at least ncols-1
// commas: every record of ncols fields written on one line is one of them,
// while blank lines, short junk lines and the continuation lines of a
// quoted line break are not. It is an upper bound on the rows a file of
// single-line records can keep that the bytes themselves confirm (each
// counted line is at least ncols-1 bytes long), and costs one pass over
// the bytes without parsing; records with quoted line breaks may be
// undercounted, which only means growing later.
func (s *csvScanner) countRows(ncols int) int {
	n, commas, content := 0, 0, false
	for {
		l, err := s.br.ReadSlice('\n')
		commas += bytes.Count(l, []byte{','})
		for _, c := range l {
			if c != '\r' && c != '\n' {
				content = true
				break
			}
		}
		if err == bufio.ErrBufferFull {
			continue // the same line goes on
		}
		if content && commas >= ncols-1 {
			n++
		}
		commas, content = 0, false
		if err != nil {
			return n
		}
	}
}

// build turns the spans of the current record into fields.
func (s *csvScanner) build() {
	s.buf = s.buf[:0]
	type cut struct{ a, b int }
	var cuts [64]cut
	esc := cuts[:0]
	for _, sp := range s.spans {
		if sp.esc {
			a := len(s.buf)
			v := s.raw[sp.start:sp.end]
			for len(v) > 0 {
				k := bytes.Index(v, []byte(`""`))
				if k < 0 {
					s.buf = append(s.buf, v...)
					break
				}
				s.buf = append(s.buf, v[:k+1]...)
				v = v[k+2:]
			}
			esc = append(esc, cut{a, len(s.buf)})
		}
	}
	s.fields = s.fields[:0]
	e := 0
	for _, sp := range s.spans {
		if sp.esc {
			c := esc[e]
			e++
			s.fields = append(s.fields, s.buf[c.a:c.b:c.b])
		} else {
			s.fields = append(s.fields, s.raw[sp.start:sp.end:sp.end])
		}
	}
}

// validUTF8 reports whether the current record is valid UTF-8.
func (s *csvScanner) validUTF8() bool { return utf8.Valid(s.raw) }

var errNoHeader = errors.New("empty file: no header row")
