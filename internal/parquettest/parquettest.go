package parquettest

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Table is a Parquet file read back: column name → values as Go values
// (nil for null), plus the file's metadata.
type Table struct {
	Schema    *arrow.Schema
	Cols      map[string][]any
	Rows      int
	RowGroups []int64
	Codecs    map[compress.Compression]bool
	KV        map[string]string
}

// Read reads the Parquet file at path, its values converted by Value.
func Read(t testing.TB, path string) *Table {
	t.Helper()
	return ReadWith(t, path, Value)
}

// ReadWith is Read with conv turning each value into Go.
func ReadWith(t testing.TB, path string, conv func(arrow.Array, int) any) *Table {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer tbl.Release()
	out := &Table{Schema: tbl.Schema(), Cols: map[string][]any{}, Rows: int(tbl.NumRows()),
		Codecs: map[compress.Compression]bool{}, KV: map[string]string{}}
	md := pf.MetaData()
	for i := 0; i < md.NumRowGroups(); i++ {
		rg := md.RowGroup(i)
		out.RowGroups = append(out.RowGroups, rg.NumRows())
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			out.Codecs[cc.Compression()] = true
		}
	}
	for _, kv := range md.KeyValueMetadata() {
		out.KV[kv.Key] = *kv.Value
	}
	for i, f := range tbl.Schema().Fields() {
		var vals []any
		for _, chunk := range tbl.Column(i).Data().Chunks() {
			for j := 0; j < chunk.Len(); j++ {
				vals = append(vals, conv(chunk, j))
			}
		}
		out.Cols[f.Name] = vals
	}
	return out
}

// Value is the Go value of a[i]: string, float64, int64, bool, time.Time
// (UTC, from microseconds), []string for a list of strings; nil for null;
// the value's text for any other type.
func Value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i).ToTime(arrow.Microsecond)
	case *array.List:
		start, end := a.ValueOffsets(i)
		var out []string
		for j := start; j < end; j++ {
			out = append(out, Value(a.ListValues(), int(j)).(string))
		}
		return out
	}
	return a.ValueStr(i)
}

// RowMaps is the table as rows of column name → value, with the column
// names in schema order.
func (tb *Table) RowMaps() (names []string, rows []map[string]any) {
	rows = make([]map[string]any, tb.Rows)
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for _, f := range tb.Schema.Fields() {
		names = append(names, f.Name)
		for r, v := range tb.Cols[f.Name] {
			rows[r][f.Name] = v
		}
	}
	return names, rows
}
