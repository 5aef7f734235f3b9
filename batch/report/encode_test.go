package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/navsync/navsync/internal/parquettest"
	"github.com/navsync/navsync/matcher"
)

// mixed has a value for every column kind, with nulls.
type mixed struct {
	ID, Kind, Note, Raw string
	Score               float64
	Weight              float64
	HasWeight           bool
	N, Opt              int64
	HasOpt              bool
	Flag                bool
	At                  time.Time
	Keys                []string
	// Items is written by itemsColumn: nil is a null list, an empty slice
	// an empty list, "" a null element.
	Items []string
}

// itemsColumn is a list<string> column with null lists, empty lists and
// null elements, which StringList never writes.
func itemsColumn() Column[mixed] {
	return Column[mixed]{
		Field: arrow.Field{Name: "items", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		bind: func(b array.Builder) func(*mixed) {
			lb := b.(*array.ListBuilder)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			return func(r *mixed) {
				if r.Items == nil {
					lb.AppendNull()
					return
				}
				lb.Append(true)
				for _, v := range r.Items {
					if v == "" {
						vb.AppendNull()
					} else {
						vb.Append(v)
					}
				}
			}
		},
	}
}

func mixedColumns() []Column[mixed] {
	return []Column[mixed]{
		String("id", func(r *mixed) string { return r.ID }).Plain(),
		String("kind", func(r *mixed) string { return r.Kind }),
		OptString("note", func(r *mixed) string { return r.Note }),
		OptString("raw", func(r *mixed) string { return r.Raw }).Plain(),
		Float64("score", func(r *mixed) float64 { return r.Score }),
		OptFloat64("weight", func(r *mixed) (float64, bool) { return r.Weight, r.HasWeight }),
		Int64("n", func(r *mixed) int64 { return r.N }),
		OptInt64("opt", func(r *mixed) (int64, bool) { return r.Opt, r.HasOpt }),
		Bool("flag", func(r *mixed) bool { return r.Flag }),
		Timestamp("at", func(r *mixed) time.Time { return r.At }),
		StringList("keys", func(r *mixed) []string { return r.Keys }),
		itemsColumn(),
	}
}

// mixedRows makes n rows; in the first group rows "note" is null
// throughout and "raw" never null, so that row group has an all-null and
// a null-free nullable column.
func mixedRows(n, group int) []mixed {
	r := rand.New(rand.NewPCG(7, 8))
	base := time.Date(2026, 11, 23, 6, 45, 0, 0, time.UTC)
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	rows := make([]mixed, n)
	for i := range rows {
		m := &rows[i]
		m.ID = fmt.Sprintf("id-%06d", i)
		m.Kind = words[r.IntN(3)]
		if i >= group && r.IntN(3) > 0 {
			m.Note = words[r.IntN(len(words))] + " note"
		}
		if i < group || r.IntN(2) == 0 {
			m.Raw = fmt.Sprintf("raw,%d,%x", i, r.Uint64())
		}
		m.Score = r.NormFloat64()
		if r.IntN(4) > 0 {
			m.Weight, m.HasWeight = r.Float64()*20-5, true
		}
		m.N = r.Int64N(1e9) - 5e8
		if r.IntN(2) == 0 {
			m.Opt, m.HasOpt = int64(i), true
		}
		m.Flag = r.IntN(3) == 0
		if r.IntN(5) > 0 {
			m.At = base.Add(time.Duration(r.Int64N(1e12)) * time.Microsecond)
		}
		for range r.IntN(4) {
			m.Keys = append(m.Keys, words[r.IntN(len(words))])
		}
		switch r.IntN(4) {
		case 0: // null list
		case 1:
			m.Items = []string{}
		default:
			for range 1 + r.IntN(3) {
				v := words[r.IntN(len(words))]
				if r.IntN(4) == 0 {
					v = ""
				}
				m.Items = append(m.Items, v)
			}
		}
	}
	return rows
}

// referenceFile writes rows as pqarrow.FileWriter does on its own, one
// Write per row group with the properties Create uses: what the files
// looked like before row groups were encoded in parallel.
func referenceFile[T any](t *testing.T, path string, cols []Column[T], rows []T, opts Options) {
	t.Helper()
	opts.Alloc = memory.DefaultAllocator
	schema := Schema(cols, opts.Metadata)
	props, arrowProps := fileProps(cols, opts)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	fw, err := pqarrow.NewFileWriter(schema, bw, props, arrowProps)
	if err != nil {
		t.Fatal(err)
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	appenders := make([]func(*T), len(cols))
	for i, c := range cols {
		appenders[i] = c.bind(rb.Field(i))
	}
	for start := 0; start < len(rows); start += opts.RowGroupRows {
		for i := start; i < min(start+opts.RowGroupRows, len(rows)); i++ {
			for _, a := range appenders {
				a(&rows[i])
			}
		}
		rec := rb.NewRecordBatch()
		err := fw.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestParallelEncodingMatchesPqarrow: a file whose row groups were encoded
// column-parallel is byte for byte the file pqarrow's sequential
// FileWriter writes for the same rows (schema, ARROW:schema and our
// key-value metadata, pages, encodings, dictionaries, statistics, offsets),
// whatever the number of encoding goroutines.
func TestParallelEncodingMatchesPqarrow(t *testing.T) {
	dir := t.TempDir()
	mixedOpts := Options{RowGroupRows: 1000, Metadata: map[string]string{"navsync.report": "mixed", "navsync.run_id": "eq"}}
	mrows := mixedRows(5500, 1000)
	leads := leadRows(4000)
	leadOpts := Options{RowGroupRows: 1024, Metadata: meta("eq", "matches")}
	// a row group whose list columns hold only null and empty lists
	emptyLists := slices.Clone(mrows)
	for i := 1000; i < 2000; i++ {
		emptyLists[i].Keys = nil
		emptyLists[i].Items = nil // null
		if i%2 == 1 {
			emptyLists[i].Items = []string{}
		}
	}
	big := mixedRows(DefaultRowGroupRows+10, 1000)
	bigOpts := Options{RowGroupRows: DefaultRowGroupRows}
	cases := []struct {
		name  string
		write func(path string) error
		ref   func(path string)
	}{
		{"mixed",
			func(path string) error {
				return WriteFile(context.Background(), path, mixedColumns(), mrows, mixedOpts)
			},
			func(path string) { referenceFile(t, path, mixedColumns(), mrows, mixedOpts) }},
		{"matches",
			func(path string) error {
				return WriteFile(context.Background(), path, MatchColumns("eq"), leads, leadOpts)
			},
			func(path string) { referenceFile(t, path, MatchColumns("eq"), leads, leadOpts) }},
		{"empty lists",
			func(path string) error {
				return WriteFile(context.Background(), path, mixedColumns(), emptyLists, mixedOpts)
			},
			func(path string) { referenceFile(t, path, mixedColumns(), emptyLists, mixedOpts) }},
		{"full row group", // a full row group fills the pages of "score" exactly: nothing left to flush
			func(path string) error { return WriteFile(context.Background(), path, mixedColumns(), big, bigOpts) },
			func(path string) { referenceFile(t, path, mixedColumns(), big, bigOpts) }},
		{"one row",
			func(path string) error {
				return WriteFile(context.Background(), path, mixedColumns(), mrows[:1], mixedOpts)
			},
			func(path string) { referenceFile(t, path, mixedColumns(), mrows[:1], mixedOpts) }},
		{"empty",
			func(path string) error {
				return WriteFile(context.Background(), path, MatchColumns("eq"), nil, leadOpts)
			},
			func(path string) { referenceFile(t, path, MatchColumns("eq"), nil, leadOpts) }},
	}
	for _, c := range cases {
		ref := filepath.Join(dir, c.name+"-ref.parquet")
		c.ref(ref)
		want, err := os.ReadFile(ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, procs := range []int{1, 2, 7} {
			prev := runtime.GOMAXPROCS(procs)
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.parquet", c.name, procs))
			err := c.write(path)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s, GOMAXPROCS=%d: %d bytes differ from pqarrow's %d bytes", c.name, procs, len(got), len(want))
			}
		}
	}
}

// leadRows are matcher results shaped like the benchmark's.
func leadRows(n int) []matcher.LeadResult {
	r := rand.New(rand.NewPCG(3, 4))
	levels := []string{"exact", "fuzzy_strong", "different", "missing"}
	rows := make([]matcher.LeadResult, n)
	for i := range rows {
		row := &rows[i]
		row.LeadID = fmt.Sprintf("urn:li:fs_salesProfile:(ACwAAA%x,NAME_SEARCH,x1)", i)
		row.Decision = matcher.DecisionNone
		row.Reason = "no candidate"
		if i%3 != 2 {
			row.Decision, row.Reason = matcher.DecisionMatch, ""
			row.CRMObject, row.CRMID = "Contact", fmt.Sprintf("003%015d", r.IntN(2*n))
			row.Probability, row.MatchWeight = r.Float64(), r.Float64()*40-10
			for _, f := range matcher.LeadFields {
				row.Fields = append(row.Fields, matcher.FieldScore{Field: f, Level: levels[r.IntN(len(levels))], Weight: r.Float64()*10 - 3})
			}
			row.BlockingKeys = [][]string{{"email"}, {"surname_phonetic+initial", "company+surname"}}[i%2]
			row.AccountID, row.AccountProbability = fmt.Sprintf("001%015d", r.IntN(n/10+1)), r.Float64()
		}
		if i%3 == 1 {
			row.Decision, row.Reason = matcher.DecisionPossible, "runner-up too close"
			row.RunnerUpID, row.RunnerUpProbability = fmt.Sprintf("003%015d", r.IntN(2*n)), r.Float64()
		}
		row.JobChange = r.IntN(10) == 0
	}
	return rows
}

// TestParallelRoundTrip reads a report with every column kind back with
// pqarrow: every value, the row groups, each column's encoding (dictionary
// unless Plain) and codec, null counts in the statistics, and the
// key-value metadata.
func TestParallelRoundTrip(t *testing.T) {
	const group = 1000
	rows := mixedRows(5500, group)
	path := filepath.Join(t.TempDir(), "mixed.parquet")
	alloc := memory.NewCheckedAllocator(memory.DefaultAllocator)
	opts := Options{RowGroupRows: group, Metadata: map[string]string{"navsync.report": "mixed", "navsync.run_id": "rt"}, Alloc: alloc}
	if err := WriteFile(context.Background(), path, mixedColumns(), rows, opts); err != nil {
		t.Fatal(err)
	}
	if got := fileRowGroups(t, path); !reflect.DeepEqual(got, []int64{group, group, group, group, group, 500}) {
		t.Fatalf("row groups %v", got)
	}
	schema, cols := readColumns(t, path)
	want := Schema(mixedColumns(), opts.Metadata)
	if schema.NumFields() != want.NumFields() { // the key-value metadata is checked below
		t.Fatalf("%d fields, want %d", schema.NumFields(), want.NumFields())
	}
	for i, f := range schema.Fields() { // field metadata: the reader adds PARQUET:field_id
		if w := want.Field(i); f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Type) || f.Nullable != w.Nullable {
			t.Errorf("field %d: %s, want %s", i, f, w)
		}
	}
	orNil := func(v any, ok bool) any {
		if !ok {
			return nil
		}
		return v
	}
	for i, m := range rows {
		var keys, items any
		if len(m.Keys) > 0 {
			keys = toAny(m.Keys, false)
		}
		if m.Items != nil {
			items = toAny(m.Items, true)
		}
		want := map[string]any{
			"id": m.ID, "kind": m.Kind, "note": orNil(m.Note, m.Note != ""), "raw": orNil(m.Raw, m.Raw != ""),
			"score": m.Score, "weight": orNil(m.Weight, m.HasWeight), "n": m.N, "opt": orNil(m.Opt, m.HasOpt),
			"flag": m.Flag, "at": orNil(m.At, !m.At.IsZero()), "keys": keys, "items": items,
		}
		if len(cols["id"]) != len(rows) || len(cols) != len(want) {
			t.Fatalf("%d columns of %d rows", len(cols), len(cols["id"]))
		}
		for col, w := range want {
			got := cols[col][i]
			if gt, ok := got.(time.Time); ok && w != nil && gt.Equal(w.(time.Time)) && gt.Location() == time.UTC {
				continue
			}
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("row %d %s = %#v, want %#v", i, col, got, w)
			}
		}
	}

	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	plain := map[string]bool{"flag": true} // Parquet has no dictionary for booleans
	for _, c := range mixedColumns() {
		plain[c.Field.Name] = plain[c.Field.Name] || c.plain
	}
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		nulls := 0
		for i := g * group; i < min((g+1)*group, len(rows)); i++ {
			if rows[i].Note == "" {
				nulls++
			}
		}
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			name := cc.PathInSchema()[0]
			if cc.Compression() != compress.Codecs.Zstd {
				t.Errorf("row group %d %s: codec %v", g, name, cc.Compression())
			}
			if cc.HasDictionaryPage() == plain[name] {
				t.Errorf("row group %d %s: dictionary page %v, plain %v; encodings %v", g, name, cc.HasDictionaryPage(), plain[name], cc.Encodings())
			}
			if name == "note" {
				st, err := cc.Statistics()
				if err != nil || st == nil || !st.HasNullCount() || st.NullCount() != int64(nulls) {
					t.Errorf("row group %d note: statistics %v (%v), want %d nulls", g, st, err, nulls)
				}
			}
		}
	}
	kv := map[string]string{}
	for _, e := range md.KeyValueMetadata() {
		kv[e.Key] = *e.Value
	}
	if kv["navsync.report"] != "mixed" || kv["navsync.run_id"] != "rt" || kv["ARROW:schema"] == "" || len(kv) != 3 {
		t.Errorf("key-value metadata %v", kv)
	}
	if keys := metadata.KeyValueMetadata(md.KeyValueMetadata()).Keys(); !reflect.DeepEqual(keys, []string{"navsync.report", "navsync.run_id", "ARROW:schema"}) {
		t.Errorf("metadata keys %q", keys)
	}
	runtime.GC()
	if n := alloc.CurrentAlloc(); n != 0 {
		t.Errorf("%d bytes still allocated", n)
	}
}

// toAny is a list's expected values; "" is a null element if nullEmpty.
func toAny(vs []string, nullEmpty bool) []any {
	out := []any{}
	for _, v := range vs {
		if v == "" && nullEmpty {
			out = append(out, nil)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func fileRowGroups(t *testing.T, path string) []int64 {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	var out []int64
	for g := range pf.MetaData().NumRowGroups() {
		out = append(out, pf.MetaData().RowGroup(g).NumRows())
	}
	return out
}

// readColumns reads a file back with pqarrow: column name → values, nil
// for null; a list is a []any, nil for a null element.
func readColumns(t *testing.T, path string) (*arrow.Schema, map[string][]any) {
	t.Helper()
	tb := parquettest.ReadWith(t, path, anyValue)
	return tb.Schema, tb.Cols
}

func anyValue(a arrow.Array, i int) any {
	if l, ok := a.(*array.List); ok && l.IsValid(i) {
		start, end := l.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, anyValue(l.ListValues(), int(j)))
		}
		return out
	}
	return parquettest.Value(a, i)
}

// TestEncodeErrorLeavesNothing: a column that cannot be encoded (a null
// list covering values) fails the write with the column named, and
// nothing is left in the folder.
func TestEncodeErrorLeavesNothing(t *testing.T) {
	bad := Column[mixed]{
		Field: arrow.Field{Name: "bad", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
		bind: func(b array.Builder) func(*mixed) {
			lb := b.(*array.ListBuilder)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			return func(r *mixed) {
				if r.N%2 == 0 {
					lb.AppendNull()
					vb.Append("hidden") // counted in the null list's range
					return
				}
				lb.Append(true)
				vb.Append("x")
			}
		},
	}
	dir := t.TempDir()
	rows := make([]mixed, 50)
	for i := range rows {
		rows[i].ID, rows[i].N = fmt.Sprint(i), int64(i)
	}
	err := WriteFile(context.Background(), filepath.Join(dir, "bad.parquet"), append(mixedColumns(), bad), rows, Options{RowGroupRows: 10})
	if err == nil || !strings.Contains(err.Error(), "report bad.parquet: column bad:") {
		t.Fatalf("err = %v", err)
	}
	if e := entries(t, dir); len(e) != 0 {
		t.Errorf("left behind: %q", e)
	}
	var ref error
	func() {
		defer func() {
			if p := recover(); p != nil {
				ref = fmt.Errorf("panic: %v", p)
			}
		}()
		opts := Options{RowGroupRows: 10, Alloc: memory.DefaultAllocator}
		props, arrowProps := fileProps(append(mixedColumns(), bad), opts)
		schema := Schema(append(mixedColumns(), bad), nil)
		fw, err := pqarrow.NewFileWriter(schema, &bytes.Buffer{}, props, arrowProps)
		if err != nil {
			ref = err
			return
		}
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer rb.Release()
		for i, c := range append(mixedColumns(), bad) {
			a := c.bind(rb.Field(i))
			for j := range rows[:10] {
				a(&rows[j])
			}
		}
		rec := rb.NewRecordBatch()
		defer rec.Release()
		ref = fw.Write(rec)
	}()
	if ref == nil || errors.Unwrap(err) == nil || !strings.Contains(err.Error(), ref.Error()) {
		t.Errorf("pqarrow's error %v, ours %v", ref, err)
	}
}
