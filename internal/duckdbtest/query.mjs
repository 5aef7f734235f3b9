// Runs SQL statements with DuckDB and prints one JSON array of row objects
// per statement, one per line. Used by report tests to read navsync's
// Parquet reports back with a third-party reader.
import { DuckDBInstance } from '@duckdb/node-api';

const statements = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
for (const sql of statements) {
  const reader = await conn.runAndReadAll(sql);
  console.log(JSON.stringify(reader.getRowObjectsJson()));
}
