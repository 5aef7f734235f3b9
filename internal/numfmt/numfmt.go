// Package numfmt writes counts for people to read, with thousands
// separators ("1,283"), in the summaries, errors and the review page.
package numfmt

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Thousands is n with thousands separators, as English writes it:
// 1234567 is "1,234,567", -1234 is "-1,234".
func Thousands(n int64) string {
	// A Printer is not safe for concurrent use; these are summary lines.
	return message.NewPrinter(language.English).Sprint(n)
}
