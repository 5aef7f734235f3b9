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

func TestAppend18(t *testing.T) {
	tests := []struct{ in, want string }{
		{"001R0000000zlh9", "001R0000000zlh9IAA"},
		{"001R0000000zlh9IAA", "001R0000000zlh9IAA"},
		{"001R0000000zlh9iaa", "001R0000000zlh9IAA"}, // the suffix is case-insensitive
		{"001000000000001", "001000000000001AAA"},
		{"001R0000000zlh9IAB", ""},    // wrong checksum
		{"001r0000000zlh9IAA", ""},    // case changed in the first 15: another record
		{"001R0000000zlh", ""},        // 14
		{"001R0000000zlh9I", ""},      // 16
		{"001R0000000z h9", ""},       // not base 62
		{"001R0000000z\x00h9", ""},    // NUL
		{"001R0000000zlh9\xffAA", ""}, // not UTF-8
	}
	for _, tc := range tests {
		dst := []byte("x")
		got, ok := Append18(dst, []byte(tc.in))
		if tc.want == "" {
			if ok || string(got) != "x" {
				t.Errorf("Append18(%q) = %q, %v; want no id", tc.in, got, ok)
			}
			continue
		}
		if !ok || string(got) != "x"+tc.want {
			t.Errorf("Append18(%q) = %q, %v; want x%s", tc.in, got, ok, tc.want)
		}
		if s, err := To18(tc.in); err != nil || s != tc.want {
			t.Errorf("To18(%q) = %q, %v", tc.in, s, err)
		}
	}
	buf := make([]byte, 0, 18)
	id := []byte("001R0000000zlh9")
	if n := testing.AllocsPerRun(100, func() { Append18(buf[:0], id) }); n != 0 {
		t.Errorf("Append18 allocates %v times", n)
	}
}
