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
	raw      []byte // the record's bytes without the final line break (a too long one's first MaxRawBytes)
	fields   [][]byte
	badQuote bool // a quote inside an unquoted field, text after a closing quote, or an unterminated quote
	// unterminated: a quoted field was never closed, so the record ran to
	// the end of the input. tooLong: the record passed maxRecordBytes and
	// was skipped to its real end without keeping its fields.
	unterminated, tooLong bool
	end                   int // physical line of the record's last byte

	rawBuf  []byte // raw of a multi-line record (lines joined with \n)
	buf     []byte // unescaped bytes of fields with "" escapes
	spans   []span
	lineBuf []byte
	cut     bool // the line readLine returned goes on: it passed maxRecordBytes
	first   bool
}

// span is one field of the current record: raw[start:end], or, when esc,
// the same bytes with "" unescaped.
type span struct {
	start, end int
	esc        bool
}

// maxRecordBytes bounds one record, on one line or several (an unterminated
// quote would otherwise swallow the rest of the file into memory). A longer
// record is skipped to its real end (skipRecord) and rejected whole.
const maxRecordBytes = 4 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newCSVScanner(r io.Reader) *csvScanner { return newCSVScannerSize(r, 1<<20) }

// newCSVScannerSize reads r, of about size bytes, through a buffer of at
// most 1 MiB and not much larger than the input.
func newCSVScannerSize(r io.Reader, size int64) *csvScanner {
	n := int(min(max(size+16, 4<<10), 1<<20))
	br := bufio.NewReaderSize(r, n)
	if head, err := br.Peek(min(crPeek, n)); crLineEnds(head, err == io.EOF) {
		// Lines end in a lone CR (Excel's "CSV (Macintosh)"): read every
		// CR as LF, quoted line breaks included, so they read as LF files.
		br = bufio.NewReaderSize(crToLF{br}, n)
	}
	return &csvScanner{br: br, first: true}
}

// crPeek is how much of a file's start is looked at for its line ends.
const crPeek = 64 << 10

// crLineEnds reports whether the first line break of head outside quotes
// is a CR not followed by LF. eof says head is the whole input.
func crLineEnds(head []byte, eof bool) bool {
	inQuotes := false
	for i, c := range head {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case inQuotes:
		case c == '\n':
			return false
		case c == '\r':
			if i+1 < len(head) {
				return head[i+1] != '\n'
			}
			return !eof // a CR at the end of the look: a CR file if more follows
		}
	}
	return false
}

// crToLF reads CR bytes as LF.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// readLine returns the next physical line including its '\n' (absent at
// EOF), or io.EOF when nothing is left. A line longer than maxRecordBytes
// is returned in part, without its '\n', with s.cut set: the rest is
// still to be read.
func (s *csvScanner) readLine() ([]byte, error) {
	s.cut = false
	l, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.lineBuf = append(s.lineBuf[:0], l...)
		for err == bufio.ErrBufferFull && len(s.lineBuf) <= maxRecordBytes {
			l, err = s.br.ReadSlice('\n')
			s.lineBuf = append(s.lineBuf, l...)
		}
		if err == bufio.ErrBufferFull {
			s.cut, err = true, nil
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
	s.unterminated, s.tooLong = false, false
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
				s.badQuote, s.unterminated = true, true
				fend = len(s.raw)
				endField(len(s.raw))
				s.build()
				s.end = s.line
				return nil
			}
			return err
		}
		content := l
		if n := len(content); n > 0 && content[n-1] == '\n' {
			content = content[:n-1]
		}
		if n := len(content); n > 0 && content[n-1] == '\r' && !s.cut {
			content = content[:n-1] // CRLF, or a last line ending in CR without LF
		}
		base := 0
		if s.raw == nil {
			if len(content) == 0 && !s.cut {
				continue // blank line between records
			}
			s.start = s.line
			if s.cut || len(content) > maxRecordBytes {
				return s.skipRecord(stFieldStart, l, nil)
			}
			s.raw = content // aliases the reader's buffer until the next read
		} else {
			if s.cut || len(s.rawBuf)+1+len(content) > maxRecordBytes {
				return s.skipRecord(stQuoted, l, s.rawBuf)
			}
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
			s.end = s.line
			return nil
		}
		if !multi {
			// The next read overwrites the reader's buffer: keep a copy.
			multi = true
			s.rawBuf = append(s.rawBuf[:0], s.raw...)
			s.raw = s.rawBuf
		}
	}
}

// States of skipRecord's reading of CSV syntax, byte by byte.
const (
	stFieldStart = iota // at the start of a field
	stUnquoted          // inside an unquoted field (a stray quote does not open one)
	stQuoted            // inside a quoted field
	stQuote             // a quote inside a quoted field: it closes the field or starts ""
)

// skipRecord reads an over-long record to its real end without keeping it,
// so that the text of a long quoted field never becomes rows: line is the
// physical line where the cap was passed, not yet parsed, to be read from
// state st (stFieldStart at a record's first line, stQuoted on a line
// inside a quoted field), and before holds the record's earlier lines.
// The record becomes one with no fields, tooLong, whose raw is its first
// MaxRawBytes; unterminated when the input ended inside a quoted field.
func (s *csvScanner) skipRecord(st int, line, before []byte) error {
	raw := append(s.rawBuf[:0], before...)
	if len(before) > 0 {
		raw = append(raw, '\n')
	}
	keep := MaxRawBytes + utf8.UTFMax // rawText cuts it at a rune boundary
	if n := keep - len(raw); n > 0 {
		raw = append(raw, line[:min(n, len(line))]...)
	}
	s.rawBuf = raw[:min(len(raw), keep)]
	s.raw, s.spans, s.fields = s.rawBuf, s.spans[:0], s.fields[:0]
	s.tooLong = true

	data := line
	newLine := !s.cut // whether the next bytes read start a physical line
	for {
		for i := 0; i < len(data); i++ {
			c := data[i]
			switch st {
			case stQuoted:
				k := bytes.IndexByte(data[i:], '"')
				if k < 0 {
					i = len(data)
					continue
				}
				i += k
				st = stQuote
			case stQuote:
				switch c {
				case '"':
					st = stQuoted
				case ',':
					st = stFieldStart
				case '\n':
					s.end = s.line
					return nil
				default:
					st = stUnquoted
				}
			case stFieldStart, stUnquoted:
				switch c {
				case '"':
					if st == stFieldStart {
						st = stQuoted
					}
				case ',':
					st = stFieldStart
				case '\n':
					s.end = s.line
					return nil
				default:
					st = stUnquoted
				}
			}
		}
		seg, err := s.br.ReadSlice('\n')
		if len(seg) > 0 {
			if newLine {
				s.line++
			}
			s.off += int64(len(seg))
			newLine = seg[len(seg)-1] == '\n'
		}
		switch err {
		case nil, bufio.ErrBufferFull:
			data = seg
			continue
		case io.EOF:
			if len(seg) > 0 {
				data = seg
				continue
			}
			s.end = s.line
			s.unterminated = st == stQuoted
			return nil
		}
		return err
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
