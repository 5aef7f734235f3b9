package input

import (
	"bytes"
	"strings"
)

// strtab turns field bytes into strings with few allocations: values are
// copied into shared 64 KiB chunks, so a row costs about one allocation per
// chunk rather than one per field; columns whose values repeat (company
// names, titles, countries, owners) go through an interner. A strtab and
// its interners belong to one goroutine.
type strtab struct {
	chunk strings.Builder
}

const chunkBytes = 64 << 10

func newStrtab() *strtab { return &strtab{} }

// str returns b, trimmed of surrounding white space, as a string.
func (t *strtab) str(b []byte) string { return t.raw(bytes.TrimSpace(b)) }

// raw returns b as a string, as it is (white space kept).
func (t *strtab) raw(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > chunkBytes/8 {
		return string(b)
	}
	if t.chunk.Cap()-t.chunk.Len() < len(b) {
		t.chunk = strings.Builder{}
		t.chunk.Grow(chunkBytes)
	}
	n := t.chunk.Len()
	t.chunk.Write(b)
	// Earlier bytes of a Builder are never rewritten, and the chunk never
	// grows past its capacity, so the substring stays valid.
	return t.chunk.String()[n:]
}

// interner shares equal values of one column. It watches its hit rate and
// turns itself off for a column whose values hardly repeat, where the map
// would cost a cache miss per row and save nothing.
type interner struct {
	t             *strtab
	m             map[string]string
	lookups, hits int
	off           bool
}

const (
	internProbe   = 4096    // lookups before the hit rate is judged
	internMinHits = 4       // keep interning if at least 1 in internMinHits lookups hits
	internMax     = 1 << 18 // values kept per column
)

func (t *strtab) interner() *interner {
	return &interner{t: t, m: make(map[string]string, 256)}
}

// get returns b, trimmed, as a string shared with equal earlier values.
func (in *interner) get(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	if in.off {
		return in.t.str(b)
	}
	in.lookups++
	if s, ok := in.m[string(b)]; ok {
		in.hits++
		return s
	}
	s := in.t.str(b)
	if len(in.m) < internMax {
		in.m[s] = s
	}
	if in.lookups == internProbe && in.hits*internMinHits < in.lookups {
		in.off, in.m = true, nil
	}
	return s
}

// list splits a "|"-separated value into interned parts. Empty parts are
// kept as "" so that past companies and past titles stay aligned; an empty
// value gives nil.
func (in *interner) list(b []byte) []string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	out := make([]string, 0, bytes.Count(b, []byte{'|'})+1)
	for {
		i := bytes.IndexByte(b, '|')
		if i < 0 {
			return append(out, in.get(b))
		}
		out = append(out, in.get(b[:i]))
		b = b[i+1:]
	}
}
