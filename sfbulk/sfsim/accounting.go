package sfsim

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/navsync/navsync/internal/sfid"
)

// writeLog is the simulator's write accounting, for tests that must prove
// a dry run wrote nothing and each writeback was applied exactly once.
type writeLog struct {
	requests atomic.Int64 // API requests that attempted to write
	// perRecord counts the changes applied to each record (18-character
	// id), rolled-back ones taken away. Guarded by the store lock: writes
	// hold it for writing.
	perRecord map[string]int32
}

// noteLocked adds d changes to the record id; store lock held for writing.
func (l *writeLog) noteLocked(id string, d int32) {
	if id == "" {
		return
	}
	if l.perRecord == nil {
		l.perRecord = map[string]int32{}
	}
	if n := l.perRecord[id] + d; n > 0 {
		l.perRecord[id] = n
	} else {
		delete(l.perRecord, id)
	}
}

// isWriteRequest reports whether an API request (method, cleaned path)
// asks to write: sObject rows (POST, PATCH, DELETE), sObject Collections
// and other composite resources (POST, PATCH, DELETE, except the POST
// that retrieves records of one object), and Bulk 2.0 ingest job creation.
func isWriteRequest(method, path string) bool {
	if method != http.MethodPost && method != http.MethodPatch && method != http.MethodDelete {
		return false
	}
	rest, ok := strings.CutPrefix(path, "/services/data/v")
	if !ok {
		return false
	}
	_, tail, ok := strings.Cut(rest, "/")
	if !ok {
		return false
	}
	segs := strings.Split(tail, "/")
	switch segs[0] {
	case "sobjects":
		return len(segs) >= 2
	case "composite":
		// POST /composite/sobjects/{Object} reads records by id.
		if len(segs) == 3 && segs[1] == "sobjects" && method == http.MethodPost {
			return false
		}
		return true
	case "jobs":
		return len(segs) == 2 && segs[1] == "ingest" && method == http.MethodPost
	}
	return false
}

// WriteRequests is the number of API requests so far that attempted to
// write: sObject row creates, updates, upserts and deletes, sObject
// Collections and other composite writes, and Bulk 2.0 ingest job
// creations (one per job, whatever its uploads). A request counts when it
// arrives, whether it then failed, was refused or hit an injected fault,
// so a dry run that makes no write attempt at all reads 0.
func (s *Server) WriteRequests() int64 { return s.writes.requests.Load() }

// RecordWrites is how many successful changes the API applied to a record
// (15- or 18-character id of object): its insert counts 1, each update or
// upsert that matched it 1, its delete 1; changes rolled back by an
// allOrNone request do not count, nor do Load and Set. A writeback applied
// exactly once reads 1.
func (s *Server) RecordWrites(object, id string) int {
	id18, err := sfid.To18(id)
	if err != nil {
		return 0
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	if t := s.st.tableForID(id18); t == nil || !strings.EqualFold(t.obj.Name, object) {
		return 0
	}
	return int(s.writes.perRecord[id18])
}
