package input

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/navsync/navsync/internal/numfmt"
	"github.com/navsync/navsync/internal/sfid"
)

// FileStat counts what one input file gave. run.json lists one per input
// file under "inputs", with these json names.
type FileStat struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"`     // "leads", "accounts", "Contact", "Lead", "Account", "User", "Opportunity"
	Rows     int    `json:"rows"`     // rows kept
	Rejected int    `json:"rejected"` // rows left out
	// DroppedValues counts values left out of kept rows (invalid_value
	// rejects): the rows count in Rows, not in Rejected.
	DroppedValues int `json:"dropped_values"`
}

// rowReject is a row turned down by a binding.
type rowReject struct {
	id, reason, detail string
}

// binding turns rows of one file into records.
type binding struct {
	idCol int // column holding the row's id, for rejects; -1 if none
	// row consumes one structurally sound row. It returns nil when the row
	// was kept; a value it leaves out of a kept row it reports through
	// drop (column and detail: the reason is invalid_value). f is only
	// valid during the call.
	row func(f [][]byte, line int, drop dropFunc) *rowReject
	// grow asks for room for about n more rows; may be nil. It is called
	// each time the kept rows fill the room given so far, and n is never
	// more than the rows kept so far (see growBy).
	grow func(n int)
}

// dropFunc reports a value left out of a kept row: its column, and what
// was wrong with it ("%q is not a whole number").
type dropFunc func(column, detail string)

// maxRejects is how many rejected rows a file may have beyond its kept
// rows. Rejected rows are kept, with their raw text, for rejects.parquet;
// a file of junk rows (10 MB of one-letter lines are 5 million rejects,
// 3.2 GB) is not an export of its kind, and reading on would only spend
// memory: once a file's rejected rows pass maxRejects and outnumber its
// kept rows, it is refused (ErrSchema).
const maxRejects = 100_000

// checkEvery is how many rows pass between context checks.
const checkEvery = 1 << 14

// scan reads every row of path. Rows with a structural problem (column
// count, UTF-8, quoting) become rejects without reaching the binding.
func scan(ctx context.Context, path, kind string, bind func(*columns) (*binding, error)) (FileStat, []Reject, error) {
	st := FileStat{Path: path, Kind: kind}
	src, err := openSource(ctx, path)
	if err != nil {
		return st, nil, err
	}
	defer src.close()
	cols, err := newColumns(path, src.header())
	if err != nil {
		return st, nil, err
	}
	b, err := bind(cols)
	if err != nil {
		return st, nil, err
	}
	hdr := src.header()
	var rejects []Reject
	reject := func(id, reason, detail string) {
		rejects = append(rejects, Reject{
			File: path, Line: src.line(), LeadID: id,
			Reason: reason, Detail: detail, Raw: rawText(src.raw()),
		})
		st.Rejected++
	}
	var f [][]byte
	drop := func(column, detail string) {
		rejects = append(rejects, Reject{
			File: path, Line: src.line(), LeadID: string(trimSpace(get(f, b.idCol))),
			Reason: ReasonInvalidValue, Detail: column + " " + detail + "; the row is kept without it", Raw: rawText(src.raw()),
		})
		st.DroppedValues++
	}
	nextGrow := firstGrow
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return st, nil, err
			}
		}
		if err := src.next(); err != nil {
			if err == io.EOF {
				break
			}
			return st, nil, fmt.Errorf("%s: %w", path, err)
		}
		f = src.fields()
		if reason, detail := src.problem(); reason != "" {
			id := ""
			if reason != ReasonInvalidUTF8 && reason != ReasonMalformedQuote {
				id = string(trimSpace(get(f, b.idCol)))
			}
			reject(id, reason, detail)
			if err := tooManyRejects(path, st, rejects); err != nil {
				return st, nil, err
			}
			continue
		}
		if repeatedHeader(f, hdr) {
			continue // a second Bulk 2.0 result page glued on, header and all
		}
		if rj := b.row(f, src.line(), drop); rj != nil {
			reject(rj.id, rj.reason, rj.detail)
			if err := tooManyRejects(path, st, rejects); err != nil {
				return st, nil, err
			}
			continue
		}
		st.Rows++
		if st.Rows == nextGrow && b.grow != nil {
			extra := growBy(st.Rows, src.progress())
			b.grow(extra)
			nextGrow += max(extra, 1)
		}
	}
	return st, rejects, nil
}

// firstGrow is the number of kept rows after which a binding is first
// asked to grow; until then its slices grow by append.
const firstGrow = 4096

// growBy is how many more rows to make room for after rows were kept and
// the share p of the file was read. The file's size (or a Parquet
// footer's row count) suggests how many rows are left, but blank lines,
// rejected rows or a lying footer can make that estimate any size, so it
// is only believed up to the rows the file has already shown: room at most
// doubles, and grows by at least half, as a slice growing by append would.
func growBy(rows int, p float64) int {
	if p >= 1 {
		return 0 // nothing left to read
	}
	extra := rows
	if p > 0 {
		est := int(float64(rows)/p*1.05) + 16
		extra = min(max(est-rows, rows/2), rows)
	}
	return extra
}

// tooManyRejects is the ErrSchema error of a file whose rejected rows
// passed maxRejects and outnumber its kept rows, naming the reasons.
func tooManyRejects(path string, st FileStat, rejects []Reject) error {
	if st.Rejected <= maxRejects || st.Rejected <= st.Rows {
		return nil
	}
	count := map[string]int{}
	var order []string
	for _, r := range rejects {
		if r.Reason == ReasonInvalidValue {
			continue
		}
		if count[r.Reason] == 0 {
			order = append(order, r.Reason)
		}
		count[r.Reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = r + " " + thousands(count[r])
	}
	return fmt.Errorf("%s: %s rows rejected (%s), %s kept, by line %d: not a usable export of this kind: %w",
		path, thousands(st.Rejected), strings.Join(parts, ", "), thousands(st.Rows), rejects[len(rejects)-1].Line, ErrSchema)
}

// thousands writes n with thousands separators.
func thousands(n int) string { return numfmt.Thousands(int64(n)) }

// repeatedHeader reports whether a row repeats the header.
func repeatedHeader(f [][]byte, hdr []string) bool {
	if len(f) != len(hdr) || len(f) == 0 || string(f[0]) != hdr[0] {
		return false
	}
	for i := range f {
		if string(f[i]) != hdr[i] {
			return false
		}
	}
	return true
}

// controlChar returns the first control character in b (C0, DEL or C1),
// which no id holds: a NUL or a line break in an id is damage.
func controlChar(b []byte) (rune, bool) {
	for i, c := range b {
		switch {
		case c < 0x20 || c == 0x7f:
			return rune(c), true
		case c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			return rune(b[i+1]), true
		}
	}
	return 0, false
}

// badID is the reject of an id holding a control character, or nil.
func badID(id []byte, column, reason string) *rowReject {
	if r, bad := controlChar(id); bad {
		return &rowReject{id: string(id), reason: reason, detail: fmt.Sprintf("%s holds %U, a control character", column, r)}
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// seenIDs remembers the ids of kept rows and where each was, to reject
// later duplicates with the place of the first.
type seenIDs struct {
	idx   *idIndex
	ids   []string
	lines []int32
	files []int32 // index into paths
	forms []uint8 // length of the id as the file wrote it (15 or 18 for a normalised Salesforce id)
	paths []string
}

func newSeenIDs() *seenIDs {
	s := &seenIDs{}
	s.idx = newIDIndex(func(i int32) string { return s.ids[i] })
	return s
}

// reserve makes room for about n more ids.
func (s *seenIDs) reserve(n int) {
	s.idx.reserve(n)
	s.ids = slices.Grow(s.ids, n)
	s.lines = slices.Grow(s.lines, n)
	s.files = slices.Grow(s.files, n)
	s.forms = slices.Grow(s.forms, n)
}

// add records id (raw bytes, made a string by str) as seen at path and
// line; asWritten is how the file wrote it (a Salesforce id is added in its
// 18-character form). For an id seen before it returns "" and where it was
// first seen, and in which form when that differs.
func (s *seenIDs) add(id, asWritten []byte, path string, line int, str func([]byte) string) (string, string) {
	j, fresh := s.idx.add(id, int32(len(s.ids)))
	if !fresh {
		where := fmt.Sprintf("first at line %d", s.lines[j])
		if first := s.paths[s.files[j]]; first != path {
			where = fmt.Sprintf("first at %s line %d", filepath.Base(first), s.lines[j])
		}
		if n := int(s.forms[j]); n != len(asWritten) && n <= len(s.ids[j]) {
			where += fmt.Sprintf(" as %s (the %d- and %d-character forms of one id)", s.ids[j][:n], n, len(asWritten))
		}
		return "", where
	}
	if len(s.paths) == 0 || s.paths[len(s.paths)-1] != path {
		s.paths = append(s.paths, path)
	}
	v := str(id)
	s.ids = append(s.ids, v)
	s.lines = append(s.lines, int32(line))
	s.files = append(s.files, int32(len(s.paths)-1))
	s.forms = append(s.forms, uint8(min(len(asWritten), 255)))
	return v, ""
}

// sfIDs turns Salesforce ids as a file wrote them into their 18-character
// form (package sfid), so that a 15-character id and its 18-character form
// name one record wherever they are read. A value that is not a well-formed
// 15- or 18-character id is kept as it is. The result is valid until the
// next call.
type sfIDs struct{ buf [18]byte }

func (x *sfIDs) norm(id []byte) []byte {
	if out, ok := sfid.Append18(x.buf[:0], id); ok {
		return out
	}
	return id
}
