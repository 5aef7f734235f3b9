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

// countKeys returns, for each key, how many of keys equal it; 0 for the
// key 0 (none). One open-addressing table of the distinct keys, sized
// for the keys that are not 0.
func countKeys(keys []uint64) []int32 {
	nz := 0
	for _, k := range keys {
		if k != 0 {
			nz++
		}
	}
	size := 64
	for size < 2*nz {
		size <<= 1
	}
	mask := uint64(size - 1)
	slots := make([]uint64, size)
	cnt := make([]int32, size)
	at := make([]int32, len(keys))
	for i, k := range keys {
		if k == 0 {
			at[i] = -1
			continue
		}
		j := mix64(k) & mask
		for slots[j] != 0 && slots[j] != k {
			j = (j + 1) & mask
		}
		slots[j] = k
		cnt[j]++
		at[i] = int32(j)
	}
	for i, j := range at {
		if j < 0 {
			at[i] = 0
		} else {
			at[i] = cnt[j]
		}
	}
	return at
}

// mix64 is the splitmix64 finaliser: table positions from keys whose low
// bits are not uniform (phone numbers).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// countSharedPhones sets phoneOthers of every CRM record: for each of its
// numbers, how many other records carry it when they are not all of one
// surname (records of one surname with one number are mostly one person
// twice: a duplicate, a converted Lead and its Contact), else 0. One pass
// over an open-addressing table of the numbers, each slot with its count,
// the surname of its first record and whether another surname came.
func countSharedPhones(crm []prepPerson) {
	nz := 0
	for i := range crm {
		for _, ph := range crm[i].phones {
			if ph != 0 {
				nz++
			}
		}
	}
	size := 64
	for size < 2*nz {
		size <<= 1
	}
	mask := uint64(size - 1)
	type slot struct {
		phone   uint64
		surname uint32 // hash of the first record's surname
		count   uint32 // records; the top bit: several surnames
	}
	const mixed = 1 << 31
	slots := make([]slot, size)
	at := make([]int32, 2*len(crm))
	for i := range crm {
		sh := uint32(hashStr(fnvOffset, crm[i].last))
		for k, ph := range crm[i].phones {
			if ph == 0 {
				at[2*i+k] = -1
				continue
			}
			j := mix64(ph) & mask
			for slots[j].phone != 0 && slots[j].phone != ph {
				j = (j + 1) & mask
			}
			sl := &slots[j]
			if sl.phone == 0 {
				sl.phone, sl.surname = ph, sh
			} else if sl.surname != sh {
				sl.count |= mixed
			}
			sl.count++
			at[2*i+k] = int32(j)
		}
	}
	for i := range crm {
		for k := range 2 {
			if j := at[2*i+k]; j >= 0 && slots[j].count&mixed != 0 {
				crm[i].phoneOthers[k] = uint16(min(slots[j].count&^mixed-1, 1<<16-1))
			}
		}
	}
}

// countDomains returns, for each CRM record, how many records share its
// more frequent company domain (website or work email): 0 without one.
func countDomains(crm []prepPerson) []int32 {
	keys := make([]uint64, 2*len(crm))
	for i := range crm {
		for k, d := range crm[i].domains {
			if d != "" {
				keys[2*i+k] = keyHash(ixDomainSurname, d) | 1
			}
		}
	}
	c := countKeys(keys)
	out := make([]int32, len(crm))
	for i := range out {
		out[i] = max(c[2*i], c[2*i+1])
	}
	return out
}

// markAccountPhones counts a CRM person's number that is an Account's
// phone (the firm's main line) as shared, when no other person carries it
// in the CRM: it is a switchboard all the same.
func markAccountPhones(crm []prepPerson, accts []prepCompany) {
	main := make(map[uint64]struct{}, len(accts))
	for i := range accts {
		if accts[i].phone != 0 {
			main[accts[i].phone] = struct{}{}
		}
	}
	if len(main) == 0 {
		return
	}
	for i := range crm {
		for k, ph := range crm[i].phones {
			if _, ok := main[ph]; ok && ph != 0 && crm[i].phoneOthers[k] == 0 {
				crm[i].phoneOthers[k] = 1
			}
		}
	}
}
