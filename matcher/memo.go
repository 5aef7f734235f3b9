package matcher

import "hash/maphash"

// memo caches a pure function of a string in a direct-mapped table: one
// slot per hash of the key, overwritten when another key lands on it. A
// lookup reads one slot and a miss writes one; unlike a map it never
// grows, rehashes or is cleared wholesale, which at millions of records
// cost more than the normalisations it saved. Values depend only on the
// key, so what is evicted, and the random hash seed, change nothing but
// the time taken. Each normalizer (one goroutine) owns its memos.
type memo[V any] struct {
	seed   maphash.Seed
	slots  []memoSlot[V]
	misses int // since the table was last resized
}

type memoSlot[V any] struct {
	key string
	set bool
	val V
}

// memoStart is the number of slots a memo starts with; it grows fourfold
// (starting empty again) each time it has missed twice its size, up to the
// size asked for, so a small run does not pay for tables sized for
// millions of records.
const memoStart = 1 << 12

// get returns f(s), from the table when s is in its slot. size (a power
// of two) is the most slots the table grows to.
func (m *memo[V]) get(s string, size int, f func(string) V) V {
	if m.slots == nil {
		m.seed = maphash.MakeSeed()
		m.slots = make([]memoSlot[V], min(size, memoStart))
	}
	h := maphash.String(m.seed, s)
	e := &m.slots[h&uint64(len(m.slots)-1)]
	if e.set && e.key == s {
		return e.val
	}
	v := f(s)
	if m.misses++; m.misses > 2*len(m.slots) && len(m.slots) < size {
		m.slots = make([]memoSlot[V], min(size, 4*len(m.slots)))
		m.misses = 0
		e = &m.slots[h&uint64(len(m.slots)-1)]
	}
	*e = memoSlot[V]{key: s, set: true, val: v}
	return v
}
