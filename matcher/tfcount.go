package matcher

import "hash/maphash"

// countValues returns, for each of n records, how many of the n records
// have the same value key(i); 0 where the value is empty. It is the term
// frequency count of a field over millions of CRM records: one flat
// open-addressing table (linear probing) of 8-byte slots, each holding
// part of the value's hash and a dense value number, instead of a map of
// strings that grows and rehashes; a slot whose hash part matches is
// confirmed by comparing the values.
func countValues(n int, key func(i int) string) []int32 {
	seed := maphash.MakeSeed()
	ids := make([]int32, n)       // value number of each record, -1 when empty
	var keys []string             // each value number's value
	var counts []int32            // records per value number
	slots := make([]uint64, 1024) // high 32 bits: hash tag; low 32: value number + 1; 0: empty
	const tagMask = ^uint64(0xffffffff)
	insert := func(h uint64, v uint32) {
		mask := uint64(len(slots) - 1)
		j := h & mask
		for slots[j] != 0 {
			j = (j + 1) & mask
		}
		slots[j] = h&tagMask | uint64(v+1)
	}
	for i := range n {
		k := key(i)
		if k == "" {
			ids[i] = -1
			continue
		}
		h := maphash.String(seed, k)
		mask := uint64(len(slots) - 1)
		tag := h & tagMask
		id := int32(-1)
		for j := h & mask; slots[j] != 0; j = (j + 1) & mask {
			if slots[j]&tagMask == tag {
				if v := int32(uint32(slots[j]) - 1); keys[v] == k {
					id = v
					break
				}
			}
		}
		if id < 0 {
			id = int32(len(counts))
			keys = append(keys, k)
			counts = append(counts, 0)
			if 2*len(counts) > len(slots) {
				// grow: positions come from the low bits, so hash again
				slots = make([]uint64, 2*len(slots))
				for v, kv := range keys {
					insert(maphash.String(seed, kv), uint32(v))
				}
			} else {
				insert(h, uint32(id))
			}
		}
		counts[id]++
		ids[i] = id
	}
	for i, id := range ids {
		if id < 0 {
			ids[i] = 0
		} else {
			ids[i] = counts[id]
		}
	}
	return ids
}
