// Package nicknames embeds two nickname tables in the same format: rows
// "name1,has_nickname,name2" under the header "name1,relationship,name2",
// formal given name first, short form second.
//
// CSV is the English table of github.com/carltonnorthern/nicknames (Apache
// License 2.0, LICENSE.txt and README.md beside it), embedded once for the
// matcher, which canonicalises given names with it, and the synthetic
// worlds, which vary names with it.
//
// International is navsync's own table of short given names outside English
// (German, Dutch, Nordic, Polish, Czech/Slovak, Russian/Ukrainian, Hungarian,
// Italian, Spanish, Portuguese, French, Greek, Turkish, Indian), plus English
// relations the first table lacks, with names folded to ASCII lower case.
package nicknames

import _ "embed"

//go:embed names.csv
var table string

//go:embed international.csv
var international string

// CSV returns the English table as CSV text.
func CSV() string { return table }

// International returns international.csv as CSV text: navsync's own table of
// hypocorisms and short forms of given names outside English (Fritz for
// Friedrich, Kasia for Katarzyna, Paco for Francisco, ...), written for
// navsync from common knowledge and licensed with navsync, in the same format
// as CSV (header "name1,relationship,name2", rows "formal,has_nickname,short").
// Names are ASCII lower-case letters only, diacritics removed and compound
// names written without space or hyphen. It holds no row of names.csv.
func International() string { return international }
