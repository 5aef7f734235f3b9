package sfsim

import (
	"fmt"
	"slices"
	"testing"
)

func TestRowEncoding(t *testing.T) {
	vals := []string{"003", "", "O\"Hara, Jr", "", string(make([]byte, 300)), "é"}
	row := encodeRow(vals)
	got := make([]string, len(vals))
	decodeRow(row, got)
	if !slices.Equal(got, vals) {
		t.Errorf("round trip %q", got)
	}
	for i, v := range vals {
		if rowValue(row, i) != v {
			t.Errorf("rowValue(%d) = %q", i, rowValue(row, i))
		}
	}
	if encodeRow(make([]string, 4)) != "" {
		t.Error("all-null row is not empty")
	}
}

func TestIndex(t *testing.T) {
	ix := newIndex(true)
	look := func(v string) []int32 { return slices.Clone(ix.lookup(v, nil)) }
	ix.add("A@x.example", 1)
	ix.add("a@X.example", 2)
	ix.add("b@x.example", 3)
	ix.add("", 4)
	if got := look("a@x.EXAMPLE"); !slices.Equal(got, []int32{1, 2}) {
		t.Errorf("folded pair %v", got)
	}
	ix.remove("A@X.EXAMPLE", 1)
	if got := look("a@x.example"); !slices.Equal(got, []int32{2}) {
		t.Errorf("after removing one %v", got)
	}
	ix.remove("a@x.example", 2)
	if got := look("a@x.example"); got != nil {
		t.Errorf("after removing both %v", got)
	}
	// Slots are reused and many rows per value work.
	for i := int32(10); i < 20; i++ {
		ix.add(fmt.Sprintf("k%d", i%2), i)
	}
	if got := look("k0"); len(got) != 5 || got[0] != 10 {
		t.Errorf("k0 %v", got)
	}
	ix.remove("k1", 13)
	ix.remove("k1", 999) // not there
	if got := look("k1"); len(got) != 4 || slices.Contains(got, 13) {
		t.Errorf("k1 %v", got)
	}
	if got := look("b@x.example"); !slices.Equal(got, []int32{3}) {
		t.Errorf("untouched key %v", got)
	}
	cs := newIndex(false)
	cs.add("Abc", 1)
	if cs.lookup("abc", nil) != nil || len(cs.lookup("Abc", nil)) != 1 {
		t.Error("case-sensitive index folds")
	}
}
