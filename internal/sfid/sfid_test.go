package sfid

import "testing"

func TestSuffixKnownIDs(t *testing.T) {
	// Real ids from Salesforce documentation and recordings.
	for _, id := range []string{"001R0000000zlh9IAA", "750R0000000zlh9IAA", "005R0000000GiwjIAC", "00Dx0000000BV7zEAG", "005x00000012Q9PAAU"} {
		got, err := To18(id[:15])
		if err != nil || got != id {
			t.Errorf("To18(%q) = %q, %v; want %q", id[:15], got, err, id)
		}
		if !Valid(id) {
			t.Errorf("Valid(%q) = false", id)
		}
	}
}

func TestNewRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for n := uint64(0); n < 5000; n += 7 {
		id := New(Contact, "5g", n)
		if len(id) != 18 || id[:3] != Contact || !Valid(id) {
			t.Fatalf("New(%d) = %q: not a valid contact id", n, id)
		}
		if seen[id] {
			t.Fatalf("New(%d) = %q: duplicate", n, id)
		}
		seen[id] = true
	}
}

func TestInvalid(t *testing.T) {
	for _, s := range []string{"", "abc", "001R0000000zlh9IAB", "001R0000000z-h9", "001R0000000zlh9IA"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
	if !Equal("001R0000000zlh9", "001R0000000zlh9IAA") {
		t.Error("Equal 15 vs 18 = false")
	}
}
