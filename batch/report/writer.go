package report

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Column is one report column over rows of type T: an Arrow field and how
// to append a row's value to that field's builder.
type Column[T any] struct {
	Field arrow.Field
	// plain turns Parquet dictionary encoding off for this column: right
	// for ids and continuous numbers, whose dictionaries only cost time
	// before the writer falls back to plain encoding anyway.
	plain bool
	// bind is called once per builder and returns the per-row appender, so
	// the builder's concrete type is asserted once, not once a row.
	bind func(b array.Builder) func(row *T)
}

// Plain returns the column with Parquet dictionary encoding turned off.
// Float columns are plain already.
func (c Column[T]) Plain() Column[T] {
	c.plain = true
	return c
}

// String is a non-null string column.
func String[T any](name string, get func(*T) string) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.BinaryTypes.String},
		bind: func(b array.Builder) func(*T) {
			sb := b.(*array.StringBuilder)
			return func(r *T) { sb.Append(get(r)) }
		},
	}
}

// OptString is a string column that is null where get returns "".
func OptString[T any](name string, get func(*T) string) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true},
		bind: func(b array.Builder) func(*T) {
			sb := b.(*array.StringBuilder)
			return func(r *T) {
				if v := get(r); v != "" {
					sb.Append(v)
				} else {
					sb.AppendNull()
				}
			}
		},
	}
}

// Float64 is a non-null double column.
func Float64[T any](name string, get func(*T) float64) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64},
		plain: true,
		bind: func(b array.Builder) func(*T) {
			fb := b.(*array.Float64Builder)
			return func(r *T) { fb.Append(get(r)) }
		},
	}
}

// OptFloat64 is a double column that is null where get returns false.
func OptFloat64[T any](name string, get func(*T) (float64, bool)) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		plain: true,
		bind: func(b array.Builder) func(*T) {
			fb := b.(*array.Float64Builder)
			return func(r *T) {
				if v, ok := get(r); ok {
					fb.Append(v)
				} else {
					fb.AppendNull()
				}
			}
		},
	}
}

// Int64 is a non-null 64-bit integer column.
func Int64[T any](name string, get func(*T) int64) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64},
		bind: func(b array.Builder) func(*T) {
			ib := b.(*array.Int64Builder)
			return func(r *T) { ib.Append(get(r)) }
		},
	}
}

// OptInt64 is a 64-bit integer column that is null where get returns false.
func OptInt64[T any](name string, get func(*T) (int64, bool)) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		bind: func(b array.Builder) func(*T) {
			ib := b.(*array.Int64Builder)
			return func(r *T) {
				if v, ok := get(r); ok {
					ib.Append(v)
				} else {
					ib.AppendNull()
				}
			}
		},
	}
}

// Bool is a non-null boolean column.
func Bool[T any](name string, get func(*T) bool) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.FixedWidthTypes.Boolean},
		bind: func(b array.Builder) func(*T) {
			bb := b.(*array.BooleanBuilder)
			return func(r *T) { bb.Append(get(r)) }
		},
	}
}

// Timestamp is a timestamp column in microseconds, UTC; null where get
// returns the zero time.
func Timestamp[T any](name string, get func(*T) time.Time) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
		bind: func(b array.Builder) func(*T) {
			tb := b.(*array.TimestampBuilder)
			return func(r *T) {
				if v := get(r); !v.IsZero() {
					tb.Append(arrow.Timestamp(v.UnixMicro()))
				} else {
					tb.AppendNull()
				}
			}
		},
	}
}

// StringList is a list<string> column, null where get returns no values.
func StringList[T any](name string, get func(*T) []string) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		bind: func(b array.Builder) func(*T) {
			lb := b.(*array.ListBuilder)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			return func(r *T) {
				vs := get(r)
				if len(vs) == 0 {
					lb.AppendNull()
					return
				}
				lb.Append(true)
				for _, v := range vs {
					vb.Append(v)
				}
			}
		},
	}
}

// Schema returns the Arrow schema of a column list.
func Schema[T any](cols []Column[T], meta map[string]string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.Field
	}
	if len(meta) == 0 {
		return arrow.NewSchema(fields, nil)
	}
	md := arrow.MetadataFrom(meta)
	return arrow.NewSchema(fields, &md)
}

// Options tune a report file.
type Options struct {
	RowGroupRows int               // rows per row group; default DefaultRowGroupRows
	ExpectedRows int               // a hint for the first reservation; 0: unknown
	Metadata     map[string]string // Parquet key-value metadata (e.g. run id, report name)
	Alloc        memory.Allocator  // default memory.DefaultAllocator
}

// DefaultRowGroupRows is the default row group size.
const DefaultRowGroupRows = 128 * 1024

// Writer streams rows of T into a Parquet file, ZSTD-compressed, one row
// group per RowGroupRows rows. While Append builds the next row group, the
// previous one is encoded in the background: its columns are encoded and
// compressed concurrently on up to GOMAXPROCS goroutines, each into a
// column chunk buffered in memory, and the chunks are written to the file
// in column order when all are done. The file is the one pqarrow's
// FileWriter writes for the same rows. It writes to a temporary name in
// the target folder and renames it into place on Close, so a reader never
// sees half a file; Abort (or any failed call) removes the temporary file.
type Writer[T any] struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	enc       *rowGroupEncoder
	rb        *array.RecordBuilder
	appenders []func(*T)
	dataLen   []int // bytes of string data per column in the last row group, to reserve
	group     int
	n         int   // rows in the current batch
	rows      int64 // rows written in all
	err       error // sticky: once set, Close aborts
	finished  bool  // footer written, file synced under its temporary name
	done      bool  // committed or aborted

	// Row groups are handed to a goroutine of their own, which encodes
	// each one's columns in parallel while the next one is being built.
	recs    chan arrow.RecordBatch
	stopped chan struct{}
	mu      sync.Mutex
	werr    error // the encoding goroutine's first error, under mu
}

// Create starts a report file at path.
func Create[T any](path string, cols []Column[T], opts Options) (*Writer[T], error) {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = DefaultRowGroupRows
	}
	if opts.Alloc == nil {
		opts.Alloc = memory.DefaultAllocator
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", base, err)
	}
	w := &Writer[T]{path: path, tmp: f.Name(), f: f, bw: bufio.NewWriterSize(f, 1<<20), group: opts.RowGroupRows}
	schema := Schema(cols, opts.Metadata)
	props, arrowProps := fileProps(cols, opts)
	w.enc, err = newRowGroupEncoder(schema, w.bw, props, arrowProps)
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("report %s: %w", base, err)
	}
	w.rb = array.NewRecordBuilder(opts.Alloc, schema)
	w.appenders = make([]func(*T), len(cols))
	w.dataLen = make([]int, len(cols))
	for i, c := range cols {
		w.appenders[i] = c.bind(w.rb.Field(i))
	}
	w.recs, w.stopped = make(chan arrow.RecordBatch, 1), make(chan struct{})
	go w.encode()
	first := opts.RowGroupRows
	if opts.ExpectedRows > 0 && opts.ExpectedRows < first {
		first = opts.ExpectedRows
	} else if opts.ExpectedRows == 0 && first > 16<<10 {
		first = 16 << 10 // the builders grow from there if the file is larger
	}
	w.reserveRows(first)
	return w, nil
}

// fileProps are the Parquet and Arrow writer properties of a report file;
// opts has its defaults set.
func fileProps[T any](cols []Column[T], opts Options) (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	pp := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithMaxRowGroupLength(int64(opts.RowGroupRows)),
		parquet.WithAllocator(opts.Alloc),
		parquet.WithCreatedBy("navsync"),
	}
	for _, c := range cols {
		if c.plain {
			pp = append(pp, parquet.WithDictionaryFor(c.Field.Name, false))
		}
	}
	return parquet.NewWriterProperties(pp...), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(opts.Alloc))
}

// encode writes row groups as flush hands them over.
func (w *Writer[T]) encode() {
	defer close(w.stopped)
	for rec := range w.recs {
		if w.encodeErr() == nil {
			if err := w.enc.write(rec); err != nil {
				w.mu.Lock()
				w.werr = err
				w.mu.Unlock()
			}
		}
		rec.Release()
	}
}

func (w *Writer[T]) encodeErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.werr
}

// stopEncoding waits for the row groups handed over so far.
func (w *Writer[T]) stopEncoding() error {
	if w.recs == nil {
		return nil
	}
	close(w.recs)
	<-w.stopped
	w.recs = nil
	return w.encodeErr()
}

// Append adds one row; every RowGroupRows rows a row group is written.
func (w *Writer[T]) Append(row *T) error {
	if w.err != nil {
		return w.err
	}
	for _, a := range w.appenders {
		a(row)
	}
	w.n++
	if w.n >= w.group {
		return w.flush()
	}
	return nil
}

// Rows is the number of rows appended so far.
func (w *Writer[T]) Rows() int64 { return w.rows + int64(w.n) }

func (w *Writer[T]) flush() error {
	if w.n == 0 {
		return nil
	}
	for i, b := range w.rb.Fields() {
		w.dataLen[i] = dataLen(b)
	}
	if err := w.encodeErr(); err != nil {
		w.err = fmt.Errorf("report %s: %w", filepath.Base(w.path), err)
		return w.err
	}
	w.recs <- w.rb.NewRecordBatch()
	w.rows += int64(w.n)
	w.n = 0
	w.reserveRows(w.group)
	return nil
}

// reserveRows sizes the builders for n rows, and string data for as much
// as the previous row group held.
func (w *Writer[T]) reserveRows(n int) {
	w.rb.Reserve(n)
	for i, b := range w.rb.Fields() {
		switch b := b.(type) {
		case *array.StringBuilder:
			b.ReserveData(w.dataLen[i])
		case *array.ListBuilder:
			b.ValueBuilder().Reserve(n)
		}
	}
}

func dataLen(b array.Builder) int {
	if sb, ok := b.(*array.StringBuilder); ok {
		return sb.DataLen()
	}
	return 0
}

// Close writes the last row group and the footer, syncs the file and
// renames it into place (Finish, then Commit). After a failure nothing is
// left at path or at the temporary name.
func (w *Writer[T]) Close() error {
	if err := w.Finish(); err != nil {
		return err
	}
	return w.Commit()
}

// Finish writes the last row group and the footer and syncs the file, still
// under its temporary name; Commit renames it into place, Abort removes it.
// Finishing several reports before committing any keeps a folder from
// holding reports of two runs when one of them fails.
func (w *Writer[T]) Finish() error {
	if w.finished || w.done {
		return w.err
	}
	if w.err == nil {
		w.flush()
	}
	if err := w.stopEncoding(); err != nil && w.err == nil {
		w.err = fmt.Errorf("report %s: %w", filepath.Base(w.path), err)
	}
	if w.err != nil {
		w.Abort()
		return w.err
	}
	w.finished = true
	w.rb.Release()
	w.rb = nil
	err := w.enc.close()
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Chmod(0o644)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.err = fmt.Errorf("report %s: %w", filepath.Base(w.path), err)
		w.done = true
		os.Remove(w.tmp)
		return w.err
	}
	return nil
}

// Commit renames a finished file into place.
func (w *Writer[T]) Commit() error {
	if w.done {
		return w.err
	}
	if !w.finished {
		return fmt.Errorf("report %s: commit before finish", filepath.Base(w.path))
	}
	w.done = true
	if err := os.Rename(w.tmp, w.path); err != nil {
		os.Remove(w.tmp)
		w.err = fmt.Errorf("report %s: %w", filepath.Base(w.path), err)
		return w.err
	}
	syncDir(filepath.Dir(w.path))
	return nil
}

// Abort drops the file being written, or finished and not committed. It is
// safe to call after Close or Commit.
func (w *Writer[T]) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.err == nil {
		w.err = errors.New("report: aborted")
	}
	if w.finished {
		os.Remove(w.tmp)
		return
	}
	w.stopEncoding()
	if w.rb != nil {
		w.rb.Release()
	}
	w.f.Close()
	os.Remove(w.tmp)
}

// syncDir makes a rename durable; errors are ignored (not every file
// system supports syncing a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Pending is a report written in full under a temporary name beside its
// path, waiting to be renamed into place (Commit) or dropped (Abort).
type Pending interface {
	Commit() error
	Abort()
}

// Prepare writes rows as the report at path, checking ctx between row
// groups, and leaves it finished under its temporary name.
func Prepare[T any](ctx context.Context, path string, cols []Column[T], rows []T, opts Options) (Pending, error) {
	if opts.ExpectedRows == 0 {
		opts.ExpectedRows = max(len(rows), 1)
	}
	w, err := Create(path, cols, opts)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				w.Abort()
				return nil, err
			}
		}
		if err := w.Append(&rows[i]); err != nil {
			w.Abort()
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return nil, err
	}
	if err := w.Finish(); err != nil {
		return nil, err
	}
	return w, nil
}

// WriteFile writes rows to path in one go (Prepare, then Commit).
func WriteFile[T any](ctx context.Context, path string, cols []Column[T], rows []T, opts Options) error {
	p, err := Prepare(ctx, path, cols, rows, opts)
	if err != nil {
		return err
	}
	return p.Commit()
}

// CommitAll renames every pending report into place. Call it once all of a
// run's reports are prepared; if any failed, Abort the others instead.
func CommitAll(ps ...Pending) error {
	var errs []error
	for _, p := range ps {
		if p != nil {
			errs = append(errs, p.Commit())
		}
	}
	return errors.Join(errs...)
}
