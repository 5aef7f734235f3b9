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

	_, stats, pats, err := r.scoreLeads(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("train: score leads: %w", err)
	}
	var pairs float64
	for _, s := range stats {
		pairs += float64(s.pairs)
	}
	// u from random pairs.
	rng := rand.New(rand.NewPCG(1, 2))
	var uCounts [numLeadFields][numLevels]float64
	n := min(trainRandomPairs, len(r.leads)*len(r.crm))
	for range n {
		l := &r.leads[rng.IntN(len(r.leads))]
		c := &r.crm[rng.IntN(len(r.crm))]
		lv := leadLevelsOf(l, c)
		for f := range numLeadFields {
			uCounts[f][lv[f]]++
		}
	}
	lambda := min(0.5, base.LeadMatchRate*float64(len(r.leads))/max(pairs, 1))
	vecs := make([][]level, 0, len(pats))
	counts := make([]float64, 0, len(pats))
	for k, v := range pats {
		vecs = append(vecs, k[:])
		counts = append(counts, v)
	}
	sortVectors(vecs, counts)
	lambda = emFit(out.Lead, leadLevels[:], uCounts[:], vecs, counts, lambda)
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
	for f := range nf {
		var total float64
		for _, l := range levels[f] {
			total += uCounts[f][l]
		}
		for _, lp := range fields[f].Levels {
			l, _ := levelByName(lp.Level)
			m[f][l] = lp.M
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
			for _, l := range levels[f] {
				m[f][l] = (acc[f][l] + 0.01) / (total + 0.01*float64(len(levels[f])))
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
