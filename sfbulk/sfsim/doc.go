// Package sfsim is a Salesforce-compatible org simulator: an HTTP server,
// in-process (httptest) or standalone (navsync sim), that holds an org in
// memory and speaks the real wire format of OAuth, REST, SOQL, sObject
// Collections, describe, search suggestions, limits and Bulk API 2.0 query
// and ingest jobs, enforces the org rules navsync depends on, and injects
// faults on request. It is the embedded default org of the demo and of the
// tests, and jsforce, the Salesforce CLI and go-salesforce accept it.
//
// Usage:
//
//	srv, err := sfsim.New(sfsim.Options{Logger: log})
//	err = srv.Load("Contact", header, rows) // or LoadCSV, LoadDir
//	go srv.Serve(ctx, ln) // until ctx ends, then a graceful shutdown; or httptest.NewServer(srv.Handler())
//	access, refresh, err := srv.IssueToken(srv.AdminUser().Username)
//
// One host serves both the login endpoints (/services/oauth2/…, /id/…)
// and the instance (/services/data/…); instance_url and the identity URL
// point back to it. Wire facts follow salesforce-api.md; describes of
// Contact and Account, the limits and identity answers are built from real
// recorded responses embedded from schema/ (MIT, see schema/README.md).
//
// Storage: each object is a table of packed rows (one string per record
// holding its non-empty values), with indexes on Id, reference fields,
// external ids, unique fields and emails, so a few million records fit in
// a few GB. One RWMutex guards the data; long reads (Bulk 2.0 exports,
// SOQL scans) take it a chunk at a time and write to the network outside
// it. SOQL is parsed and evaluated by the soql subpackage over this store.
//
// Every org has four profiles (System Administrator, Standard User, Read
// Only, and a Standard User without API access; ids in internal/sfid), the
// Organization record and an admin integration user. Errors use the real
// shapes: top-level REST errors as [{"message","errorCode","fields"}],
// per-record collection results with statusCode, token errors as
// {"error","error_description"}, Bulk failures as CODE:message:fields --.
package sfsim
