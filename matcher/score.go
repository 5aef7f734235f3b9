package matcher

import (
	"cmp"
	"context"
	"math"
	"slices"
	"unsafe"
)

// topK is how many best candidates are kept per lead or company.
const topK = 4

type cand struct {
	idx  int32
	w    float64
	keys uint16 // bit k: blocking key k produced the pair
}

type scored struct {
	top   [topK]cand
	n     int8
	pairs int32
}

// insert keeps the topK candidates ordered by weight (desc), then by
// preference (contacts before leads), then by index.
func (s *scored) insert(c cand, less func(a, b cand) bool) {
	s.pairs++
	if int(s.n) == topK && !less(c, s.top[topK-1]) {
		return
	}
	i := int(s.n)
	if i == topK {
		i = topK - 1
	} else {
		s.n++
	}
	for i > 0 && less(c, s.top[i-1]) {
		s.top[i] = s.top[i-1]
		i--
	}
	s.top[i] = c
}

// leadWeights returns the per-field weights of a lead pair with CRM
// person ci and their sum (without the prior): the weights of the pair's
// comparison context, term frequency for exact names, companies (by name
// or by domain) and shared phone numbers.
func (r *run) leadWeights(l *prepPerson, ci int32, lv *[numLeadFields]level) (fw [numLeadFields]float64, total float64) {
	m := r.model
	c := &r.crm[ci]
	k := contextOf(lv)
	tab := &m.ctx[k]
	for f := range numLeadFields {
		w := tab[f][lv[f]]
		if lv[f] == lvExact {
			switch f {
			case fPhone:
				if others := phoneOthers(l, c); others > 0 {
					w = r.sharedPhoneWeight(m.ctxM[k][fPhone][lvExact], w, others, ci)
				}
			case fFirst:
				w = float64(c.tfW[0])
			case fLast:
				w = float64(c.tfW[1])
			case fCompany:
				if l.company.name == c.company.name {
					w = float64(c.tfW[2])
				} else if c.tfDomain != 0 {
					w = float64(c.tfDomain) // agreement through a shared domain
				}
			case fPastCompany:
				w = float64(c.tfW[3])
			}
		}
		fw[f] = w
		total += w
	}
	if c.linked != "" && c.linked == l.linked {
		total += linkedWeight
	}
	return fw, total
}

// phoneOthers is, when the lead's number is one of the CRM person's, how
// many CRM records of another surname carry it too (0: it is this
// person's own number, or none agrees).
func phoneOthers(l, c *prepPerson) int {
	ph := l.phones[0]
	switch {
	case ph == 0:
		return 0
	case ph == c.phones[0]:
		return int(c.phoneOthers[0])
	case ph == c.phones[1]:
		return int(c.phoneOthers[1])
	}
	return 0
}

// sharedPhoneWeight is the weight of agreement on a number that others
// CRM records of other people carry too (a switchboard): it tells the
// company, not the person. u is the share of the CRM person's company
// that carries it, so a number of half the firm weighs about a bit; never
// more than base, the weight of a number of one person.
func (r *run) sharedPhoneWeight(m, base float64, others int, ci int32) float64 {
	n := max(int(r.companyN[ci]), others+1)
	return min(base, math.Log2(m/(float64(others)/float64(n))))
}

func (r *run) companyWeights(s, a *prepCompany, lv *[numCompanyFields]level) (fw [numCompanyFields]float64, total float64) {
	m := r.model
	for f := range numCompanyFields {
		w := m.company[f][lv[f]]
		if f == cName && lv[f] == lvExact {
			w = float64(a.tfW)
		}
		fw[f] = w
		total += w
	}
	return fw, total
}

func (r *run) personLess(a, b cand) bool {
	if a.w != b.w {
		return a.w > b.w
	}
	la, lb := r.crm[a.idx].isLead, r.crm[b.idx].isLead
	if la != lb {
		return !la
	}
	return a.idx < b.idx
}

func companyLess(a, b cand) bool {
	if a.w != b.w {
		return a.w > b.w
	}
	return a.idx < b.idx
}

type hit struct {
	idx  int32
	keys uint16
}

// gather sorts hits by record and merges the keys of duplicates in place.
func gather(hits []hit) []hit {
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(a.idx, b.idx) })
	out := hits[:0]
	for _, h := range hits {
		if len(out) > 0 && out[len(out)-1].idx == h.idx {
			out[len(out)-1].keys |= h.keys
			continue
		}
		out = append(out, h)
	}
	return out
}

// leadPatterns counts comparison vectors of candidate pairs (for Train).
type leadPatterns map[[numLeadFields]level]float64
type companyPatterns map[[numCompanyFields]level]float64

type chunkStats struct {
	keyPairs [numLeadKeys]int64
	pairs    int64
}

const leadChunk = 2048

// scoreLeads blocks and scores every lead; with collect it also counts the
// comparison vectors of all candidate pairs.
func (r *run) scoreLeads(ctx context.Context, collect bool) ([]scored, []chunkStats, leadPatterns, error) {
	out := make([]scored, len(r.leads))
	nChunks := (len(r.leads) + leadChunk - 1) / leadChunk
	stats := make([]chunkStats, nChunks)
	pats := make([]leadPatterns, nChunks)
	err := parallelChunks(ctx, len(r.leads), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		st := &stats[lo/leadChunk]
		var pat leadPatterns
		if collect {
			pat = leadPatterns{}
			pats[lo/leadChunk] = pat
		}
		var hits []hit
		var probes []probe
		for i := lo; i < hi; i++ {
			l := &r.leads[i]
			hits, probes = hits[:0], probes[:0]
			leadQueries(l, func(key, ix int, h uint64) {
				probes = append(probes, probe{h: h, ix: r.pix[ix], key: key})
			})
			lookupAll(probes, func(p *probe, ids []int32) {
				st.keyPairs[p.key] += int64(len(ids))
				for _, id := range ids {
					hits = append(hits, hit{id, 1 << p.key})
				}
			})
			hits = gather(hits)
			if r.ov != nil {
				hits = r.ov.filter(r, i, hits)
			}
			s := &out[i]
			for k, h := range hits {
				// The candidates' records are spread over gigabytes, so
				// each first touch misses the cache: start loading a
				// record four pairs ahead, the company of the record two
				// pairs ahead (its pointer is in cache by then), and the
				// company name and domain of the next one.
				if k+4 < len(hits) {
					prefetch(unsafe.Pointer(&r.crm[hits[k+4].idx]))
				}
				if k+2 < len(hits) {
					prefetch(unsafe.Pointer(r.crm[hits[k+2].idx].company))
				}
				if k+1 < len(hits) {
					next := &r.crm[hits[k+1].idx]
					prefetch(unsafe.Pointer(unsafe.StringData(next.company.name)))
					prefetch(unsafe.Pointer(unsafe.StringData(next.domains[1])))
				}
				c := &r.crm[h.idx]
				lv := leadLevelsOf(l, c)
				_, w := r.leadWeights(l, h.idx, &lv)
				s.insert(cand{idx: h.idx, w: w + r.leadPrior, keys: h.keys}, r.personLess)
				if collect {
					if lv[fPhone] == lvExact && phoneOthers(l, c) > 0 {
						lv[fPhone] = lvMissing // as trainLevels
					}
					pat[lv]++
				}
			}
			st.pairs += int64(len(hits))
		}
		return nil
	})
	return out, stats, sumPatterns(pats), err
}

// companyScores is what scoreCompanies found for a list of company
// queries.
type companyScores struct {
	scores   []scored              // per query, its best Accounts
	keyPairs [numCompanyKeys]int64 // candidate pairs per blocking key (before de-duplication)
	pairs    int64                 // distinct pairs scored
	patterns companyPatterns       // with collect: the comparison vectors of all pairs
}

// scoreCompanies blocks and scores company queries against the CRM Accounts.
func (r *run) scoreCompanies(ctx context.Context, qs []prepCompany, collect bool) (companyScores, error) {
	out := make([]scored, len(qs))
	nChunks := (len(qs) + leadChunk - 1) / leadChunk
	type cstat struct {
		keyPairs [numCompanyKeys]int64
		pairs    int64
	}
	stats := make([]cstat, nChunks)
	pats := make([]companyPatterns, nChunks)
	err := parallelChunks(ctx, len(qs), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		st := &stats[lo/leadChunk]
		var pat companyPatterns
		if collect {
			pat = companyPatterns{}
			pats[lo/leadChunk] = pat
		}
		var hits []hit
		for i := lo; i < hi; i++ {
			q := &qs[i]
			hits = hits[:0]
			companyQueries(q, func(k int, h uint64) {
				ix := k
				if k == ckNameToken && q.name.name != "" && firstToken(q.name.name) != "" {
					ix = ckName // first word of a long name against whole one-word names
				}
				ids := r.cix[ix].lookup(h)
				st.keyPairs[k] += int64(len(ids))
				for _, id := range ids {
					hits = append(hits, hit{id, 1 << k})
				}
			})
			hits = gather(hits)
			s := &out[i]
			for _, h := range hits {
				a := &r.accts[h.idx]
				lv := companyLevelsOf(q, a)
				_, w := r.companyWeights(q, a, &lv)
				s.insert(cand{idx: h.idx, w: w + r.compPrior, keys: h.keys}, companyLess)
				if collect {
					pat[lv]++
				}
			}
			st.pairs += int64(len(hits))
		}
		return nil
	})
	res := companyScores{scores: out, patterns: sumPatterns(pats)}
	for i := range stats {
		for k := range res.keyPairs {
			res.keyPairs[k] += stats[i].keyPairs[k]
		}
		res.pairs += stats[i].pairs
	}
	return res, err
}

// sumPatterns adds up the pattern counts of the chunks.
func sumPatterns[M ~map[K]float64, K comparable](parts []M) M {
	merged := M{}
	for _, p := range parts {
		for k, v := range p {
			merged[k] += v
		}
	}
	return merged
}

type compQueryKey struct{ name, domain string }

// leadCompanyQueries returns the current companies of the leads,
// deduplicated by name and domain, and for each lead the index of its
// company in that list (-1 for a lead without one). The keys are hashed in
// parallel; the serial pass is a map of 64-bit hashes, each hit checked
// against the strings, with the rare colliding keys kept in a second map.
func (r *run) leadCompanyQueries(ctx context.Context) ([]prepCompany, []int32, error) {
	hashes := make([]uint64, len(r.leads))
	err := parallelChunks(ctx, len(r.leads), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if k := leadCompanyKey(&r.leads[i]); k.name != "" || k.domain != "" {
				hashes[i] = companyQueryHash(k) | 1 // never 0, the mark of no company
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// First the indexes, keeping each company's first lead, then the
	// companies themselves, built in parallel into a list of their size.
	byHash := make(map[uint64]int32, len(r.leads)/4)
	var collided map[compQueryKey]int32
	leadQ := make([]int32, len(r.leads))
	var firstLead []int32
	for i, h := range hashes {
		if h == 0 {
			leadQ[i] = -1
			continue
		}
		j, ok := byHash[h]
		if !ok {
			j = int32(len(firstLead))
			byHash[h] = j
			firstLead = append(firstLead, int32(i))
		} else if k := leadCompanyKey(&r.leads[i]); k != leadCompanyKey(&r.leads[firstLead[j]]) {
			// Two keys with one hash: the later keys of that hash are told
			// apart by their strings.
			if collided == nil {
				collided = map[compQueryKey]int32{}
			}
			if j, ok = collided[k]; !ok {
				j = int32(len(firstLead))
				collided[k] = j
				firstLead = append(firstLead, int32(i))
			}
		}
		leadQ[i] = j
	}
	qs := make([]prepCompany, len(firstLead))
	err = parallelChunks(ctx, len(qs), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		for j := lo; j < hi; j++ {
			qs[j] = leadCompany(&r.leads[firstLead[j]])
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return qs, leadQ, nil
}

// companyQueryHash hashes a deduplication key; a variable so that a test
// can make every key collide.
var companyQueryHash = func(k compQueryKey) uint64 { return keyHash(0, k.name, k.domain) }

// leadCompanyKey is the deduplication key of a lead's current company: its
// name and domain (the export's company domain, else the work email's),
// which leadCompany also uses.
func leadCompanyKey(p *prepPerson) compQueryKey {
	d := p.domains[0]
	if d == "" {
		d = p.domains[1]
	}
	return compQueryKey{p.company.name, d}
}
