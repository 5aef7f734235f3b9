package matcher

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestCountValues checks the flat-table term frequency count against a
// map, across table growth, with empty values and many repeats.
func TestCountValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 10, 5000, 100_000} {
		vals := make([]string, n)
		for i := range vals {
			switch k := r.IntN(20); {
			case k == 0:
				vals[i] = ""
			case k < 10:
				vals[i] = "common" + strconv.Itoa(r.IntN(50))
			default:
				vals[i] = "rare" + strconv.Itoa(r.IntN(n+1))
			}
		}
		want := map[string]int32{}
		for _, v := range vals {
			if v != "" {
				want[v]++
			}
		}
		got := countValues(n, func(i int) string { return vals[i] })
		for i, v := range vals {
			if got[i] != want[v] {
				t.Fatalf("n=%d: record %d (%q): count %d, want %d", n, i, v, got[i], want[v])
			}
		}
	}
}
