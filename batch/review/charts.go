package review

import (
	"math"
	"strconv"

	"github.com/navsync/navsync/matcher"
)

// A chart is drawn here and written by the page template as inline SVG:
// rectangles, lines and text at computed positions. Only numbers, class
// names and fixed labels (decision names, field and key names of the
// matcher) are drawn; input values never go into a chart.
type chart struct {
	W, H  int
	Label string // aria-label
	Rects []rect
	Lines []line
	Texts []text
}

type rect struct {
	X, Y, W, H string
	C          string // class
	T          string // tooltip
}

type line struct {
	X1, Y1, X2, Y2 string
	C              string
}

type text struct {
	X, Y string
	A    string // text-anchor: "" (start), "middle", "end"
	C    string
	S    string
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// decisionClass is a decision's colour class.
func decisionClass(d matcher.Decision) string {
	switch d {
	case matcher.DecisionMatch:
		return "cm"
	case matcher.DecisionPossible:
		return "cp"
	}
	return "cn"
}

// bitsOf is the match weight of probability p, clamped to ±60 bits.
func bitsOf(p float64) float64 {
	if p <= 0 {
		return -60
	}
	if p >= 1 {
		return 60
	}
	return max(-60, min(60, math.Log2(p/(1-p))))
}

// stackedBars draws one horizontal bar per row, split into parts.
type barRow struct {
	Label string
	Parts []barPart
}

type barPart struct {
	Name  string
	Class string
	N     int64
}

func stackedBars(label string, rows []barRow) *chart {
	const left, right, barH, gap = 200.0, 90.0, 22.0, 10.0
	w := 760.0
	var most int64
	for _, r := range rows {
		var t int64
		for _, p := range r.Parts {
			t += p.N
		}
		most = max(most, t)
	}
	c := &chart{W: int(w), H: int(float64(len(rows))*(barH+gap) + gap), Label: label}
	scale := 0.0
	if most > 0 {
		scale = (w - left - right) / float64(most)
	}
	for i, r := range rows {
		y := gap + float64(i)*(barH+gap)
		c.Texts = append(c.Texts, text{X: f1(left - 8), Y: f1(y + barH*0.7), A: "end", S: r.Label})
		x := left
		var t int64
		for _, p := range r.Parts {
			if p.N == 0 {
				continue
			}
			pw := float64(p.N) * scale
			c.Rects = append(c.Rects, rect{X: f1(x), Y: f1(y), W: f1(max(pw, 1)), H: f1(barH), C: p.Class,
				T: p.Name + ": " + strconv.FormatInt(p.N, 10)})
			x += pw
			t += p.N
		}
		c.Texts = append(c.Texts, text{X: f1(x + 6), Y: f1(y + barH*0.7), S: strconv.FormatInt(t, 10)})
	}
	return c
}

// histogram draws the match weights of the leads that had a candidate, in
// bins of whole bits, stacked by decision, with the two thresholds.
func histogram(results []matcher.LeadResult, auto, review float64) (*chart, int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	n := 0
	for i := range results {
		r := &results[i]
		if r.CRMID == "" {
			continue
		}
		n++
		lo, hi = min(lo, r.MatchWeight), max(hi, r.MatchWeight)
	}
	wa, wr := bitsOf(auto), bitsOf(review)
	if n == 0 {
		lo, hi = wr-4, wa+4
	}
	lo = math.Floor(max(-40, min(lo, wr-2)))
	hi = math.Ceil(min(60, max(hi, wa+2)))
	width := math.Max(1, math.Ceil((hi-lo)/60))
	bins := int(math.Ceil((hi-lo)/width)) + 1
	counts := make([][3]int, bins)
	order := [3]matcher.Decision{matcher.DecisionNone, matcher.DecisionPossible, matcher.DecisionMatch}
	for i := range results {
		r := &results[i]
		if r.CRMID == "" {
			continue
		}
		b := int(math.Floor((min(max(r.MatchWeight, lo), hi) - lo) / width))
		b = min(max(b, 0), bins-1)
		switch r.Decision {
		case matcher.DecisionMatch:
			counts[b][2]++
		case matcher.DecisionPossible:
			counts[b][1]++
		default:
			counts[b][0]++
		}
	}
	most := 1
	for _, c := range counts {
		most = max(most, c[0]+c[1]+c[2])
	}
	const w, h, left, right, top, bottom = 760.0, 260.0, 56.0, 16.0, 22.0, 34.0
	c := &chart{W: int(w), H: int(h), Label: "match weights of the best candidate of each lead, by decision"}
	pw, ph := w-left-right, h-top-bottom
	bw := pw / float64(bins)
	x := func(bits float64) float64 { return left + (bits-lo)/width*bw }
	for b, cs := range counts {
		y := top + ph
		for k, v := range cs {
			if v == 0 {
				continue
			}
			rh := float64(v) / float64(most) * ph
			y -= rh
			from := lo + float64(b)*width
			c.Rects = append(c.Rects, rect{X: f1(left + float64(b)*bw + 0.5), Y: f1(y), W: f1(max(bw-1, 0.5)), H: f1(max(rh, 0.5)),
				C: decisionClass(order[k]), T: string(order[k]) + " " + f1(from) + "…" + f1(from+width) + " bits: " + strconv.Itoa(v)})
		}
	}
	// Axes, ticks, thresholds.
	c.Lines = append(c.Lines, line{X1: f1(left), Y1: f1(top + ph), X2: f1(w - right), Y2: f1(top + ph), C: "ax"},
		line{X1: f1(left), Y1: f1(top), X2: f1(left), Y2: f1(top + ph), C: "ax"})
	step := math.Max(width, math.Ceil((hi-lo)/12/5)*5)
	for t := math.Ceil(lo/step) * step; t <= hi; t += step {
		c.Texts = append(c.Texts, text{X: f1(x(t)), Y: f1(top + ph + 14), A: "middle", C: "tk", S: strconv.Itoa(int(t))})
	}
	c.Texts = append(c.Texts, text{X: f1(left + pw/2), Y: f1(h - 4), A: "middle", C: "tk", S: "match weight (bits)"},
		text{X: f1(left - 6), Y: f1(top + 4), A: "end", C: "tk", S: strconv.Itoa(most)},
		text{X: f1(left - 6), Y: f1(top + ph), A: "end", C: "tk", S: "0"})
	// The review label left of its line, the auto label right of its
	// own: close thresholds do not overlap.
	for _, th := range []struct {
		bits   float64
		name   string
		p      float64
		dx     float64
		anchor string
	}{{wr, "review", review, -3, "end"}, {wa, "auto", auto, 3, ""}} {
		xx := x(min(max(th.bits, lo), hi))
		c.Lines = append(c.Lines, line{X1: f1(xx), Y1: f1(top - 8), X2: f1(xx), Y2: f1(top + ph), C: "th"})
		c.Texts = append(c.Texts, text{X: f1(xx + th.dx), Y: f1(top - 10), A: th.anchor, C: "thl", S: th.name + " " + strconv.FormatFloat(th.p, 'g', 4, 64)})
	}
	return c, n
}

// waterfall draws a pair's explanation: from the prior, each field's
// weight added in turn, to the match weight and its probability.
func waterfall(prior float64, fields []matcher.FieldScore, weight, prob float64) *chart {
	type step struct {
		name     string
		from, to float64
		class    string
	}
	steps := []step{{"prior", 0, prior, "wp"}}
	at := prior
	for _, f := range fields {
		if f.Weight == 0 {
			continue
		}
		cl := "wu"
		if f.Weight < 0 {
			cl = "wd"
		}
		steps = append(steps, step{f.Field, at, at + f.Weight, cl})
		at += f.Weight
	}
	if d := weight - at; math.Abs(d) > 0.01 {
		steps = append(steps, step{"linked", at, weight, "wu"}) // already linked to this lead: +30
	}
	steps = append(steps, step{"= " + strconv.FormatFloat(prob, 'f', 3, 64), 0, weight, "wt"})
	lo, hi := 0.0, 0.0
	for _, s := range steps {
		lo, hi = min(lo, s.from, s.to), max(hi, s.from, s.to)
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	const left, w, rowH = 104.0, 420.0, 13.0
	c := &chart{W: int(w), H: int(float64(len(steps))*rowH + 14), Label: "weights from the prior to the match weight"}
	scale := (w - left - 8) / (hi - lo)
	x := func(v float64) float64 { return left + (v-lo)*scale }
	for i, s := range steps {
		y := float64(i)*rowH + 2
		a, b := min(s.from, s.to), max(s.from, s.to)
		c.Texts = append(c.Texts, text{X: f1(left - 4), Y: f1(y + 9), A: "end", S: s.name})
		c.Rects = append(c.Rects, rect{X: f1(x(a)), Y: f1(y), W: f1(max((b-a)*scale, 1)), H: "10", C: s.class})
	}
	y0 := float64(len(steps))*rowH + 2
	c.Lines = append(c.Lines, line{X1: f1(x(0)), Y1: "0", X2: f1(x(0)), Y2: f1(y0), C: "ax"})
	return c
}
