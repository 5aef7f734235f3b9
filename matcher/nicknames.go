package matcher

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"

	nicknamedata "github.com/navsync/navsync/internal/nicknames"
)

// nicknameTable maps a folded given name to its canonical roots (see
// parseNicknames). Two given names are
// nickname-equivalent when their root sets intersect, so "bob" ~ "robert"
// and "bobby" ~ "bob" (both nicknames of robert), without transitively
// merging unrelated names through short shared nicknames such as "al".
type nicknameTable struct {
	roots map[string][]uint16 // sorted root ids
	names []string            // root id → name
}

// nicknames is built once from the embedded tables (the English one and
// our own of short forms in other languages: Fritz/Friedrich, Wim/Willem,
// Kasia/Katarzyna) and never modified.
var nicknames = sync.OnceValue(func() *nicknameTable {
	t, err := parseNicknames(nicknameCSV())
	if err != nil {
		// The table is embedded at build time; a parse failure is a
		// packaging bug that tests catch.
		panic(fmt.Sprintf("matcher: embedded nickname table: %v", err))
	}
	return t
})

// nicknameCSV is the English table followed by the rows of the
// international one (its header dropped).
func nicknameCSV() string {
	_, rows, _ := strings.Cut(nicknamedata.International(), "\n")
	return strings.TrimRight(nicknamedata.CSV(), "\n") + "\n" + rows
}

func parseNicknames(data string) (*nicknameTable, error) {
	r := csv.NewReader(strings.NewReader(data))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse nicknames: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) != 3 || rows[0][0] != "name1" {
		return nil, fmt.Errorf("parse nicknames: unexpected header")
	}
	ids := map[string]uint16{}
	id := func(s string) uint16 {
		if v, ok := ids[s]; ok {
			return v
		}
		v := uint16(len(ids))
		ids[s] = v
		return v
	}
	type edge struct{ formal, nick string }
	var edges []edge
	degree := map[string]int{}
	for i, row := range rows[1:] {
		if len(row) != 3 || row[1] != "has_nickname" {
			return nil, fmt.Errorf("parse nicknames: row %d: unexpected %q", i+2, row)
		}
		formal := strings.TrimSpace(strings.ToLower(row[0]))
		nick := strings.TrimSpace(strings.ToLower(row[2]))
		if formal == "" || nick == "" || formal == nick {
			continue
		}
		edges = append(edges, edge{formal, nick})
		degree[formal]++
	}
	// The table lists many relations both ways ("bill has_nickname
	// robert" beside "robert has_nickname bill"). A name's roots are the
	// name itself and the names it is a nickname of that have at least as
	// many nicknames as it has, so "bill" has the roots william and robert
	// but william and robert do not share a root. A relation listed one
	// way only, to a shorter nickname, says which is the formal name
	// whatever the counts: "gerald has_nickname jerry" and no "jerry
	// has_nickname gerald" make gerald a root of jerry, though jerry lists
	// more nicknames of its own (so do albert, herbert and norbert of
	// bert, bradley of brad, johann of john); the table's odd rows to a
	// longer name ("wilma has_nickname william") stay out.
	listed := make(map[edge]bool, len(edges))
	for _, e := range edges {
		listed[e] = true
	}
	roots := map[string][]uint16{}
	for _, e := range edges {
		roots[e.formal] = appendUnique(roots[e.formal], id(e.formal))
		roots[e.nick] = appendUnique(roots[e.nick], id(e.nick))
		if degree[e.formal] >= degree[e.nick] || !listed[edge{e.nick, e.formal}] && len(e.nick) < len(e.formal) {
			roots[e.nick] = appendUnique(roots[e.nick], id(e.formal))
		}
	}
	if len(ids) > 1<<16-1 {
		return nil, fmt.Errorf("parse nicknames: too many names (%d)", len(ids))
	}
	for k, v := range roots {
		slices.Sort(v)
		roots[k] = slices.Compact(v)
	}
	names := make([]string, len(ids))
	for k, v := range ids {
		names[v] = k
	}
	return &nicknameTable{roots: roots, names: names}, nil
}

func appendUnique(s []uint16, vs ...uint16) []uint16 {
	for _, v := range vs {
		if !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

// Roots returns the canonical roots of a folded given name, or nil when the
// name is not in the table.
func (t *nicknameTable) Roots(name string) []uint16 { return t.roots[name] }

// related reports whether two sorted root sets intersect.
func rootsIntersect(a, b []uint16) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}
