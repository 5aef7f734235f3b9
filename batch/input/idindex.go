package input

import "hash/maphash"

// idIndex finds rows by id to reject duplicates. It is an open-addressing
// table (linear probing) of 8-byte slots holding part of an id's hash and
// the row number: millions of ids cost one probe into a flat array each,
// not a map of strings. A slot whose hash part matches is confirmed by
// comparing the ids themselves.
type idIndex struct {
	seed  maphash.Seed
	slots []idSlot // length a power of two, at most half full
	n     int
	key   func(row int32) string
}

// idSlot packs the high 32 bits of an id's hash and row+1; 0 is an empty
// slot.
type idSlot uint64

const tagMask = ^uint64(0xffffffff)

func makeSlot(h uint64, row int32) idSlot { return idSlot(h&tagMask | uint64(uint32(row+1))) }
func (s idSlot) row() int32               { return int32(uint32(s)) - 1 }
func (s idSlot) tag() uint64              { return uint64(s) & tagMask }

// newIDIndex returns an index whose row i has the id key(i).
func newIDIndex(key func(row int32) string) *idIndex {
	return &idIndex{seed: maphash.MakeSeed(), slots: make([]idSlot, 1024), key: key}
}

// reserve makes room for about n more ids.
func (x *idIndex) reserve(n int) {
	size := len(x.slots)
	for size < 2*(x.n+n) {
		size *= 2
	}
	if size > len(x.slots) {
		x.rehash(size)
	}
}

func (x *idIndex) rehash(size int) {
	old := x.slots
	x.slots = make([]idSlot, size)
	mask := uint64(size - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		// A slot keeps only the high bits; positions come from the low
		// ones, so hash the id again.
		h := maphash.String(x.seed, x.key(s.row()))
		j := h & mask
		for x.slots[j] != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = s
	}
}

// add records id as row i, unless it is already there: then it returns the
// earlier row and false.
func (x *idIndex) add(id []byte, i int32) (int32, bool) {
	if 2*(x.n+1) > len(x.slots) {
		x.rehash(2 * len(x.slots)) // before the insert: key(i) is not known yet
	}
	h := maphash.Bytes(x.seed, id)
	mask := uint64(len(x.slots) - 1)
	tag := h & tagMask
	j := h & mask
	for ; x.slots[j] != 0; j = (j + 1) & mask {
		if x.slots[j].tag() == tag {
			if first := x.slots[j].row(); x.key(first) == string(id) {
				return first, false
			}
		}
	}
	x.slots[j] = makeSlot(h, i)
	x.n++
	return 0, true
}
