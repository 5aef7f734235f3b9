package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rowSource is a file of rows under a header, CSV or Parquet.
type rowSource interface {
	header() []string
	// next advances to the next row; io.EOF at the end.
	next() error
	// fields are the current row's values, valid until next.
	fields() [][]byte
	// line is the current row's position: the physical line of a CSV
	// record's start (header = 1), or a Parquet row's 1-based number.
	line() int
	// raw is the current row as it was in the file (CSV) or re-encoded as
	// CSV (Parquet).
	raw() []byte
	// problem names what makes the current row unreadable, or "".
	problem() (reason, detail string)
	// progress estimates the share of the file read, 0..1.
	progress() float64
	// rowBound counts the rows the file can hold as far as its bytes show
	// (see countRows); 0 when they cannot tell (Parquet).
	rowBound() int
	close() error
}

// openSource opens a CSV or Parquet file; Parquet is recognised by its
// magic bytes, whatever the file's name.
func openSource(ctx context.Context, path string) (rowSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a folder, not a file: %w", path, ErrSchema)
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n == 4 && string(magic[:]) == "PAR1" {
		src, err := openParquet(ctx, path, f)
		if err != nil {
			f.Close()
			return nil, err
		}
		return src, nil
	}
	src, err := openCSV(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// csvSource reads a CSV file.
type csvSource struct {
	f    *os.File
	size int64
	s    *csvScanner
	hdr  []string
}

func openCSV(path string, f *os.File) (*csvSource, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &csvSource{f: f, size: st.Size(), s: newCSVScannerSize(f, st.Size())}
	if err := c.s.next(); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%s: %w: %w", path, errNoHeader, ErrSchema)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.s.tooLong {
		return nil, fmt.Errorf("%s: header row is longer than %d MiB: %w", path, maxRecordBytes>>20, ErrSchema)
	}
	if !c.s.validUTF8() {
		return nil, fmt.Errorf("%s: header row is not valid UTF-8: %w", path, ErrSchema)
	}
	if c.s.badQuote {
		return nil, fmt.Errorf("%s: header row has malformed quotes: %w", path, ErrSchema)
	}
	for _, f := range c.s.fields {
		c.hdr = append(c.hdr, string(f))
	}
	return c, nil
}

func (c *csvSource) header() []string { return c.hdr }
func (c *csvSource) next() error      { return c.s.next() }
func (c *csvSource) fields() [][]byte { return c.s.fields }
func (c *csvSource) line() int        { return c.s.start }
func (c *csvSource) raw() []byte      { return c.s.raw }
func (c *csvSource) close() error     { return c.f.Close() }

func (c *csvSource) progress() float64 {
	if c.size == 0 {
		return 1
	}
	return float64(c.s.off) / float64(c.size)
}

// rowBound reads the file a second time, through its own reader, and
// counts its rows the cheap way (see countRows).
func (c *csvSource) rowBound() int {
	s := newCSVScannerSize(io.NewSectionReader(c.f, 0, c.size), c.size)
	if s.next() != nil {
		return 0
	}
	return s.countRows(len(s.fields))
}

func (c *csvSource) problem() (string, string) {
	switch {
	case c.s.unterminated:
		return ReasonMalformedQuote, fmt.Sprintf("a quoted field is never closed: it runs to the end of the file (lines %d–%d), taking every row after it", c.s.start, c.s.end)
	case c.s.tooLong:
		return ReasonTooLong, fmt.Sprintf("the record is longer than %d MiB (lines %d–%d): skipped to its end", maxRecordBytes>>20, c.s.start, c.s.end)
	case !c.s.validUTF8():
		return ReasonInvalidUTF8, "the record is not valid UTF-8"
	case c.s.badQuote:
		return ReasonMalformedQuote, "a quote inside an unquoted field or text after a closing quote"
	case len(c.s.fields) != len(c.hdr):
		return ReasonColumnCount, fmt.Sprintf("%d fields, header has %d", len(c.s.fields), len(c.hdr))
	}
	return "", ""
}

// parquetSource reads a Parquet file batch by batch through pqarrow.
type parquetSource struct {
	f     *os.File
	rr    pqarrow.RecordReader
	hdr   []string
	total int64

	rec     arrow.RecordBatch
	getters []valueGetter
	i       int   // row within rec
	row     int64 // rows returned so far
	buf     []byte
	ends    []int
	flds    [][]byte
	rawBuf  []byte
	badUTF8 bool
}

// damaged turns a panic of the Parquet library, which some damaged files
// cause (found by FuzzReadParquet: "dictionary decoding unimplemented for
// bool"), into an ErrSchema error. The library reads columns on the
// calling goroutine (ArrowReadProperties.Parallel is off), so the recover
// here sees them.
func damaged(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: damaged Parquet file: %v: %w", what, r, ErrSchema)
	}
}

func openParquet(ctx context.Context, path string, f *os.File) (_ *parquetSource, err error) {
	defer damaged(&err, path)
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %v: %w", path, err, ErrSchema)
	}
	// The Arrow schema a writer may store in the footer (ARROW:schema) is
	// not used: the Arrow library trusts the lengths in it, so a damaged
	// one can make it allocate hundreds of GB and end the process (found
	// by FuzzReadParquet). The columns' Parquet types say all the reader
	// needs, since every value is read as text.
	if md := pf.MetaData(); md != nil && md.FileMetaData != nil {
		kvs := md.FileMetaData.KeyValueMetadata
		keep := kvs[:0]
		for _, kv := range kvs {
			if kv != nil && kv.Key != "ARROW:schema" {
				keep = append(keep, kv)
			}
		}
		md.FileMetaData.KeyValueMetadata = keep
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSchema)
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSchema)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", path, err, ErrSchema)
	}
	p := &parquetSource{f: f, rr: rr, total: pf.NumRows()}
	for _, fld := range sc.Fields() {
		p.hdr = append(p.hdr, fld.Name)
	}
	return p, nil
}

func (p *parquetSource) header() []string { return p.hdr }
func (p *parquetSource) fields() [][]byte { return p.flds }
func (p *parquetSource) line() int        { return int(p.row) }
func (p *parquetSource) raw() []byte      { return p.rawBuf }

func (p *parquetSource) progress() float64 {
	if p.total == 0 {
		return 1
	}
	return float64(p.row) / float64(p.total)
}

// rowBound is 0: a Parquet footer's row count is not evidence (a few
// bytes can hold millions of null rows, and a damaged footer any count).
func (p *parquetSource) rowBound() int { return 0 }

func (p *parquetSource) problem() (string, string) {
	if p.badUTF8 {
		return ReasonInvalidUTF8, "a value is not valid UTF-8"
	}
	return "", ""
}

func (p *parquetSource) close() (err error) {
	defer func() {
		if cerr := p.f.Close(); err == nil {
			err = cerr
		}
	}()
	defer damaged(&err, "close")
	p.rr.Release()
	return nil
}

func (p *parquetSource) next() (err error) {
	defer damaged(&err, "row "+strconv.FormatInt(p.row+1, 10))
	for p.rec == nil || p.i >= int(p.rec.NumRows()) {
		if !p.rr.Next() {
			if err := p.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("parquet: %w", err)
			}
			return io.EOF
		}
		p.rec = p.rr.RecordBatch()
		p.i = 0
		p.getters = p.getters[:0]
		for _, col := range p.rec.Columns() {
			p.getters = append(p.getters, getterFor(col))
		}
	}
	p.buf, p.ends, p.badUTF8 = p.buf[:0], p.ends[:0], false
	for _, g := range p.getters {
		p.buf = g(p.buf, p.i)
		p.ends = append(p.ends, len(p.buf))
	}
	p.flds = p.flds[:0]
	p.rawBuf = p.rawBuf[:0]
	prev := 0
	for k, e := range p.ends {
		v := p.buf[prev:e:e]
		prev = e
		p.flds = append(p.flds, v)
		if !utf8.Valid(v) {
			p.badUTF8 = true
		}
		if k > 0 {
			p.rawBuf = append(p.rawBuf, ',')
		}
		p.rawBuf = appendCSVField(p.rawBuf, v)
	}
	p.i++
	p.row++
	return nil
}

// appendCSVField appends v as one CSV field, quoted when needed.
func appendCSVField(dst, v []byte) []byte {
	if bytes.ContainsAny(v, ",\"\r\n") {
		dst = append(dst, '"')
		dst = append(dst, bytes.ReplaceAll(v, []byte{'"'}, []byte{'"', '"'})...)
		return append(dst, '"')
	}
	return append(dst, v...)
}

// valueGetter appends row i of a column as text (nothing for null).
type valueGetter func(dst []byte, i int) []byte

// getterFor renders any Arrow column as text: strings as they are, numbers
// and booleans in their usual form, dictionaries through their values, and
// lists of strings joined with "|" (so past_company may be a list).
func getterFor(col arrow.Array) valueGetter {
	switch a := col.(type) {
	case *array.String:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return append(dst, a.Value(i)...)
		}
	case *array.LargeString:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return append(dst, a.Value(i)...)
		}
	case *array.Binary:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return append(dst, a.Value(i)...)
		}
	case *array.Int64:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return strconv.AppendInt(dst, a.Value(i), 10)
		}
	case *array.Int32:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return strconv.AppendInt(dst, int64(a.Value(i)), 10)
		}
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return strconv.AppendBool(dst, a.Value(i))
		}
	case *array.Dictionary:
		values := getterFor(a.Dictionary())
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			return values(dst, a.GetValueIndex(i))
		}
	case array.ListLike:
		values := getterFor(a.ListValues())
		return func(dst []byte, i int) []byte {
			if a.IsNull(i) {
				return dst
			}
			start, end := a.ValueOffsets(i)
			for j := start; j < end; j++ {
				if j > start {
					dst = append(dst, '|')
				}
				dst = values(dst, int(j))
			}
			return dst
		}
	}
	return func(dst []byte, i int) []byte {
		if col.IsNull(i) {
			return dst
		}
		return append(dst, col.ValueStr(i)...)
	}
}

// columns maps header names, case-insensitively and trimmed, to positions.
type columns struct {
	file string
	idx  map[string]int
}

func newColumns(file string, header []string) (*columns, error) {
	c := &columns{file: file, idx: make(map[string]int, len(header))}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if k == "" {
			continue
		}
		if _, dup := c.idx[k]; dup {
			return nil, fmt.Errorf("%s: column %q appears twice in the header: %w", file, strings.TrimSpace(h), ErrSchema)
		}
		c.idx[k] = i
	}
	return c, nil
}

// columnLookup, when set (by tests), learns every column name a binding
// looks up and the file it looks in. It may be called concurrently.
var columnLookup func(file, name string)

// col is the position of an optional column, -1 when absent.
func (c *columns) col(name string) int {
	if columnLookup != nil {
		columnLookup(c.file, name)
	}
	if i, ok := c.idx[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// must is the position of a required column.
func (c *columns) must(name string) (int, error) {
	if i := c.col(name); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("%s: missing required column %q: %w", c.file, name, ErrSchema)
}

// need resolves several required columns, naming the first missing one.
func (c *columns) need(names ...string) ([]int, error) {
	out := make([]int, len(names))
	for k, n := range names {
		i, err := c.must(n)
		if err != nil {
			return nil, err
		}
		out[k] = i
	}
	return out, nil
}

// get returns field i of a row, nil when the column is absent.
func get(f [][]byte, i int) []byte {
	if i < 0 || i >= len(f) {
		return nil
	}
	return f[i]
}
