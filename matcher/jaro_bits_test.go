package matcher

import (
	"math/rand/v2"
	"testing"
)

// TestJaroBitParallel checks that the bit-parallel Jaro gives exactly the
// value of the textbook double loop, on random strings over small
// alphabets (many repeated letters, so many candidate partners), of every
// length up to the 64-byte limit of the fast path.
func TestJaroBitParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for _, alphabet := range []string{"ab", "abcd", "abcdefghijklmnopqrstuvwxyz ", "aeiounrst\xc3\xa9"} {
		for range 20000 {
			a, b := word(1+r.IntN(64), alphabet), word(1+r.IntN(64), alphabet)
			if r.IntN(4) == 0 { // a variant of a: a few edits
				bb := []byte(a)
				for range 1 + r.IntN(3) {
					bb[r.IntN(len(bb))] = alphabet[r.IntN(len(alphabet))]
				}
				b = string(bb)
			}
			short, long := a, b
			if len(short) > len(long) {
				short, long = long, short
			}
			if got, want := jaro(a, b), jaroLoop(short, long); got != want {
				t.Fatalf("jaro(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func BenchmarkJaroWinkler(b *testing.B) {
	pairs := [][2]string{
		{"acme robotics", "acme robotic systems"}, {"globex", "globex international"},
		{"initech", "initrode"}, {"northwind traders", "northwest trading"}, {"martha", "marhta"},
	}
	for b.Loop() {
		for _, p := range pairs {
			jaroWinkler(p[0], p[1])
		}
	}
}

// TestSkelHash checks that a skeleton held in place hashes and compares
// as its string does, so blocking keys are unchanged.
func TestSkelHash(t *testing.T) {
	names := []string{"", "a", "mueller", "Muller", "smith", "schmidt", "王", "o'neil", "aaaa", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "zoë", "łukasz", "van der berg", "-", "bob", "robert"}
	for _, a := range names {
		ka := makeSkel(a)
		if got, want := ka.hash(fnvOffset), hashStr(fnvOffset, skeleton(a)); got != want {
			t.Errorf("skel(%q).hash = %x, want %x", a, got, want)
		}
		for _, b := range names {
			kb := makeSkel(b)
			if got, want := ka.equal(&kb), skeleton(a) == skeleton(b); got != want {
				t.Errorf("skel(%q).equal(skel(%q)) = %v, want %v", a, b, got, want)
			}
		}
	}
}
