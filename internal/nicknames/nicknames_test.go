package nicknames

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

func TestTableShipsWithLicence(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(CSV())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1000 || strings.Join(rows[0], ",") != "name1,relationship,name2" {
		t.Fatalf("table: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		if r[1] != "has_nickname" {
			t.Fatalf("unexpected relationship %q", r[1])
		}
	}
	for _, f := range []string{"LICENSE.txt", "README.md"} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

func TestInternationalTable(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(International())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 600 || strings.Join(rows[0], ",") != "name1,relationship,name2" {
		t.Fatalf("international.csv: %d rows, header %v", len(rows), rows[0])
	}
	english := map[[2]string]bool{}
	eng, err := csv.NewReader(strings.NewReader(CSV())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range eng[1:] {
		english[[2]string{r[0], r[2]}] = true
	}
	seen := map[[2]string]bool{}
	for i, r := range rows[1:] {
		line := i + 2
		if r[1] != "has_nickname" {
			t.Errorf("line %d: relationship %q", line, r[1])
		}
		for _, n := range []string{r[0], r[2]} {
			if !foldedName(n) {
				t.Errorf("line %d: name %q is not at least 3 ASCII lower-case letters", line, n)
			}
		}
		if r[0] == r[2] {
			t.Errorf("line %d: formal and short both %q", line, r[0])
		}
		k := [2]string{r[0], r[2]}
		if seen[k] {
			t.Errorf("line %d: duplicate row %v", line, r)
		}
		seen[k] = true
		if english[k] {
			t.Errorf("line %d: %v is already in names.csv", line, r)
		}
	}
	for _, c := range []struct {
		formal, short string
		want          bool
	}{
		{"friedrich", "fritz", true},
		{"willem", "wim", true},
		{"katarzyna", "kasia", true},
		{"guadalupe", "lupe", true},
		{"rosario", "charo", true},
		{"jose", "pepe", true},
		{"giuseppe", "beppe", true},
		{"luigi", "gigi", true},
		{"pierluigi", "gigi", true},
		{"vikram", "vicky", true},
		{"aleksandr", "sasha", true},
		{"yekaterina", "katya", true},
		{"francisco", "paco", true},
		{"ignacio", "nacho", true},
		{"istvan", "pista", true},
		{"konstantinos", "kostas", true},
		{"theresa", "terri", true},
		// translations, spelling variants and unrelated names are not hypocorisms
		{"johann", "john", false},
		{"giovanni", "john", false},
		{"katarzyna", "catherine", false},
		{"jose", "joseph", false},
		{"friedrich", "frederick", false},
	} {
		if got := seen[[2]string{c.formal, c.short}]; got != c.want {
			t.Errorf("%s,has_nickname,%s present = %v, want %v", c.formal, c.short, got, c.want)
		}
	}
}

// foldedName reports whether n is written as the matcher folds given names:
// ASCII lower-case letters only, at least three of them.
func foldedName(n string) bool {
	if len(n) < 3 {
		return false
	}
	for _, r := range n {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
