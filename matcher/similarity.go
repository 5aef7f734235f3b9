package matcher

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

func jaro(a, b string) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
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

// soundex returns the American Soundex code of a folded name (a letter and
// three digits), or the name itself when it has no ASCII letter, so names in
// other scripts still block on their exact form.
func soundex(s string) string {
	var out [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		code := soundexCode[c-'a']
		if n == 0 {
			out[0] = c - 'a' + 'A'
			n = 1
			last = code
			continue
		}
		switch code {
		case 0: // vowels and y separate equal codes
			last = 0
		case 'h': // h and w do not separate equal codes
		default:
			if code != last {
				out[n] = code
				n++
			}
			last = code
		}
	}
	if n == 0 {
		return s
	}
	for n < 4 {
		out[n] = '0'
		n++
	}
	return string(out[:])
}

// soundexCode maps a..z to Soundex digits; 0 for vowels (and y), 'h' for h/w.
var soundexCode = [26]byte{
	0, '1', '2', '3', 0, '1', '2', 'h', 0, '2', '2', '4', '5', '5', 0, '1', '2', '6', '2', '3', 0, '1', 'h', '2', 0, '2',
}
