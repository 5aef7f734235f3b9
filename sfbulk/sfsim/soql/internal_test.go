package soql

import "testing"

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, value string // pattern in decodeString's LIKE form
		want           bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"%%", "x", true},
		{"abc", "ABC", true},
		{"abc", "abcd", false},
		{"a%", "a", true},
		{"a%", "ba", false},
		{"%a", "bA", true},
		{"%a", "ab", false},
		{"a%c", "abbbc", true},
		{"a%c", "abbbcd", false},
		{"a%b%c", "aXbYc", true},
		{"a%b%c", "acb", false},
		{"%b%b%", "bb", true},
		{"%b%b%", "b", false},
		{"_", "é", true},
		{"__", "é", false},
		{"%_x", "x", false},
		{"%_x", "ax", true},
		{`\%`, "%", true},
		{`\%`, "a", false},
		{`\_`, "_", true},
		{`\_`, "a", false},
		{`100\%%`, "100% sure", true},
		{`a\\b`, `a\b`, true},
		{"ÉMILE", "émile", true},
		{"straße", "STRASSE", false},
		{"%aab", "aaab", true},
		{"%aba", "ababa", true},
	}
	for _, tt := range tests {
		lp := compileLike(tt.pattern)
		if got := lp.match(tt.value); got != tt.want {
			t.Errorf("LIKE %q on %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1970-01-01T00:00:00Z", 0, true},
		{"1970-01-01T00:00:00.001Z", 1, true},
		{"1970-01-01T00:00:00.1234Z", 123, true},
		{"1970-01-01T01:00:00+01:00", 0, true},
		{"1970-01-01T00:00:00-0130", 5_400_000, true},
		{"2024-02-29T23:59:59.999+0000", 1709251199999, true},
		{"2023-02-29T00:00:00Z", 0, false},
		{"2024-03-01T24:00:00Z", 0, false},
		{"2024-03-01T10:05:00", 0, false},
		{"2024-03-01T10:05:00.Z", 0, false},
		{"2024-03-01T10:05:00+1", 0, false},
		{"1969-12-31T23:59:59Z", -1000, true},
	}
	for _, tt := range tests {
		got, ok := parseDateTime(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseDateTime(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if d, ok := parseDate("2000-03-01"); !ok || d != 11017 {
		t.Errorf("parseDate(2000-03-01) = %d, %v; want 11017", d, ok)
	}
	if _, ok := parseDate("1900-02-29"); ok {
		t.Error("1900-02-29 accepted")
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"001000000000001":    true,
		"001000000000001AAA": true,
		"001000000000001aaa": true,
		"001000000000001AAB": false,
		"0015g00000AcMe1":    true,
		"0015g00000AcMe1AAA": false,
		"00100000000000":     false,
		"00100000000000!":    false,
	} {
		if got := validID(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
