package matcher

import "math/bits"

// No maintained Go module for Jaro-Winkler or Soundex is available to this
// project, so both small, well-specified algorithms are written here and
// pinned by tests against published reference values.

// jaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1] with
// the standard prefix scale 0.1 and a common prefix of at most 4. It works on
// bytes: inputs are folded first, so almost all of them are ASCII, and for
// the rest a byte-level comparison of UTF-8 is a fair approximation. It does
// not allocate for strings up to 64 bytes.
func jaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	if a == "" || b == "" {
		return 0
	}
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	prefix := 0
	for prefix < len(a) && prefix < len(b) && prefix < 4 && a[prefix] == b[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

// jaro is the Jaro similarity. Strings of up to 64 bytes take a
// bit-parallel path: a mask of the positions of each byte of the longer
// string, so each byte of the shorter one finds its first unmatched
// partner within the window with an AND and a trailing-zero count — the
// same greedy matching, so the same value, as the textbook double loop
// (jaroLoop), which longer strings use.
func jaro(a, b string) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	la, lb := len(a), len(b)
	if lb > 64 {
		return jaroLoop(a, b)
	}
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	// pos[c&31]: bit k set when b[k]&31 == c&31. Lower-case letters have
	// distinct low five bits; other bytes may share a bucket, so a
	// candidate is checked before it is taken.
	var pos [32]uint64
	for k := 0; k < lb; k++ {
		pos[b[k]&31] |= 1 << k
	}
	var ma, mb uint64 // matched positions of a and b
	matches := 0
	for i := 0; i < la; i++ {
		lo := max(0, i-window)
		hi := min(lb, i+window+1)
		if lo >= hi {
			continue
		}
		win := (^uint64(0) >> (64 - uint(hi-lo))) << uint(lo) // bits lo..hi-1
		c := a[i]
		for cand := pos[c&31] &^ mb & win; cand != 0; cand &= cand - 1 {
			if k := bits.TrailingZeros64(cand); b[k] == c {
				mb |= 1 << k
				ma |= 1 << i
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions := 0
	for ra, rb := ma, mb; ra != 0; ra, rb = ra&(ra-1), rb&(rb-1) {
		if a[bits.TrailingZeros64(ra)] != b[bits.TrailingZeros64(rb)] {
			transpositions++
		}
	}
	m := float64(matches)
	return (m/float64(la) + m/float64(lb) + (m-float64(transpositions/2))/m) / 3
}

// jaroLoop is jaro by the textbook double loop; a is the shorter string.
func jaroLoop(a, b string) float64 {
	la, lb := len(a), len(b)
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	var bufA, bufB [64]bool
	var ma, mb []bool
	if la <= 64 && lb <= 64 {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo := max(0, i-window)
		hi := min(lb, i+window+1)
		for k := lo; k < hi; k++ {
			if !mb[k] && a[i] == b[k] {
				ma[i], mb[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions := 0
	k := 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(la) + m/float64(lb) + (m-float64(transpositions/2))/m) / 3
}

// skeleton returns the consonant skeleton of a folded name, the phonetic
// key of name blocking: the first letter, then the consonants with vowels
// (and y, h, w) dropped and doubled letters collapsed, so spelling and
// transliteration variants meet ("mueller", "muller" and "mülller" are all
// "mlr") while distinct names stay apart ("smith" "smt", "schmidt" "scmdt").
// It is finer than Soundex, whose codes gather thousands of people each in
// a large CRM. Non-letters are skipped; a name without ASCII letters is
// its own key.
func skeleton(s string) string {
	k := makeSkel(s)
	if k.n == 0 {
		return k.raw
	}
	return string(k.buf[:k.n])
}

// skel is a skeleton held in place, so blocking keys are hashed from it
// without allocating a string per name.
type skel struct {
	buf [24]byte
	n   int
	raw string // the name itself when it has no ASCII letter (its own key)
}

func makeSkel(s string) (k skel) {
	var last byte
	for i := 0; i < len(s) && k.n < len(k.buf); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		if k.n > 0 {
			switch c {
			case 'a', 'e', 'i', 'o', 'u', 'y', 'h', 'w':
				continue
			}
			if c == last {
				continue
			}
		}
		k.buf[k.n] = c
		k.n++
		last = c
	}
	if k.n == 0 {
		k.raw = s
	}
	return k
}

// hash is hashStr(h, skeleton) without the string.
func (k *skel) hash(h uint64) uint64 {
	if k.n == 0 {
		return hashStr(h, k.raw)
	}
	for _, c := range k.buf[:k.n] {
		h ^= uint64(c)
		h *= fnvPrime
	}
	h ^= 0xff
	h *= fnvPrime
	return h
}

// equal reports whether two skeletons are the same string.
func (k *skel) equal(o *skel) bool {
	return k.n == o.n && k.buf == o.buf && k.raw == o.raw
}
