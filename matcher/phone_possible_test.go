package matcher

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestIsPossibleCache checks the cached possible-length answer against
// phonenumbers.IsPossibleNumber for every calling code and every number of
// digits, asked twice (the second time from the cache), with national
// numbers that differ except in length.
func TestIsPossibleCache(t *testing.T) {
	n := newNormalizer()
	for round := range 2 {
		for cc := 1; cc < 1000; cc++ {
			for digits := 1; digits <= 19; digits++ {
				national := uint64(1 + round*7)
				for range digits - 1 {
					national = national*10 + uint64((cc+digits+round)%10)
				}
				cc32 := int32(cc)
				var pn phonenumbers.PhoneNumber
				pn.CountryCode = &cc32
				pn.NationalNumber = &national
				want := phonenumbers.IsPossibleNumber(&pn)
				if got := n.isPossible(cc, national, digits); got != want {
					t.Fatalf("round %d: isPossible(%d, %d) = %v, want %v", round, cc, national, got, want)
				}
			}
		}
	}
}
