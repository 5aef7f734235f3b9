// Package sfsim is a Salesforce-compatible org simulator: an HTTP server,
// in-process (httptest) or standalone, that holds an org in memory and speaks
// the real wire format of OAuth, REST, SOQL, sObject Collections, describe,
// search suggestions, limits and Bulk API 2.0 query and ingest jobs, enforces
// the org rules navsync depends on, and injects faults on request. It is the
// embedded default org of the demo and of the tests.
package sfsim
