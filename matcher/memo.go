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
	seed  maphash.Seed
	slots []memoSlot[V]
}

type memoSlot[V any] struct {
	key string
	set bool
	val V
}

// get returns f(s), from the table when s is in its slot. size (a power
// of two) is the number of slots, allocated on first use.
func (m *memo[V]) get(s string, size int, f func(string) V) V {
	if m.slots == nil {
		m.seed = maphash.MakeSeed()
		m.slots = make([]memoSlot[V], size)
	}
	e := &m.slots[maphash.String(m.seed, s)&uint64(len(m.slots)-1)]
	if e.set && e.key == s {
		return e.val
	}
	v := f(s)
	*e = memoSlot[V]{key: s, set: true, val: v}
	return v
}
