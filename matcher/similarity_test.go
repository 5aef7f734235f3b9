package matcher

import (
	"math"
	"testing"
)

func TestJaroWinkler(t *testing.T) {
	// Reference values from Winkler (1990) and the usual published examples.
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.961111},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.813333},
		{"jones", "johnson", 0.832381},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
		{"", "", 0},
		{"a", "a", 1},
	}
	for _, tt := range tests {
		got := jaroWinkler(tt.a, tt.b)
		if math.Abs(got-tt.want) > 1e-5 {
			t.Errorf("jaroWinkler(%q, %q) = %.6f, want %.6f", tt.a, tt.b, got, tt.want)
		}
		if back := jaroWinkler(tt.b, tt.a); math.Abs(back-got) > 1e-12 {
			t.Errorf("jaroWinkler not symmetric for %q, %q: %v vs %v", tt.a, tt.b, got, back)
		}
	}
}

func TestJaroWinklerLong(t *testing.T) {
	a := "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
	if got := jaroWinkler(a, a+"q"); got < 0.99 {
		t.Errorf("long strings: got %v", got)
	}
}

func TestSkeleton(t *testing.T) {
	tests := map[string]string{
		"mueller": "mlr", "muller": "mlr", "smith": "smt", "smyth": "smt", "schmidt": "scmdt",
		"kowalczyk": "klczk", "wisniewski": "wsnsk", "garcia": "grc", "anna": "an", "ann": "an",
		"o'neil": "onl", "": "", "王": "王", "Aaron": "arn",
	}
	for in, want := range tests {
		if got := skeleton(in); got != want {
			t.Errorf("skeleton(%q) = %q, want %q", in, got, want)
		}
	}
}
