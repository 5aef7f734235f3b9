package report

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"golang.org/x/sync/errgroup"
)

// rowGroupEncoder writes record batches to a Parquet file, one buffered row
// group per batch, encoding and compressing the batch's columns on up to
// GOMAXPROCS goroutines at once. Each column chunk buffers its pages in
// memory; closing the row group writes the chunks to the sink in column
// order. The file is the one pqarrow.FileWriter.Write writes for the same
// batches, schema and properties: the same Parquet schema, key-value
// metadata (incl. ARROW:schema), definition and repetition levels, pages,
// encodings and statistics.
type rowGroupEncoder struct {
	pw      *file.Writer
	fields  []arrow.Field
	workers []*encodeWorker
	cost    []time.Duration // per column: its encode time in the last row group
	order   []int           // columns, most expensive first
}

// encodeWorker is one encoding goroutine's state: its own Arrow write
// context (whose buffers must not be shared between concurrent writes) and
// level buffers reused from column to column.
type encodeWorker struct {
	ctx      context.Context
	def, rep []int16
}

func newRowGroupEncoder(schema *arrow.Schema, w io.Writer, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties) (*rowGroupEncoder, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, arrowProps)
	if err != nil {
		return nil, err
	}
	// The key-value metadata pqarrow.NewFileWriter writes with
	// WithStoreSchema: the Arrow schema's metadata, then the schema itself
	// (list elements named "element", as in the Parquet schema), serialized
	// as an IPC message and base64-encoded.
	meta := make(metadata.KeyValueMetadata, 0)
	md := schema.Metadata()
	for i := range md.Len() {
		if err := meta.Append(md.Keys()[i], md.Values()[i]); err != nil {
			return nil, err
		}
	}
	stored, err := schemaToStore(schema)
	if err != nil {
		return nil, err
	}
	if err := meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(flight.SerializeSchema(stored, props.Allocator()))); err != nil {
		return nil, err
	}
	if pqschema.NumColumns() != schema.NumFields() {
		return nil, fmt.Errorf("%d parquet columns for %d fields: nested columns are not supported", pqschema.NumColumns(), schema.NumFields())
	}
	pw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	n := schema.NumFields()
	e := &rowGroupEncoder{pw: pw, fields: schema.Fields(), cost: make([]time.Duration, n), order: make([]int, n)}
	for range min(runtime.GOMAXPROCS(0), n) {
		e.workers = append(e.workers, &encodeWorker{ctx: pqarrow.NewArrowWriteContext(context.Background(), &arrowProps)})
	}
	for i := range e.order {
		e.order[i] = i
	}
	return e, nil
}

// schemaToStore is the schema pqarrow stores under ARROW:schema: list
// element fields are renamed "element".
func schemaToStore(sc *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, sc.NumFields())
	for i, f := range sc.Fields() {
		switch dt := f.Type.(type) {
		case *arrow.ListType:
			elem := dt.ElemField()
			if _, nested := elem.Type.(arrow.NestedType); nested {
				return nil, fmt.Errorf("column %s: nested list elements are not supported", f.Name)
			}
			elem.Name = "element"
			f = arrow.Field{Name: f.Name, Type: arrow.ListOfField(elem), Nullable: f.Nullable, Metadata: f.Metadata}
		case arrow.NestedType:
			return nil, fmt.Errorf("column %s: type %s is not supported", f.Name, f.Type)
		}
		fields[i] = f
	}
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

// write writes rec as one row group.
func (e *rowGroupEncoder) write(rec arrow.RecordBatch) error {
	rgw, err := e.pw.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	if rec.NumRows() > 0 { // pqarrow writes no values for an empty batch either
		cws := make([]file.ColumnChunkWriter, len(e.fields))
		for i := range cws {
			if cws[i], err = rgw.Column(i); err != nil {
				return err
			}
		}
		if err := e.encodeColumns(rec, cws); err != nil {
			return err
		}
	}
	return rgw.Close()
}

// encodeColumns encodes the columns of rec into their chunk writers, the
// most expensive columns of the last row group first, each worker taking
// the next column when it is done with one.
func (e *rowGroupEncoder) encodeColumns(rec arrow.RecordBatch, cws []file.ColumnChunkWriter) error {
	if e.cost[e.order[0]] == 0 {
		// The first row group: bigger columns take longer.
		size := make([]int, len(e.order))
		for i := range size {
			size[i] = dataSize(rec.Column(i).Data())
		}
		slices.SortStableFunc(e.order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	} else {
		slices.SortStableFunc(e.order, func(a, b int) int { return cmp.Compare(e.cost[b], e.cost[a]) })
	}
	var next atomic.Int64
	var failed atomic.Bool
	var g errgroup.Group
	for _, wk := range e.workers {
		g.Go(func() error {
			for !failed.Load() {
				k := int(next.Add(1) - 1)
				if k >= len(e.order) {
					return nil
				}
				i := e.order[k]
				start := time.Now()
				if err := wk.encodeColumn(cws[i], rec.Column(i), e.fields[i]); err != nil {
					failed.Store(true)
					return fmt.Errorf("column %s: %w", e.fields[i].Name, err)
				}
				e.cost[i] = time.Since(start)
			}
			return nil
		})
	}
	return g.Wait()
}

func (e *rowGroupEncoder) close() error { return e.pw.Close() }

// flushLastPage encodes and compresses the page a column chunk still holds
// once all its values are written, which closing the row group would do,
// one column after the other. Closing then only writes the chunk out: the
// dictionary page (if any), the pages and the chunk metadata, the same
// bytes in the same order, as a buffered column writer keeps its
// dictionary-encoded pages until then. The page statistics tell whether
// values are buffered (flushing none would add an empty page); without
// them, or with only empty lists since the last page, closing flushes.
func flushLastPage(cw file.ColumnChunkWriter) error {
	f, ok := cw.(interface{ FlushCurrentPage() error })
	st := cw.PageStatistics()
	if !ok || st == nil || st.NumValues()+st.NullCount() == 0 {
		return nil
	}
	return f.FlushCurrentPage()
}

// encodeColumn encodes a column into its chunk writer up to its last page;
// a panic in the Parquet writer (it panics on some internal errors) is an
// error.
func (wk *encodeWorker) encodeColumn(cw file.ColumnChunkWriter, arr arrow.Array, field arrow.Field) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if err := wk.encode(cw, arr, field); err != nil {
		return err
	}
	return flushLastPage(cw)
}

// encode writes one column of a row group, with the definition and
// repetition levels pqarrow's path builder derives for it.
func (wk *encodeWorker) encode(cw file.ColumnChunkWriter, arr arrow.Array, field arrow.Field) error {
	descr := cw.Descr()
	maxDef, maxRep := descr.MaxDefinitionLevel(), descr.MaxRepetitionLevel()
	if lt, ok := field.Type.(*arrow.ListType); ok {
		elemNullable := lt.ElemField().Nullable
		if want := int16(1 + b2i(field.Nullable) + b2i(elemNullable)); maxRep != 1 || maxDef != want {
			return fmt.Errorf("levels def %d rep %d, want def %d rep 1", maxDef, maxRep, want)
		}
		values, def, rep, leafNullable, err := wk.listLevels(arr.(*array.List), field.Nullable, elemNullable, maxDef)
		if err != nil {
			return err
		}
		defer values.Release()
		return pqarrow.WriteArrowToColumn(wk.ctx, cw, values, def, rep, leafNullable)
	}
	if maxRep != 0 || maxDef != int16(b2i(field.Nullable)) {
		return fmt.Errorf("levels def %d rep %d for a flat column", maxDef, maxRep)
	}
	if !field.Nullable {
		return pqarrow.WriteArrowToColumn(wk.ctx, cw, arr, nil, nil, false)
	}
	n := arr.Len()
	wk.def = slices.Grow(wk.def[:0], n)[:n]
	def := wk.def
	noNulls := noNulls(arr)
	for i := range def {
		if noNulls || arr.IsValid(i) {
			def[i] = 1
		} else {
			def[i] = 0
		}
	}
	return pqarrow.WriteArrowToColumn(wk.ctx, cw, arr, def, nil, !noNulls)
}

// listLevels are the levels of a list column of primitive elements (max
// repetition level 1): a null list is def 0, an empty list def maxDef-2
// (nullable element) or maxDef-1, an element maxDef or, when null,
// maxDef-1; rep is 0 at the start of a row and 1 within a list. values is
// the slice of the element array the lists cover, released by the caller.
func (wk *encodeWorker) listLevels(la *array.List, listNullable, elemNullable bool, maxDef int16) (values arrow.Array, def, rep []int16, leafNullable bool, err error) {
	elems := la.ListValues()
	elemsNoNulls := noNulls(elems)
	defEmpty := maxDef - 1
	if elemNullable {
		defEmpty--
	}
	n := la.Len()
	def, rep = wk.def[:0], wk.rep[:0]
	first, last := int64(-1), int64(-1) // element range the non-empty lists cover
	for i := range n {
		start, end := la.ValueOffsets(i)
		switch {
		case listNullable && la.IsNull(i):
			def, rep = append(def, 0), append(rep, 0)
			continue
		case start == end:
			def, rep = append(def, defEmpty), append(rep, 0)
			continue
		}
		if first < 0 {
			first = start
		} else if start != last {
			return nil, nil, nil, false, errors.New("lists with non-zero length null components are not supported")
		}
		last = end
		for j := start; j < end; j++ {
			d := maxDef
			if !elemsNoNulls && elems.IsNull(int(j)) {
				d--
			}
			r := int16(1)
			if j == start {
				r = 0
			}
			def, rep = append(def, d), append(rep, r)
		}
	}
	wk.def, wk.rep = def, rep
	if first < 0 {
		first, last = 0, 0
	}
	return array.NewSlice(elems, first, last), def, rep, elemNullable && !elemsNoNulls, nil
}

// dataSize is the size of an array's buffers.
func dataSize(d arrow.ArrayData) int {
	n := 0
	for _, b := range d.Buffers() {
		if b != nil {
			n += b.Len()
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}

// noNulls is pqarrow's test for an array without nulls: a null count of 0,
// or an unknown one and no validity bitmap.
func noNulls(a arrow.Array) bool {
	n := a.Data().NullN()
	return n == 0 || (n == array.UnknownNullCount && a.NullBitmapBytes() == nil)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
