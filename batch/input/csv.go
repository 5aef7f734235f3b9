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
// losing its place.
type csvScanner struct {
	br   *bufio.Reader
	line int   // physical lines consumed so far
	off  int64 // bytes consumed so far

	// The current record, valid until the next call to next.
	start    int    // physical line of the record's first byte (header = 1)
	raw      []byte // the record's bytes without the final line break
	buf      []byte // unescaped field bytes, back to back
	ends     []int  // end offset of each field in buf
	fields   [][]byte
	badQuote bool // a quote inside an unquoted field, text after a closing quote, or an unterminated quote

	lineBuf []byte
	first   bool
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
	s.raw = s.raw[:0]
	s.buf = s.buf[:0]
	s.ends = s.ends[:0]
	s.badQuote = false
	var (
		inQuotes   bool
		afterQuote bool // just closed a quoted field
		fieldStart = true
	)
	for {
		l, err := s.readLine()
		if err != nil {
			if err == io.EOF && len(s.raw) > 0 {
				// EOF inside a quoted field: unterminated.
				s.badQuote = true
				s.ends = append(s.ends, len(s.buf))
				s.split()
				return nil
			}
			return err
		}
		if len(s.raw) == 0 {
			s.start = s.line
		}
		content := l
		if n := len(content); n > 0 && content[n-1] == '\n' {
			content = content[:n-1]
			if n := len(content); n > 0 && content[n-1] == '\r' {
				content = content[:n-1]
			}
		}
		if !inQuotes && len(s.raw) == 0 && len(content) == 0 {
			continue // blank line between records
		}
		if len(s.raw) > 0 {
			s.raw = append(s.raw, '\n')
		}
		s.raw = append(s.raw, content...)
		for i := 0; i < len(content); i++ {
			c := content[i]
			if inQuotes {
				if c == '"' {
					if i+1 < len(content) && content[i+1] == '"' {
						s.buf = append(s.buf, '"')
						i++
						continue
					}
					inQuotes, afterQuote = false, true
					continue
				}
				// Copy the run up to the next quote in one go.
				j := bytes.IndexByte(content[i:], '"')
				if j < 0 {
					j = len(content) - i
				}
				s.buf = append(s.buf, content[i:i+j]...)
				i += j - 1
				continue
			}
			switch c {
			case ',':
				s.ends = append(s.ends, len(s.buf))
				fieldStart, afterQuote = true, false
			case '"':
				if fieldStart {
					inQuotes, fieldStart = true, false
				} else {
					s.badQuote = true
					s.buf = append(s.buf, c)
				}
			default:
				if afterQuote {
					s.badQuote = true
				}
				fieldStart = false
				// Copy the run up to the next delimiter or quote.
				j := i + 1
				for j < len(content) && content[j] != ',' && content[j] != '"' {
					j++
				}
				s.buf = append(s.buf, content[i:j]...)
				i = j - 1
			}
		}
		if inQuotes {
			if len(s.raw) > maxRecordBytes {
				s.badQuote = true
				s.ends = append(s.ends, len(s.buf))
				s.split()
				return nil
			}
			s.buf = append(s.buf, '\n') // a line break inside a quoted field
			continue
		}
		s.ends = append(s.ends, len(s.buf))
		s.split()
		return nil
	}
}

func (s *csvScanner) split() {
	s.fields = s.fields[:0]
	prev := 0
	for _, e := range s.ends {
		s.fields = append(s.fields, s.buf[prev:e:e])
		prev = e
	}
}

// validUTF8 reports whether the current record is valid UTF-8.
func (s *csvScanner) validUTF8() bool { return utf8.Valid(s.raw) }

var errNoHeader = errors.New("empty file: no header row")
