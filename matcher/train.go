package matcher

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Training settings.
const (
	trainRandomPairs = 200_000 // random pairs for u
	trainIterations  = 40      // EM iterations for m
	trainPriorWeight = 50      // pseudo-matches of the prior on m at the starting values
)

// Train estimates Fellegi–Sunter parameters on the data at hand: u from
// random lead × CRM pairs (and company × Account pairs), m and the match
// rate by expectation-maximisation over the blocked candidate pairs with u
// held fixed. The starting point, term-frequency settings and margins come
// from opts.Params (nil means DefaultParams). Pass the result back in
// Options.Params. Train is deterministic.
func Train(ctx context.Context, in Input, opts Options) (*Params, error) {
	r, err := newRun(ctx, in, opts)
	if err != nil {
		return nil, err
	}
	if len(r.leads) == 0 || len(r.crm) == 0 {
		return nil, fmt.Errorf("train: need leads and crm people, got %d and %d", len(r.leads), len(r.crm))
	}
	base := r.model.p
	out := base
	out.Lead = cloneFields(base.Lead)
	out.Company = cloneFields(base.Company)
	out.Contexts = make([]ContextParams, len(base.Contexts))
	for k, cp := range base.Contexts {
		out.Contexts[k] = ContextParams{Context: cp.Context, Fields: cloneFields(cp.Fields)}
	}

	_, stats, pats, err := r.scoreLeads(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("train: score leads: %w", err)
	}
	var pairs float64
	for _, s := range stats {
		pairs += float64(s.pairs)
	}
	// u from random pairs, each in its context; the contexts' own u from
	// random pairs within them (random pairs seldom share a company).
	rng := rand.New(rand.NewPCG(1, 2))
	var uCounts [numTrainSlots][numLevels]float64
	tally := func(l, c *prepPerson) {
		lv := trainLevels(l, c)
		for f, lev := range expandLevels(&lv) {
			uCounts[f][lev]++
		}
	}
	n := min(trainRandomPairs, len(r.leads)*len(r.crm))
	for range n {
		tally(&r.leads[rng.IntN(len(r.leads))], &r.crm[rng.IntN(len(r.crm))])
	}
	r.contextPairs(rng, trainRandomPairs/2, tally)
	lambda := min(0.5, base.LeadMatchRate*float64(len(r.leads))/max(pairs, 1))
	vecs := make([][]level, 0, len(pats))
	counts := make([]float64, 0, len(pats))
	for k, v := range pats {
		e := expandLevels(&k)
		vecs = append(vecs, e[:])
		counts = append(counts, v)
	}
	sortVectors(vecs, counts)
	fields := append([]FieldParams(nil), out.Lead...)
	levels := append([][]level(nil), leadLevels[:]...)
	for _, cp := range out.Contexts {
		fields = append(fields, cp.Fields...)
		for _, f := range contextFields {
			levels = append(levels, leadLevels[f])
		}
	}
	lambda = emFit(fields, levels, uCounts[:], vecs, counts, lambda)
	// fields shares its Levels slices with out.Lead and out.Contexts, which
	// emFit wrote.
	out.LeadMatchRate = clamp01(lambda * pairs / float64(len(r.leads)))

	if len(r.accts) > 0 && (len(r.comps) > 0 || len(r.leads) > 0) {
		qs := append([]prepCompany(nil), r.comps...)
		for i := range r.leads {
			if q := leadCompany(&r.leads[i]); q.name.name != "" || q.domain != "" {
				qs = append(qs, q)
			}
		}
		if len(qs) > 0 {
			cs, err := r.scoreCompanies(ctx, qs, true)
			if err != nil {
				return nil, fmt.Errorf("train: score companies: %w", err)
			}
			var cu [numCompanyFields][numLevels]float64
			n := min(trainRandomPairs, len(qs)*len(r.accts))
			for range n {
				q := &qs[rng.IntN(len(qs))]
				a := &r.accts[rng.IntN(len(r.accts))]
				lv := companyLevelsOf(q, a)
				for f := range numCompanyFields {
					cu[f][lv[f]]++
				}
			}
			vecs, counts := vecs[:0], counts[:0]
			for k, v := range cs.patterns {
				vecs = append(vecs, append([]level(nil), k[:]...))
				counts = append(counts, v)
			}
			sortVectors(vecs, counts)
			cl := min(0.5, base.CompanyMatchRate*float64(len(qs))/max(float64(cs.pairs), 1))
			cl = emFit(out.Company, companyLevels[:], cu[:], vecs, counts, cl)
			out.CompanyMatchRate = clamp01(cl * float64(cs.pairs) / float64(len(qs)))
		}
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &out, nil
}

func clamp01(v float64) float64 { return min(1, max(1e-6, v)) }

// trainLevels are the levels of a pair as training counts them: agreement
// on a number several people share (weighed by term frequency when
// matching) is left out, so that exact stays the level of a person's own
// number.
func trainLevels(l, c *prepPerson) [numLeadFields]level {
	lv := leadLevelsOf(l, c)
	if lv[fPhone] == lvExact && phoneOthers(l, c) > 0 {
		lv[fPhone] = lvMissing
	}
	return lv
}

// numTrainSlots are the fields EM fits: the lead fields, then the
// ContextFields of each context.
const numTrainSlots = numLeadFields + (numContexts-1)*len(contextFields)

// expandLevels spreads the levels of a lead pair over the training slots:
// in a context, its ContextFields go to the context's slots and are
// missing from the lead fields.
func expandLevels(lv *[numLeadFields]level) [numTrainSlots]level {
	var e [numTrainSlots]level
	copy(e[:], lv[:])
	if k := contextOf(lv); k != ctxGeneral {
		for j, f := range contextFields {
			e[numLeadFields+(k-1)*len(contextFields)+j] = lv[f]
			e[f] = lvMissing
		}
	}
	return e
}

// contextPairs calls tally with the levels of up to n random pairs in each
// context: a lead and a CRM person at the lead's current company
// (same_company) or at one of its past companies (job_change), by company
// name, leaving out pairs whose family names agree (the same person, or
// kin). They are the non-matches of the context, whose u it needs.
func (r *run) contextPairs(rng *rand.Rand, n int, tally func(l, c *prepPerson)) {
	at := map[string][]int32{}
	for i := range r.crm {
		if name := r.crm[i].company.name; name != "" {
			at[name] = append(at[name], int32(i))
		}
	}
	if len(at) == 0 {
		return
	}
	for k := ctxSameCompany; k <= ctxJobChange; k++ {
		got := 0
		for try := 0; try < 8*n && got < n; try++ {
			l := &r.leads[rng.IntN(len(r.leads))]
			name := l.company.name
			if k == ctxJobChange {
				if len(l.lead.past) == 0 {
					continue
				}
				name = l.lead.past[rng.IntN(len(l.lead.past))].name
			}
			ids := at[name]
			if len(ids) == 0 {
				continue
			}
			c := &r.crm[ids[rng.IntN(len(ids))]]
			if c.last == l.last {
				continue
			}
			lv := leadLevelsOf(l, c)
			if contextOf(&lv) != k {
				continue
			}
			tally(l, c)
			got++
		}
	}
}

func cloneFields(fs []FieldParams) []FieldParams {
	out := make([]FieldParams, len(fs))
	for i, f := range fs {
		out[i] = f
		out[i].Levels = append([]LevelParams(nil), f.Levels...)
	}
	return out
}

// sortVectors orders comparison vectors (and their counts) so that the
// floating-point sums of EM do not depend on map iteration order.
func sortVectors(vecs [][]level, counts []float64) {
	idx := make([]int, len(vecs))
	for i := range idx {
		idx[i] = i
	}
	less := func(a, b []level) int {
		for i := range a {
			if a[i] != b[i] {
				return int(a[i]) - int(b[i])
			}
		}
		return 0
	}
	sortIdx(idx, func(i, j int) int { return less(vecs[i], vecs[j]) })
	v2 := make([][]level, len(vecs))
	c2 := make([]float64, len(counts))
	for k, i := range idx {
		v2[k], c2[k] = vecs[i], counts[i]
	}
	copy(vecs, v2)
	copy(counts, c2)
}

// emFit sets u from the random-pair counts and fits m and the candidate
// match rate by EM; it writes into fields and returns the fitted rate.
func emFit(fields []FieldParams, levels [][]level, uCounts [][numLevels]float64, vecs [][]level, counts []float64, lambda float64) float64 {
	nf := len(fields)
	m := make([][numLevels]float64, nf)
	u := make([][numLevels]float64, nf)
	m0 := make([][numLevels]float64, nf)
	for f := range nf {
		var total, sum0 float64
		for _, l := range levels[f] {
			total += uCounts[f][l]
		}
		for _, lp := range fields[f].Levels {
			sum0 += lp.M
		}
		for _, lp := range fields[f].Levels {
			l, _ := levelByName(lp.Level)
			m[f][l] = lp.M
			m0[f][l] = lp.M / sum0
			// Laplace-smoothed, so an unseen level keeps a small u.
			u[f][l] = (uCounts[f][l] + 0.5) / (total + 0.5*float64(len(levels[f])))
		}
	}
	for range trainIterations {
		var acc = make([][numLevels]float64, nf)
		var sumP, sumN float64
		for i, v := range vecs {
			w := math.Log2(lambda / (1 - lambda))
			for f := range nf {
				if v[f] != lvMissing {
					w += math.Log2(m[f][v[f]] / u[f][v[f]])
				}
			}
			p := probability(w)
			sumP += p * counts[i]
			sumN += counts[i]
			for f := range nf {
				acc[f][v[f]] += p * counts[i]
			}
		}
		if sumN == 0 {
			break
		}
		lambda = min(0.999, max(1e-9, sumP/sumN))
		for f := range nf {
			var total float64
			for _, l := range levels[f] {
				total += acc[f][l]
			}
			// A Dirichlet prior of trainPriorWeight pseudo-matches at the
			// starting m: a field the data shows in few matches (a context
			// where matches are rare) keeps about its starting m instead
			// of whatever a handful of pairs say.
			for _, l := range levels[f] {
				m[f][l] = (acc[f][l] + trainPriorWeight*m0[f][l]) / (total + trainPriorWeight)
			}
		}
	}
	for f := range nf {
		for i, lp := range fields[f].Levels {
			l, _ := levelByName(lp.Level)
			fields[f].Levels[i].M = roundSig(m[f][l])
			fields[f].Levels[i].U = roundSig(u[f][l])
		}
	}
	return lambda
}

// roundSig rounds to 4 significant digits for readable parameter files.
func roundSig(v float64) float64 {
	if v == 0 {
		return 0
	}
	e := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*e) / e
}

func sortIdx(idx []int, cmp func(i, j int) int) {
	slices.SortStableFunc(idx, cmp)
}
