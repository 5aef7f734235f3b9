package input

import (
	"bytes"
	"strings"
)

// strtab turns field bytes into strings with few allocations: values that
// repeat across rows (company names, titles, countries, owner ids) are
// interned; the rest are copied into shared 64 KiB chunks, so a row costs
// about one allocation per chunk rather than one per field. A strtab belongs
// to one goroutine.
type strtab struct {
	chunk  strings.Builder
	intern map[string]string
}

const (
	chunkBytes  = 64 << 10
	maxInterned = 1 << 20 // past this, values are copied, not interned
)

func newStrtab() *strtab { return &strtab{intern: make(map[string]string, 1024)} }

// str returns b, trimmed of surrounding white space, as a string.
func (t *strtab) str(b []byte) string {
	b = bytes.TrimSpace(b)
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

// in returns b, trimmed, as an interned string.
func (t *strtab) in(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	if s, ok := t.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.intern) < maxInterned {
		t.intern[s] = s
	}
	return s
}

// list splits a "|"-separated value into interned parts. Empty parts are
// kept as "" so that past companies and past titles stay aligned; an empty
// value gives nil.
func (t *strtab) list(b []byte) []string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	out := make([]string, 0, bytes.Count(b, []byte{'|'})+1)
	for {
		i := bytes.IndexByte(b, '|')
		if i < 0 {
			return append(out, t.in(b))
		}
		out = append(out, t.in(b[:i]))
		b = b[i+1:]
	}
}
