// Package sfbulk is navsync's Salesforce client: OAuth flows and token
// storage, Bulk API 2.0 query jobs streamed page by page, REST query and
// describe, sObject Collections writes with per-record results, search
// suggestions, API-limit accounting, typed errors and retries. It holds no
// global state; every call takes a context.
package sfbulk
