// Package parquettest reads navsync's Parquet reports back in tests with
// arrow-go, independently of the writer: each column's values as Go values
// (nil for null), the schema, row groups, codecs and key-value metadata,
// or the rows as maps. It is imported by tests only.
package parquettest
