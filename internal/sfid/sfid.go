// Package sfid builds and checks Salesforce record ids: a 3-character key
// prefix, 12 base-62 characters (15 in all, case-sensitive) and the
// 3-character case-insensitive checksum suffix of the 18-character form.
// The simulator and the synthetic worlds share it so their ids look real.
package sfid

import "errors"

// Key prefixes of the objects navsync touches.
const (
	Account                = "001"
	Contact                = "003"
	Opportunity            = "006"
	Lead                   = "00Q"
	User                   = "005"
	OpportunityContactRole = "00K"
	Profile                = "00e"
	Organization           = "00D"
	Job                    = "750"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const suffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// New returns the 18-character id with the given key prefix, a 2-character
// pod part (e.g. "5g") and sequence number n.
func New(prefix, pod string, n uint64) string {
	var b [18]byte
	copy(b[:3], prefix)
	copy(b[3:5], pod)
	for i := 14; i >= 5; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	copy(b[15:], Suffix(string(b[:15])))
	return string(b[:])
}

// Suffix computes the 3-character checksum of a 15-character id.
func Suffix(id15 string) string {
	var out [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		out[chunk] = suffixChars[v]
	}
	return string(out[:])
}

// ErrInvalid is returned by To18 for a string that is not a Salesforce id.
var ErrInvalid = errors.New("not a salesforce id")

// To18 returns the 18-character form of a 15- or 18-character id, checking
// the characters and, for 18, the checksum.
func To18(id string) (string, error) {
	var b [18]byte
	out, ok := Append18(b[:0], []byte(id))
	if !ok {
		return "", ErrInvalid
	}
	return string(out), nil
}

// base62Char marks the bytes allowed in the first 15 characters.
var base62Char = func() (t [256]bool) {
	for i := 0; i < len(base62); i++ {
		t[base62[i]] = true
	}
	return t
}()

// Append18 appends the canonical 18-character form of a 15- or
// 18-character id to dst: the first 15 characters as given and the
// checksum suffix in upper case. An 18-character id's suffix is checked,
// without regard to case as Salesforce does. For anything else (another
// length, a character outside [0-9A-Za-z], a wrong suffix) it returns dst
// unchanged and false. It does not allocate when dst has room for 18 bytes.
func Append18(dst, id []byte) ([]byte, bool) {
	if len(id) != 15 && len(id) != 18 {
		return dst, false
	}
	var sum [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for i := 0; i < 5; i++ {
			c := id[chunk*5+i]
			if !base62Char[c] {
				return dst, false
			}
			if c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		sum[chunk] = suffixChars[v]
	}
	if len(id) == 18 {
		for i, c := range id[15:] {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			if c != sum[i] {
				return dst, false
			}
		}
	}
	dst = append(dst, id[:15]...)
	return append(dst, sum[:]...), true
}

// Valid reports whether id is a well-formed 15- or 18-character id.
func Valid(id string) bool { _, err := To18(id); return err == nil }

// Equal compares two ids in 15- or 18-character form.
func Equal(a, b string) bool {
	if len(a) < 15 || len(b) < 15 {
		return a == b
	}
	return a[:15] == b[:15]
}

// Well-known Profile ids shared by the simulator and the synthetic worlds. A
// User row's ProfileId says what the user may do in the simulator org.
var (
	ProfileSystemAdmin = New(Profile, "5g", 1) // System Administrator: API enabled, modify all data
	ProfileStandard    = New(Profile, "5g", 2) // Standard User: API enabled, create/edit Contacts, Leads, OpportunityContactRoles
	ProfileReadOnly    = New(Profile, "5g", 3) // Read Only: API enabled, reads only (writes get INSUFFICIENT_ACCESS_OR_READONLY)
	ProfileNoAPI       = New(Profile, "5g", 4) // Standard User without "API Enabled": API_DISABLED_FOR_ORG
)
