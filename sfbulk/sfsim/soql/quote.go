package soql

import "strings"

var quoter = strings.NewReplacer(
	`\`, `\\`, `'`, `\'`, `"`, `\"`,
	"\n", `\n`, "\r", `\r`, "\t", `\t`, "\b", `\b`, "\f", `\f`,
)

// Quote returns s as a SOQL string literal, quotes included, with every
// character that needs it escaped, so user input cannot change the query.
// In a LIKE pattern, % and _ stay wildcards; use QuoteLike to match them
// literally.
func Quote(s string) string { return "'" + quoter.Replace(s) + "'" }

var likeQuoter = strings.NewReplacer(`%`, `\%`, `_`, `\_`)

// QuoteLike is Quote for text that a LIKE pattern must match literally.
func QuoteLike(s string) string { return "'" + likeQuoter.Replace(quoter.Replace(s)) + "'" }
