package matcher

import (
	"unsafe"

	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
)

// Options control a matching run.
type Options struct {
	// AutoThreshold is the probability at or above which the best
	// candidate, clearly ahead of the runner-up, is a match (written back).
	AutoThreshold float64
	// ReviewThreshold is the probability at or above which the best
	// candidate is reported as possible (for review).
	ReviewThreshold float64
	// Parallelism is the number of goroutines; 0 means GOMAXPROCS. The
	// output does not depend on it.
	Parallelism int
	// MaxBlockSize caps the CRM records of one blocking-key value; larger
	// blocks keep their first MaxBlockSize records (in input order) and are
	// counted in Stats. 0 means no cap.
	MaxBlockSize int
	// Params are the Fellegi–Sunter parameters; nil means DefaultParams().
	Params *Params
}

// DefaultOptions returns the shipped thresholds: match at 0.95, review from
// 0.20, blocks capped at 1,000 records.
func DefaultOptions() Options {
	return Options{AutoThreshold: 0.95, ReviewThreshold: 0.20, MaxBlockSize: 1000}
}

func (o Options) validate() error {
	if !(o.AutoThreshold > 0 && o.AutoThreshold <= 1) {
		return fmt.Errorf("options: auto threshold must be in (0,1], got %v", o.AutoThreshold)
	}
	if !(o.ReviewThreshold > 0 && o.ReviewThreshold <= 1) {
		return fmt.Errorf("options: review threshold must be in (0,1], got %v", o.ReviewThreshold)
	}
	if o.ReviewThreshold > o.AutoThreshold {
		return fmt.Errorf("options: review threshold %v is above auto threshold %v", o.ReviewThreshold, o.AutoThreshold)
	}
	if o.Parallelism < 0 {
		return fmt.Errorf("options: parallelism must be >= 0, got %d", o.Parallelism)
	}
	if o.MaxBlockSize < 0 {
		return fmt.Errorf("options: max block size must be >= 0, got %d", o.MaxBlockSize)
	}
	return nil
}

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

// run is the state of one Match or Train call.
type run struct {
	in        *Input
	opts      Options
	model     *compiled
	limit     int
	crm       []prepPerson
	leads     []prepPerson
	accts     []prepCompany
	comps     []prepCompany
	pix       [numLeadIndexes]*index
	cix       [numCompanyKeys]*index
	leadPrior float64 // log2 prior odds of a lead pair
	compPrior float64
}

func newRun(ctx context.Context, in Input, opts Options) (*run, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	params := opts.Params
	if params == nil {
		params = DefaultParams()
	}
	model, err := params.compile()
	if err != nil {
		return nil, err
	}
	r := &run{in: &in, opts: opts, model: model, limit: opts.Parallelism}
	if r.limit == 0 {
		r.limit = runtime.GOMAXPROCS(0)
	}
	var counts crmCounts
	if r.crm, counts, err = prepareCRM(ctx, in.People, in.Accounts, r.limit); err != nil {
		return nil, fmt.Errorf("prepare crm people: %w", err)
	}
	if r.leads, err = prepareLeads(ctx, in.Leads, r.limit); err != nil {
		return nil, fmt.Errorf("prepare leads: %w", err)
	}
	if r.accts, err = prepareAccounts(ctx, in.Accounts, r.limit); err != nil {
		return nil, fmt.Errorf("prepare accounts: %w", err)
	}
	r.comps = make([]prepCompany, len(in.Companies))
	err = parallelChunks(ctx, len(in.Companies), 4096, r.limit, func(nz *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			r.comps[i] = nz.prepSNCompany(&in.Companies[i])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prepare companies: %w", err)
	}
	if r.pix, err = buildPersonIndexes(ctx, r.crm, opts.MaxBlockSize, r.limit); err != nil {
		return nil, fmt.Errorf("block crm people: %w", err)
	}
	if r.cix, err = buildCompanyIndexes(ctx, r.accts, opts.MaxBlockSize, r.limit); err != nil {
		return nil, fmt.Errorf("block accounts: %w", err)
	}
	m, n := r.model, len(r.crm)
	err = parallelChunks(ctx, n, 8192, r.limit, func(_ *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			c := &r.crm[i]
			c.tfW[0] = float32(m.tfWeight(m.lead[fFirst][lvExact], m.leadM[fFirst][lvExact], counts.first[i], n, m.leadTF[fFirst]))
			c.tfW[1] = float32(m.tfWeight(m.lead[fLast][lvExact], m.leadM[fLast][lvExact], counts.last[i], n, m.leadTF[fLast]))
			c.tfW[2] = float32(m.tfWeight(m.lead[fCompany][lvExact], m.leadM[fCompany][lvExact], counts.company[i], n, m.leadTF[fCompany]))
			c.tfW[3] = float32(m.tfWeight(m.lead[fPastCompany][lvExact], m.leadM[fPastCompany][lvExact], counts.company[i], n, m.leadTF[fPastCompany]))
			c.isLead = in.People[i].Object == "Lead"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range r.accts {
		a := &r.accts[i]
		a.tfW = float32(m.tfWeight(m.company[cName][lvExact], m.companyM[cName][lvExact], a.nameCount, len(r.accts), m.companyTF[cName]))
	}
	r.leadPrior = priorWeight(params.LeadMatchRate, len(r.crm))
	r.compPrior = priorWeight(params.CompanyMatchRate, len(r.accts))
	return r, nil
}

// priorWeight is log2 of the prior odds that a random pair matches, when a
// fraction rate of queries has a match among n records.
func priorWeight(rate float64, n int) float64 {
	lambda := rate / float64(max(n, 1))
	if lambda >= 1 {
		lambda = 1 - 1e-9
	}
	return math.Log2(lambda / (1 - lambda))
}

// leadWeights returns the per-field weights of a lead pair and their sum
// (without the prior).
func (r *run) leadWeights(l, c *prepPerson, lv *[numLeadFields]level) (fw [numLeadFields]float64, total float64) {
	m := r.model
	for f := range numLeadFields {
		w := m.lead[f][lv[f]]
		if lv[f] == lvExact {
			switch f {
			case fFirst:
				w = float64(c.tfW[0])
			case fLast:
				w = float64(c.tfW[1])
			case fCompany:
				if l.company.name == c.company.name {
					w = float64(c.tfW[2])
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
				_, w := r.leadWeights(l, c, &lv)
				s.insert(cand{idx: h.idx, w: w + r.leadPrior, keys: h.keys}, r.personLess)
				if collect {
					pat[lv]++
				}
			}
			st.pairs += int64(len(hits))
		}
		return nil
	})
	return out, stats, sumPatterns(pats), err
}

// scoreCompanies blocks and scores company queries against the CRM Accounts.
func (r *run) scoreCompanies(ctx context.Context, qs []prepCompany, collect bool) ([]scored, [numCompanyKeys]int64, int64, companyPatterns, error) {
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
	var keyPairs [numCompanyKeys]int64
	var pairs int64
	for i := range stats {
		for k := range keyPairs {
			keyPairs[k] += stats[i].keyPairs[k]
		}
		pairs += stats[i].pairs
	}
	return out, keyPairs, pairs, sumPatterns(pats), err
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

// Match matches the Sales Navigator leads and companies of in against its
// CRM people and Accounts. Result.Leads[i] is the decision for in.Leads[i]
// and Result.Companies[i] for in.Companies[i]. The output is the same for
// any Parallelism.
func Match(ctx context.Context, in Input, opts Options) (*Result, error) {
	r, err := newRun(ctx, in, opts)
	if err != nil {
		return nil, err
	}
	leadScores, leadStats, _, err := r.scoreLeads(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("score leads: %w", err)
	}
	compScores, compKeyPairs, compPairs, _, err := r.scoreCompanies(ctx, r.comps, false)
	if err != nil {
		return nil, fmt.Errorf("score companies: %w", err)
	}
	qs, leadQ, err := r.leadCompanyQueries(ctx)
	if err != nil {
		return nil, fmt.Errorf("lead companies: %w", err)
	}
	qScores, qKeyPairs, qPairs, _, err := r.scoreCompanies(ctx, qs, false)
	if err != nil {
		return nil, fmt.Errorf("score lead companies: %w", err)
	}

	res := &Result{Leads: make([]LeadResult, len(r.leads)), Companies: make([]CompanyResult, len(r.comps))}
	err = parallelChunks(ctx, len(r.leads), leadChunk, r.limit, func(_ *normalizer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			res.Leads[i] = r.decideLead(i, &leadScores[i])
			if j := leadQ[i]; j >= 0 {
				s := &qScores[j]
				if s.n > 0 {
					best := s.top[0]
					res.Leads[i].AccountProbability = probability(best.w)
					if r.companyDecision(s) == DecisionMatch {
						res.Leads[i].AccountID = r.in.Accounts[best.idx].ID
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide leads: %w", err)
	}
	r.oneToOneLeads(res.Leads, leadScores)
	for i := range r.comps {
		res.Companies[i] = r.decideCompany(i, &compScores[i])
	}
	r.oneToOneCompanies(res.Companies, compScores)

	// Stats.
	st := &res.Stats
	var keyPairs [numLeadKeys]int64
	for _, cs := range leadStats {
		st.CandidatePairs += cs.pairs
		for k := range keyPairs {
			keyPairs[k] += cs.keyPairs[k]
		}
	}
	st.CandidatePairs += compPairs + qPairs
	for k := range numLeadKeys {
		ix := r.pix[leadKeyIndex[k]]
		st.LeadBlocks = append(st.LeadBlocks, BlockStats{Key: leadKeyNames[k], Pairs: keyPairs[k], Blocks: ix.blocks, CappedBlocks: ix.cappedBlocks, CappedRecords: ix.cappedRecords})
	}
	for k := range numCompanyKeys {
		ix := r.cix[k]
		st.CompanyBlocks = append(st.CompanyBlocks, BlockStats{Key: companyKeyNames[k], Pairs: compKeyPairs[k] + qKeyPairs[k], Blocks: ix.blocks, CappedBlocks: ix.cappedBlocks, CappedRecords: ix.cappedRecords})
	}
	for i := range res.Leads {
		switch res.Leads[i].Decision {
		case DecisionMatch:
			st.Matches++
		case DecisionPossible:
			st.Possible++
		default:
			st.None++
		}
	}
	return res, nil
}

type compQueryKey struct{ name, domain string }

// leadKeyIndex is the CRM index each lead blocking key looks up.
var leadKeyIndex = [numLeadKeys]int{
	kEmail: ixEmail, kPhone: ixPhone, kNamePhonetic: ixName, kSwappedPhonetic: ixName, kCompanySurname: ixCompanySurname,
	kDomainSurname: ixDomainSurname, kPastCompanySurname: ixCompanySurname, kCompanyFirst: ixCompanyFirst,
	kLinked: ixLinked,
}

// linkedWeight is added to the match weight of a pair whose CRM record
// already carries this lead's id in the writeback field: the link was made
// (or confirmed) before, so it stands unless the fields contradict it
// overwhelmingly.
const linkedWeight = 30

func keyNames(bits uint16, names []string) []string {
	var out []string
	for k, n := range names {
		if bits&(1<<k) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// sameCRMPerson reports whether two CRM records are the same person: a
// converted Lead and its Contact, or duplicates sharing an email or a phone,
// or the same full name at the same company.
func sameCRMPerson(a, b *prepPerson) bool {
	if a.family == b.family {
		return true
	}
	if a.email != "" && a.email == b.email {
		return true
	}
	if a.phones[0] != 0 && (a.phones[0] == b.phones[0] || a.phones[0] == b.phones[1]) {
		return true
	}
	if a.last == "" || a.last != b.last || a.company.name == "" || a.company.name != b.company.name ||
		!(a.first == b.first || rootsIntersect(a.firstRoots, b.firstRoots)) {
		return false
	}
	// Same name at the same company: one person entered twice, unless both
	// have different work addresses (two namesakes at one employer).
	return a.email == "" || b.email == "" || a.domains[1] == "" || b.domains[1] == ""
}

// runnerUp returns the best candidate after top[0] that is not the same CRM
// person as top[0], and whether one was skipped as a duplicate.
func (r *run) runnerUp(s *scored) (cand, bool, bool) {
	dup := false
	best := &r.crm[s.top[0].idx]
	for i := 1; i < int(s.n); i++ {
		c := s.top[i]
		if sameCRMPerson(best, &r.crm[c.idx]) {
			dup = true
			continue
		}
		return c, true, dup
	}
	return cand{}, false, dup
}

func (r *run) decideLead(i int, s *scored) LeadResult {
	lr := LeadResult{LeadID: r.in.Leads[i].LeadID, Decision: DecisionNone}
	if s.n == 0 {
		lr.Reason = "no candidate"
		lr.Fields = emptyFields(LeadFields)
		return lr
	}
	best := s.top[0]
	p := &r.in.People[best.idx]
	c := &r.crm[best.idx]
	l := &r.leads[i]
	lr.CRMObject = p.Object
	lr.CRMID = p.ID
	lr.Converted = p.IsConverted
	if p.IsConverted {
		lr.ConvertedContactID = p.ConvertedContactID
	}
	lr.MatchWeight = round6(best.w)
	lr.Probability = round6(probability(best.w))
	lv := leadLevelsOf(l, c)
	fw, _ := r.leadWeights(l, c, &lv)
	lr.Fields = fieldScores(LeadFields, lv[:], fw[:])
	lr.BlockingKeys = keyNames(best.keys, leadKeyNames[:])
	lr.JobChange = (lv[fPastCompany] == lvExact || lv[fPastCompany] == lvFuzzyStrong) &&
		lv[fCompany] != lvExact && lv[fCompany] != lvFuzzyStrong
	ru, hasRU, dup := r.runnerUp(s)
	if hasRU {
		lr.RunnerUpID = r.in.People[ru.idx].ID
		lr.RunnerUpProbability = round6(probability(ru.w))
	}
	ambiguous := hasRU && best.w-ru.w < r.model.p.RunnerUpMargin
	linked := c.linked != "" && c.linked == l.linked
	namesOnly := !corroborated(&lv) && !linked
	contact := lv[fEmail] == lvExact || lv[fPhone] == lvExact || linked
	nameConflict := (lv[fFirst] == lvDifferent || lv[fLast] == lvDifferent) && !contact
	variantAndTitle := nameVariant(&lv) && lv[fTitle] == lvDifferent && !contact
	switch {
	case lr.Probability >= r.opts.AutoThreshold && namesOnly:
		lr.Decision = DecisionPossible
		lr.Reason = "names only: no email, phone or company agreement"
	case lr.Probability >= r.opts.AutoThreshold && nameConflict:
		lr.Decision = DecisionPossible
		lr.Reason = "name differs: needs email or phone agreement"
	case lr.Probability >= r.opts.AutoThreshold && variantAndTitle:
		lr.Decision = DecisionPossible
		lr.Reason = "name variant and title differs: needs email or phone agreement"
	case lr.Probability >= r.opts.AutoThreshold && !ambiguous:
		lr.Decision = DecisionMatch
		if linked {
			lr.Reason = "already linked to this lead"
		} else if dup {
			lr.Reason = "crm duplicates: best of several records of this person"
		}
	case lr.Probability >= r.opts.AutoThreshold:
		lr.Decision = DecisionPossible
		lr.Reason = "ambiguous: runner-up too close"
	case lr.Probability >= r.opts.ReviewThreshold:
		lr.Decision = DecisionPossible
		lr.Reason = "below auto threshold"
		if ambiguous {
			lr.Reason = "below auto threshold; runner-up too close"
		}
	default:
		lr.Reason = "below review threshold"
	}
	return lr
}

// nameVariant reports whether the names agree only approximately: a
// nickname, a similar or initial given name, or a similar family name. At
// one employer that is as likely a colleague or relative of the same family
// name (Bob and Robert Smith) as the same person, so with a title that
// disagrees it needs an email or phone to be a match.
func nameVariant(lv *[numLeadFields]level) bool {
	switch lv[fFirst] {
	case lvNickname, lvFuzzyStrong, lvFuzzyWeak, lvInitial:
		return true
	}
	switch lv[fLast] {
	case lvFuzzyStrong, lvFuzzyWeak:
		return true
	}
	return false
}

// corroborated reports whether a pair agrees on more than names: email,
// phone, current company or past company. Names alone never make a match,
// however rare they are: a namesake at another company is too likely.
func corroborated(lv *[numLeadFields]level) bool {
	strong := func(l level) bool { return l == lvExact || l == lvFuzzyStrong }
	return strong(lv[fEmail]) || lv[fPhone] == lvExact || strong(lv[fCompany]) || strong(lv[fPastCompany])
}

// oneToOneLeads keeps at most one matched lead per CRM person (a converted
// Lead and its Contact count as one): the strongest, when it is clearly
// ahead; the others become possible.
func (r *run) oneToOneLeads(res []LeadResult, scores []scored) {
	demoted := r.oneToOne(scores, func(i int) (int32, bool) {
		if res[i].Decision != DecisionMatch {
			return 0, false
		}
		return r.crm[scores[i].top[0].idx].family, true
	})
	for _, d := range demoted {
		res[d.i].Decision = DecisionPossible
		res[d.i].Reason = d.reason("lead", res[d.by].LeadID)
	}
}

// demotion is a match that oneToOne makes possible: by is the result that
// took its CRM record or, when contested, the runner-up that contests it.
type demotion struct {
	i, by     int
	contested bool
}

func (d demotion) reason(kind, byID string) string {
	if d.contested {
		return "one-to-one: contested by " + kind + " " + byID
	}
	return "one-to-one: taken by " + kind + " " + byID
}

// oneToOne groups the matched results by CRM record (key reports the
// record of result i and whether it is a match). In a group of two or
// more the strongest stays a match when it is clearly ahead of the second;
// the others are returned, in group order.
func (r *run) oneToOne(scores []scored, key func(i int) (int32, bool)) []demotion {
	by := map[int32][]int{}
	var order []int32
	for i := range scores {
		k, ok := key(i)
		if !ok {
			continue
		}
		if _, seen := by[k]; !seen {
			order = append(order, k)
		}
		by[k] = append(by[k], i)
	}
	var out []demotion
	for _, k := range order {
		g := by[k]
		if len(g) < 2 {
			continue
		}
		slices.SortStableFunc(g, func(a, b int) int { return cmp.Compare(scores[b].top[0].w, scores[a].top[0].w) })
		if scores[g[0]].top[0].w-scores[g[1]].top[0].w < r.model.p.RunnerUpMargin {
			out = append(out, demotion{i: g[0], by: g[1], contested: true})
		}
		for _, i := range g[1:] {
			out = append(out, demotion{i: i, by: g[0]})
		}
	}
	return out
}

func (r *run) companyDecision(s *scored) Decision {
	if s.n == 0 {
		return DecisionNone
	}
	best := s.top[0]
	p := probability(best.w)
	ambiguous := s.n > 1 && best.w-s.top[1].w < r.model.p.RunnerUpMargin
	switch {
	case p >= r.opts.AutoThreshold && !ambiguous:
		return DecisionMatch
	case p >= r.opts.ReviewThreshold:
		return DecisionPossible
	}
	return DecisionNone
}

func (r *run) decideCompany(i int, s *scored) CompanyResult {
	cr := CompanyResult{AccountID: r.in.Companies[i].AccountID, Decision: DecisionNone}
	if s.n == 0 {
		cr.Reason = "no candidate"
		cr.Fields = emptyFields(CompanyFields)
		return cr
	}
	best := s.top[0]
	q, a := &r.comps[i], &r.accts[best.idx]
	cr.CRMAccountID = r.in.Accounts[best.idx].ID
	cr.MatchWeight = round6(best.w)
	cr.Probability = round6(probability(best.w))
	lv := companyLevelsOf(q, a)
	fw, _ := r.companyWeights(q, a, &lv)
	cr.Fields = fieldScores(CompanyFields, lv[:], fw[:])
	cr.BlockingKeys = keyNames(best.keys, companyKeyNames[:])
	if s.n > 1 {
		cr.RunnerUpID = r.in.Accounts[s.top[1].idx].ID
		cr.RunnerUpProbability = round6(probability(s.top[1].w))
	}
	cr.Decision = r.companyDecision(s)
	switch {
	case cr.Decision == DecisionPossible && cr.Probability >= r.opts.AutoThreshold:
		cr.Reason = "ambiguous: runner-up too close"
	case cr.Decision == DecisionPossible:
		cr.Reason = "below auto threshold"
	case cr.Decision == DecisionNone:
		cr.Reason = "below review threshold"
	}
	return cr
}

// oneToOneCompanies keeps at most one matched company per Account, as
// oneToOneLeads does per CRM person.
func (r *run) oneToOneCompanies(res []CompanyResult, scores []scored) {
	demoted := r.oneToOne(scores, func(i int) (int32, bool) {
		return scores[i].top[0].idx, res[i].Decision == DecisionMatch
	})
	for _, d := range demoted {
		res[d.i].Decision = DecisionPossible
		res[d.i].Reason = d.reason("account", res[d.by].AccountID)
	}
}

// fieldScores explains a pair field by field: names[f], its level and its
// weight.
func fieldScores(names []string, lv []level, fw []float64) []FieldScore {
	out := make([]FieldScore, len(names))
	for f, n := range names {
		out[f] = FieldScore{Field: n, Level: lv[f].String(), Weight: round6(fw[f])}
	}
	return out
}

func emptyFields(names []string) []FieldScore {
	out := make([]FieldScore, len(names))
	for i, n := range names {
		out[i] = FieldScore{Field: n, Level: lvMissing.String()}
	}
	return out
}

// round6 rounds to 6 decimals so reports and golden files are stable.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// describe renders an explanation on one line, for logs and reviews.
func (lr *LeadResult) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s p=%.4f w=%.2f", lr.LeadID, lr.Decision, lr.CRMID, lr.Probability, lr.MatchWeight)
	for _, f := range lr.Fields {
		fmt.Fprintf(&b, " %s=%s(%+.2f)", f.Field, f.Level, f.Weight)
	}
	return b.String()
}

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
