// Package nicknames ships the nickname table of
// github.com/carltonnorthern/nicknames (Apache License 2.0, LICENSE.txt and
// README.md beside it), embedded once for the matcher, which canonicalises
// given names with it, and the synthetic worlds, which vary names with it.
// Rows are "name1,has_nickname,name2", lower-case English given names, with
// the header "name1,relationship,name2".
package nicknames

import _ "embed"

//go:embed names.csv
var table string

// CSV returns the table as CSV text.
func CSV() string { return table }
