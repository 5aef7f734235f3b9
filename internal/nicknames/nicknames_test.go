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
