// Command indep generates test worlds for the matcher independently of
// package fixtures and scores matcher.Match on them: an org snapshot
// (Accounts with company names and legal forms of fifteen countries,
// Contacts and Leads with names of eighteen origins, corporate email
// patterns, national phone formats, titles, duplicates and converted Leads),
// a Sales Navigator lead export mixing people of the org with realistic
// variation, people not in the org and hard negatives (namesakes at the same
// firm, in the same city or with the same title, switchboard colleagues,
// relatives, common names at large employers), and a truth table. It writes
// the files in the formats navsync reads, reads them back with batch/input
// as `navsync match` does, runs Match with the default options and prints
// precision and recall of `match`, recall of `match`+`possible`, the hard
// negatives decided `match`, a per-case table and examples of wrong matches.
// Its name lists and case mix were written without reading the matcher or
// the fixtures, so its numbers say how the matcher does on worlds it was not
// tuned on: `go run ./benchmarks/indep [--seed N] [--leads N] [--out DIR]`.
package main
