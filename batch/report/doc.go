// Package report writes navsync's Parquet reports (matches, accounts,
// rejects, and later actions and quota) through Arrow and pqarrow: a small
// generic Writer over a list of typed columns streams rows into row groups
// with reserved builder capacity, compresses with ZSTD, and writes to a
// temporary name in the target folder that is renamed into place only when
// the file is complete, so a reader never sees half a file. A Set replaces a
// folder of reports as a whole: the files go into a fresh folder, and a
// symbolic link at the folder's path is switched to it with one rename. A
// new report is a column list over its row type.
package report
