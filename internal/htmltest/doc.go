// Package htmltest reads navsync's HTML reports back in tests: parse a
// report.html, find elements by id, tag and attribute, take their text with
// blanks folded, and read the review queue the page's script is given. It
// is imported by tests only.
package htmltest
