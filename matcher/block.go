package matcher

import (
	"unsafe"

	"cmp"
	"context"
	"slices"

	"golang.org/x/sync/errgroup"
)

// Blocking keys of lead pairs. Each CRM index is built once; several lead
// queries may use the same index under different key names.
const (
	kEmail = iota
	kPhone
	kNamePhonetic
	kSwappedPhonetic
	kCompanySurname
	kDomainSurname
	kPastCompanySurname
	kCompanyFirst
	kLinked
	numLeadKeys
)

var leadKeyNames = [numLeadKeys]string{
	"email", "phone", "name+company_initial", "swapped_name+company_initial", "company+surname",
	"domain+surname", "past_company+surname", "company+first_name", "linked_lead_id",
}

// CRM indexes.
const (
	ixEmail = iota
	ixPhone
	ixName
	ixCompanySurname
	ixDomainSurname
	ixCompanyFirst
	ixLinked
	numLeadIndexes
)

// Company blocking keys (and indexes, one each).
const (
	ckName = iota
	ckDomain
	ckPhone
	ckNameToken
	ckAcronym
	numCompanyKeys
)

var companyKeyNames = [numCompanyKeys]string{"name", "domain", "phone", "name_token", "acronym"}

// fnv64 hashing of key parts: deterministic across runs and processes.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashStr(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff // separator, so ("ab","c") != ("a","bc")
	h *= fnvPrime
	return h
}

func hashU64(h, v uint64) uint64 {
	for range 8 {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func keyHash(kind int, parts ...string) uint64 {
	h := hashU64(fnvOffset, uint64(kind))
	for _, p := range parts {
		h = hashStr(h, p)
	}
	return h
}

type entry struct {
	key uint64
	id  int32
}

// index maps key hashes to record ids: keys sorted, ids of block i in
// ids[offs[i]:offs[i+1]], at most maxBlock per block (the lowest ids; the
// rest are counted as capped).
type index struct {
	keys          []uint64
	offs          []uint32
	ids           []int32
	dir           []uint32 // dir[b] = first key whose top bits are >= b; keys are hashes, so each range is tiny
	shift         uint
	blocks        int64
	cappedBlocks  int64
	cappedRecords int64
}

func buildIndex(entries []entry, maxBlock int) *index {
	bits := uint(8)
	for bits < 24 && 1<<bits < len(entries) {
		bits++
	}
	sortEntries(entries, 64-bits)
	entries = slices.Compact(entries)
	// At most one key and one id per entry: sized once, not grown.
	ix := &index{keys: make([]uint64, 0, len(entries)), ids: make([]int32, 0, len(entries)), offs: make([]uint32, 0, len(entries)+1)}
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j].key == entries[i].key {
			j++
		}
		ix.keys = append(ix.keys, entries[i].key)
		ix.offs = append(ix.offs, uint32(len(ix.ids)))
		n := j - i
		if maxBlock > 0 && n > maxBlock {
			ix.cappedBlocks++
			ix.cappedRecords += int64(n - maxBlock)
			n = maxBlock
		}
		for k := i; k < i+n; k++ {
			ix.ids = append(ix.ids, entries[k].id)
		}
		i = j
	}
	ix.offs = append(ix.offs, uint32(len(ix.ids)))
	ix.blocks = int64(len(ix.keys))
	ix.keys = slices.Clip(ix.keys)
	ix.ids = slices.Clip(ix.ids)
	// A directory on the top bits of the (uniform) hashes: a lookup reads
	// two directory slots and a range of about one key instead of binary
	// searching millions.
	bits = uint(8)
	for bits < 24 && 1<<bits < len(ix.keys) {
		bits++
	}
	ix.shift = 64 - bits
	ix.dir = make([]uint32, 1<<bits+1)
	k := 0
	for b := range ix.dir {
		for k < len(ix.keys) && ix.keys[k]>>ix.shift < uint64(b) {
			k++
		}
		ix.dir[b] = uint32(k)
	}
	return ix
}

// sortEntries sorts by key, then id, in linear time: a counting pass on
// the top bits of the (uniform) hashes spreads the entries over buckets of
// about one entry each, which an insertion sort finishes. The scatter keeps
// input order within a bucket and the insertion sort is stable, so entries
// appended in id order come out in (key, id) order.
func sortEntries(entries []entry, shift uint) {
	if len(entries) < 64 {
		slices.SortFunc(entries, func(a, b entry) int {
			if c := cmp.Compare(a.key, b.key); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		return
	}
	counts := make([]int32, 1<<(64-shift)+1)
	for _, e := range entries {
		counts[e.key>>shift+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	tmp := make([]entry, len(entries))
	for _, e := range entries {
		b := e.key >> shift
		tmp[counts[b]] = e
		counts[b]++
	}
	// counts[b] is now the end of bucket b.
	start := int32(0)
	for b := 0; b < len(counts)-1; b++ {
		end := counts[b]
		bucket := tmp[start:end]
		if len(bucket) > 32 { // a frequent key (a big block): stable, so ids stay in order
			slices.SortStableFunc(bucket, func(x, y entry) int { return cmp.Compare(x.key, y.key) })
			start = end
			continue
		}
		for i := 1; i < len(bucket); i++ {
			for j := i; j > 0 && (bucket[j].key < bucket[j-1].key || bucket[j].key == bucket[j-1].key && bucket[j].id < bucket[j-1].id); j-- {
				bucket[j], bucket[j-1] = bucket[j-1], bucket[j]
			}
		}
		start = end
	}
	copy(entries, tmp)
}

func (ix *index) lookup(key uint64) []int32 {
	b := key >> ix.shift
	lo, hi := ix.dir[b], ix.dir[b+1]
	i, ok := slices.BinarySearch(ix.keys[lo:hi], key)
	if !ok {
		return nil
	}
	i += int(lo)
	return ix.ids[ix.offs[i]:ix.offs[i+1]]
}

// probe is one pending index lookup.
type probe struct {
	h      uint64
	ix     *index
	key    int    // the blocking key that asked
	lo, hi uint32 // the directory range, then the block's ids
	found  bool
}

// lookupAll looks up every probe and calls emit with the ids found. A
// lookup reads the directory, the keys, the block offsets and the ids, in
// tables of millions of entries, each read a cache miss; the probes go
// through those steps together, each step prefetching what the next one
// reads for every probe, so the misses of a lead's probes overlap instead
// of following one another.
func lookupAll(ps []probe, emit func(p *probe, ids []int32)) {
	for i := range ps {
		p := &ps[i]
		prefetch(unsafe.Pointer(&p.ix.dir[p.h>>p.ix.shift]))
	}
	for i := range ps {
		p := &ps[i]
		b := p.h >> p.ix.shift
		p.lo, p.hi = p.ix.dir[b], p.ix.dir[b+1]
		if p.lo < p.hi {
			prefetch(unsafe.Pointer(&p.ix.keys[p.lo]))
		}
	}
	for i := range ps {
		p := &ps[i]
		j, ok := slices.BinarySearch(p.ix.keys[p.lo:p.hi], p.h)
		p.found = ok
		if ok {
			p.lo += uint32(j)
			prefetch(unsafe.Pointer(&p.ix.offs[p.lo]))
		}
	}
	for i := range ps {
		p := &ps[i]
		if p.found {
			p.lo, p.hi = p.ix.offs[p.lo], p.ix.offs[p.lo+1]
			prefetch(unsafe.Pointer(&p.ix.ids[p.lo]))
		}
	}
	for i := range ps {
		if p := &ps[i]; p.found {
			emit(p, p.ix.ids[p.lo:p.hi])
		}
	}
}

// personKeys calls emit with the keys of a CRM person in one index.
func personKeys(p *prepPerson, ix int, emit func(key uint64)) {
	switch ix {
	case ixLinked:
		if p.linked != "" {
			emit(keyHash(ixLinked, p.linked))
		}
	case ixEmail:
		if p.email != "" {
			emit(keyHash(ixEmail, p.email))
		}
	case ixPhone:
		for _, ph := range p.phones {
			if ph != 0 {
				emit(hashU64(hashU64(fnvOffset, ixPhone), ph))
			}
		}
	case ixName:
		if p.last != "" && p.first != "" {
			sx := makeSkel(p.last)
			h := sx.hash(hashU64(fnvOffset, ixName)) // keyHash(ixName, skeleton(last), given, ci)
			ci := initial(p.company.name)
			forGivenKeys(p, func(g skel) { emit(hashStr(g.hash(h), ci)) })
		}
	case ixCompanySurname:
		if p.last != "" && p.company.name != "" {
			emit(keyHash(ixCompanySurname, p.company.name, p.last))
			if len(p.company.acr) >= 3 {
				emit(keyHash(ixCompanySurname, p.company.acr, p.last))
			}
		}
	case ixDomainSurname:
		if p.last != "" {
			for _, d := range p.domains {
				if d != "" {
					emit(keyHash(ixDomainSurname, d, p.last))
				}
			}
		}
	case ixCompanyFirst:
		if p.first != "" && !p.firstInit && p.company.name != "" {
			emit(keyHash(ixCompanyFirst, p.company.name, p.first))
			if len(p.company.acr) >= 3 {
				emit(keyHash(ixCompanyFirst, p.company.acr, p.first))
			}
		}
	}
}

// initial is the first byte of a normalised company name ("" for none).
func initial(name string) string {
	if name == "" {
		return ""
	}
	return name[:1]
}

// forGivenKeys calls f with the phonetic keys of a given name: the
// skeleton of the name and of each of its nickname roots, so "Bob",
// "Bobby" and "Robert" meet under the key of "robert". A bare initial has
// no key.
func forGivenKeys(p *prepPerson, f func(skel)) {
	if p.firstInit {
		return
	}
	own := makeSkel(p.first)
	f(own)
	names := nicknames().names
	var done [4]skel
	n := 0
	for _, r := range p.firstRoots {
		sx := makeSkel(names[r])
		if sx.equal(&own) || slices.ContainsFunc(done[:n], func(d skel) bool { return d.equal(&sx) }) {
			continue
		}
		f(sx)
		if n < len(done) {
			done[n] = sx
			n++
		}
	}
}

// leadQueries calls q for every (key, index, hash) a lead looks up.
func leadQueries(p *prepPerson, q func(key, ix int, h uint64)) {
	if p.linked != "" {
		q(kLinked, ixLinked, keyHash(ixLinked, p.linked))
	}
	if p.email != "" {
		q(kEmail, ixEmail, keyHash(ixEmail, p.email))
	}
	if p.phones[0] != 0 {
		q(kPhone, ixPhone, hashU64(hashU64(fnvOffset, ixPhone), p.phones[0]))
	}
	if p.last != "" && p.first != "" {
		// The name key carries the initial of the company: of the current
		// one, or of a past one for a job change. A name alone would pair a
		// lead with every namesake of a large CRM, and names alone never
		// make a match (see corroborated).
		var cis [4]string
		n := 0
		add := func(c string) {
			ci := initial(c)
			if n < len(cis) && !slices.Contains(cis[:n], ci) {
				cis[n] = ci
				n++
			}
		}
		ls := p.lead
		add(p.company.name)
		for i := range ls.past {
			add(ls.past[i].name)
		}
		sx := makeSkel(p.last)
		h := sx.hash(hashU64(fnvOffset, ixName)) // keyHash(ixName, skeleton(last), given, ci)
		var hs uint64
		if ls.swapFirst != "" && ls.swapLast != "" {
			sl, sf := makeSkel(ls.swapLast), makeSkel(ls.swapFirst)
			hs = sf.hash(sl.hash(hashU64(fnvOffset, ixName)))
		}
		for _, ci := range cis[:n] {
			forGivenKeys(p, func(g skel) { q(kNamePhonetic, ixName, hashStr(g.hash(h), ci)) })
			if ls.swapFirst != "" && ls.swapLast != "" {
				// first and last name exchanged: the lead's first-name
				// field is the CRM surname
				q(kSwappedPhonetic, ixName, hashStr(hs, ci))
			}
		}
	}
	if p.last != "" {
		if p.company.name != "" {
			q(kCompanySurname, ixCompanySurname, keyHash(ixCompanySurname, p.company.name, p.last))
		}
		for _, d := range p.domains {
			if d != "" {
				q(kDomainSurname, ixDomainSurname, keyHash(ixDomainSurname, d, p.last))
			}
		}
		for i := range p.lead.past {
			q(kPastCompanySurname, ixCompanySurname, keyHash(ixCompanySurname, p.lead.past[i].name, p.last))
		}
	}
	if p.first != "" && !p.firstInit && p.company.name != "" {
		q(kCompanyFirst, ixCompanyFirst, keyHash(ixCompanyFirst, p.company.name, p.first))
	}
}

// buildPersonIndexes builds the CRM people indexes, one goroutine per index.
func buildPersonIndexes(ctx context.Context, crm []prepPerson, maxBlock, limit int) ([numLeadIndexes]*index, error) {
	var out [numLeadIndexes]*index
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for ix := range numLeadIndexes {
		g.Go(func() error {
			// About one key per person in most indexes: one allocation
			// instead of a doubling append from nothing.
			entries := make([]entry, 0, len(crm)+len(crm)/8)
			for i := range crm {
				personKeys(&crm[i], ix, func(key uint64) { entries = append(entries, entry{key, int32(i)}) })
			}
			limit := maxBlock
			if ix == ixPhone && (limit == 0 || limit > phoneBlockCap) {
				limit = phoneBlockCap
			}
			out[ix] = buildIndex(entries, limit)
			return nil
		})
	}
	err := g.Wait()
	return out, err
}

// phoneBlockCap caps the records of one phone number in the blocking
// index, whatever Options.MaxBlockSize: a number that many records carry is
// a switchboard, which pairs a lead with the whole firm for no match (its
// colleagues come through the name and company keys), and weighs little
// when it agrees (see sharedPhoneWeight). Capped blocks are counted in
// Stats like the others.
const phoneBlockCap = 32

// companyKeys returns the blocking keys of a normalised company, for both
// index building (accounts) and querying.
func companyKeys(c *prepCompany, emit func(k int, key uint64)) {
	if c.name.name != "" {
		emit(ckName, keyHash(ckName, c.name.name))
		if t := firstToken(c.name.name); t != "" {
			emit(ckNameToken, keyHash(ckNameToken, t))
		}
	}
	if c.domain != "" {
		emit(ckDomain, keyHash(ckDomain, c.domain))
	}
	if c.phone != 0 {
		emit(ckPhone, hashU64(hashU64(fnvOffset, ckPhone), c.phone))
	}
}

func buildCompanyIndexes(ctx context.Context, accts []prepCompany, maxBlock, limit int) ([numCompanyKeys]*index, error) {
	var per [numCompanyKeys][]entry
	for i := range accts {
		c := &accts[i]
		companyKeys(c, func(k int, key uint64) {
			per[k] = append(per[k], entry{key, int32(i)})
		})
		// An account's acronym is found by a query naming the acronym, and
		// the other way round (see companyQueries).
		if h, ok := acronymIndexKey(&c.name); ok {
			per[ckAcronym] = append(per[ckAcronym], entry{h, int32(i)})
		}
	}
	var out [numCompanyKeys]*index
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for k := range numCompanyKeys {
		g.Go(func() error {
			out[k] = buildIndex(per[k], maxBlock)
			per[k] = nil
			return nil
		})
	}
	err := g.Wait()
	return out, err
}

// companyQueries calls q for every (key, hash) a company looks up. The
// name_token key pairs a one-word name with the accounts whose name starts
// with it, and the first word of a longer name with the account of that
// one-word name ("acme" and "acme robotics"), never two long names through
// a shared first word, which would pair every "global ..." with every other.
func companyQueries(c *prepCompany, q func(k int, h uint64)) {
	if c.name.name != "" {
		q(ckName, keyHash(ckName, c.name.name))
		if t := firstToken(c.name.name); t != "" {
			q(ckNameToken, keyHash(ckName, t)) // looked up in the name index
		} else {
			q(ckNameToken, keyHash(ckNameToken, c.name.name))
		}
	}
	if c.domain != "" {
		q(ckDomain, keyHash(ckDomain, c.domain))
	}
	if c.phone != 0 {
		q(ckPhone, hashU64(hashU64(fnvOffset, ckPhone), c.phone))
	}
	if h, ok := acronymQueryKey(&c.name); ok {
		q(ckAcronym, h)
	}
}

// The acronym key pairs a multi-word name with a one-word name equal to its
// acronym ("international business machines" and "ibm"), the only pairs
// compareCompany grades by acronym. Accounts are indexed by what they are
// (the acronym of a multi-word name under acrLong, a one-word name under
// acrShort) and queries look up the other kind, so two multi-word names
// that merely share initials ("global trade systems", "green tech
// solutions") are never paired through it: with 200k Accounts that pairing
// made nine pairs in ten of the account blocking for no match.
const (
	acrLong  = numCompanyKeys + iota // hash domain of a multi-word name's acronym
	acrShort                         // hash domain of a one-word name
)

func acronymIndexKey(n *compName) (uint64, bool) {
	switch {
	case len(n.acr) >= 3:
		return keyHash(acrLong, n.acr), true
	case len(n.name) >= 3 && n.acr == "":
		return keyHash(acrShort, n.name), true
	}
	return 0, false
}

func acronymQueryKey(n *compName) (uint64, bool) {
	switch {
	case len(n.acr) >= 3:
		return keyHash(acrShort, n.acr), true
	case len(n.name) >= 3 && n.acr == "":
		return keyHash(acrLong, n.name), true
	}
	return 0, false
}
