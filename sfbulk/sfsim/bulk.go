package sfsim

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/navsync/navsync/internal/sfid"
	"github.com/navsync/navsync/sfbulk/sfsim/soql"
)

// Bulk API 2.0 job states.
const (
	stateOpen           = "Open"
	stateUploadComplete = "UploadComplete"
	stateInProgress     = "InProgress"
	stateJobComplete    = "JobComplete"
	stateFailed         = "Failed"
	stateAborted        = "Aborted"
)

func terminal(state string) bool {
	return state == stateJobComplete || state == stateFailed || state == stateAborted
}

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

type jobState struct {
	mu     sync.Mutex
	seq    uint64
	query  map[string]*queryJob
	ingest map[string]*ingestJob
	order  []string
	hold   chan struct{} // tests: processing waits for a receive
	// ingestHold, while set, holds ingest jobs closed since then in
	// UploadComplete until it is closed (HoldIngestJobs). Read without mu:
	// a close holds its job's lock, and purgeJobs takes mu, then each
	// job's.
	ingestHold atomic.Pointer[chan struct{}]
	// queryHold, while set, holds query jobs created since then in
	// UploadComplete until it is closed (HoldQueryJobs).
	queryHold atomic.Pointer[chan struct{}]
}

// HoldIngestJobs keeps Bulk API 2.0 ingest jobs closed from now on queued
// in UploadComplete, unprocessed, until release is called, as a busy org
// leaves jobs queued for minutes: for tests of a client that stops while
// its job has yet to run. release may be called more than once.
func (s *Server) HoldIngestJobs() (release func()) { return hold(&s.jobs.ingestHold) }

// HoldQueryJobs keeps Bulk API 2.0 query jobs created from now on queued
// in UploadComplete, not yet run, until release is called, as a busy org
// leaves jobs queued: for tests of a client that meets a job that has not
// ended. release may be called more than once.
func (s *Server) HoldQueryJobs() (release func()) { return hold(&s.jobs.queryHold) }

// hold sets a hold channel in slot and returns its release: it closes the
// channel (once) and clears the slot unless a newer hold replaced it.
func hold(slot *atomic.Pointer[chan struct{}]) (release func()) {
	h := make(chan struct{})
	p := &h
	slot.Store(p)
	var once sync.Once
	return func() {
		once.Do(func() {
			slot.CompareAndSwap(p, nil)
			close(h)
		})
	}
}

// jobRetention: jobs in a terminal state are deleted after 7 days.
const jobRetention = 7 * 24 * time.Hour

// purgeJobs drops terminal jobs older than the retention.
func (s *Server) purgeJobs() {
	js := s.jobs
	cutoff := s.now().Add(-jobRetention)
	js.mu.Lock()
	defer js.mu.Unlock()
	keep := js.order[:0]
	for _, id := range js.order {
		var b *jobBase
		if j := js.query[id]; j != nil {
			b = &j.jobBase
		} else if j := js.ingest[id]; j != nil {
			b = &j.jobBase
		}
		if b != nil {
			b.mu.Lock()
			old := terminal(b.state) && b.stamp.Before(cutoff)
			b.mu.Unlock()
			if old {
				delete(js.query, id)
				delete(js.ingest, id)
				continue
			}
		}
		keep = append(keep, id)
	}
	js.order = keep
}

func (js *jobState) newID() string {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.seq++
	return sfid.New(sfid.Job, "5g", js.seq)
}

// jobBase holds what query and ingest jobs share.
type jobBase struct {
	mu              sync.Mutex
	id, operation   string
	object          string
	createdBy       string
	created, stamp  time.Time
	state           string
	errorMessage    string
	apiVersion      string
	columnDelimiter string
	lineEnding      string
	processed       int
	processingMs    int64
}

func (j *jobBase) info(extra map[string]any) map[string]any {
	v, _ := strconv.ParseFloat(j.apiVersion, 64)
	m := map[string]any{
		"id": j.id, "operation": j.operation, "object": j.object, "createdById": j.createdBy,
		"createdDate": j.created.UTC().Format(restDatetime), "systemModstamp": j.stamp.UTC().Format(restDatetime),
		"state": j.state, "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": jsonFloat(v),
		"lineEnding": j.lineEnding, "columnDelimiter": j.columnDelimiter,
	}
	if j.state == stateFailed && j.errorMessage != "" {
		m["errorMessage"] = j.errorMessage
	}
	for k, x := range extra {
		m[k] = x
	}
	return m
}

// jsonFloat marshals 62 as 62.0, as Salesforce writes apiVersion.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(f), 'f', 1, 64)), nil
}

func (s *Server) waitHold() {
	if h := s.jobs.hold; h != nil {
		select {
		case <-h:
		case <-s.ctx.Done():
		}
	}
}

// ---- query jobs ----

type queryJob struct {
	jobBase
	q    *soql.Query
	t    *table
	rows []int32
	fail bool
}

func (c *call) routeQueryJobs(segs []string) error {
	m := c.r.Method
	switch len(segs) {
	case 0:
		switch m {
		case http.MethodPost:
			return c.createQueryJob()
		case http.MethodGet:
			return c.listJobs(true)
		}
		return methodNotAllowed(m, "GET", "POST")
	case 1, 2:
		j := c.s.queryJob(segs[0])
		if j == nil {
			return errNotFound()
		}
		if len(segs) == 2 {
			if m != http.MethodGet {
				return methodNotAllowed(m, "GET")
			}
			switch segs[1] {
			case "results":
				return c.queryResults(j)
			case "resultPages":
				return c.queryResultPages(j)
			}
			return errNotFound()
		}
		switch m {
		case http.MethodGet:
			j.mu.Lock()
			info := j.queryInfo(true)
			j.mu.Unlock()
			writeJSON(c.w, 200, info)
			return nil
		case http.MethodPatch:
			return c.patchJob(&j.jobBase, func() map[string]any { return j.queryInfo(false) })
		case http.MethodDelete:
			return c.deleteJob(&j.jobBase, false)
		}
		return methodNotAllowed(m, "GET", "PATCH", "DELETE")
	}
	return errNotFound()
}

func (s *Server) queryJob(id string) *queryJob {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if id18, err := sfid.To18(id); err == nil {
		id = id18
	}
	return s.jobs.query[id]
}

func (j *queryJob) queryInfo(full bool) map[string]any {
	extra := map[string]any{"isPkChunkingSupported": true}
	if full {
		extra["jobType"] = "V2Query"
		extra["numberRecordsProcessed"] = j.processed
		extra["retries"] = 0
		extra["totalProcessingTime"] = j.processingMs
	}
	return j.info(extra)
}

func errInvalidJob(msg string) error {
	return &apiError{status: 400, code: "INVALIDJOB", message: msg, noField: true}
}

func jobFormat(delim, eol string) (string, string, error) {
	if delim == "" {
		delim = "COMMA"
	}
	if eol == "" {
		eol = "LF"
	}
	if _, ok := delimiters[delim]; !ok {
		return "", "", errInvalidJob("Invalid columnDelimiter: " + echo(delim))
	}
	if eol != "LF" && eol != "CRLF" {
		return "", "", errInvalidJob("Invalid lineEnding: " + echo(eol))
	}
	return delim, eol, nil
}

func (c *call) createQueryJob() error {
	var body struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		ColumnDelimiter string `json:"columnDelimiter"`
		LineEnding      string `json:"lineEnding"`
	}
	if err := c.readJSON(&body); err != nil {
		return err
	}
	if body.Operation == "" {
		body.Operation = "query"
	}
	if body.Operation != "query" && body.Operation != "queryAll" {
		return errInvalidJob("Invalid operation: " + echo(body.Operation))
	}
	if body.ContentType != "" && body.ContentType != "CSV" {
		return errInvalidJob("Invalid contentType: " + echo(body.ContentType))
	}
	delim, eol, err := jobFormat(body.ColumnDelimiter, body.LineEnding)
	if err != nil {
		return err
	}
	if strings.TrimSpace(body.Query) == "" {
		return errInvalidJob("Query is required")
	}
	q, t, err := c.s.parseQuery(body.Query)
	if err != nil {
		return err
	}
	if q.Count {
		return &apiError{status: 400, code: "API_ERROR", message: "Aggregate queries are not supported by Bulk API 2.0", noField: true}
	}
	if q.Offset >= 0 {
		return &apiError{status: 400, code: "API_ERROR", message: "OFFSET is not supported by Bulk API 2.0", noField: true}
	}
	for i := range q.Fields {
		f := &q.Fields[i]
		if o := c.s.schema.object(f.Object); o != nil && o.Fields[f.Field.Index].Type == tAddress {
			return &apiError{status: 400, code: "API_ERROR", message: "Selecting compound data not supported in Bulk Query", noField: true}
		}
	}
	c.s.purgeJobs()
	now := c.s.now()
	j := &queryJob{q: q, t: t}
	j.jobBase = jobBase{id: c.s.jobs.newID(), operation: body.Operation, object: t.obj.Name, createdBy: c.user.ID,
		created: now, stamp: now, state: stateUploadComplete, apiVersion: c.version, columnDelimiter: delim, lineEnding: eol}
	j.fail = c.s.faults.roll("bulk-fail", func(f *Faults) float64 { return f.BulkFail })
	c.s.jobs.mu.Lock()
	c.s.jobs.query[j.id] = j
	c.s.jobs.order = append(c.s.jobs.order, j.id)
	c.s.jobs.mu.Unlock()
	c.s.limits.mu.Lock()
	c.s.limits.queryJobs++
	c.s.limits.mu.Unlock()
	j.mu.Lock()
	info := j.queryInfo(false)
	j.mu.Unlock()
	var held chan struct{}
	if p := c.s.jobs.queryHold.Load(); p != nil {
		held = *p
	}
	c.s.wg.Add(1)
	go c.s.processQueryJob(j, held)
	writeJSON(c.w, 200, info)
	return nil
}

// recoverJob turns a panic in job processing into a Failed job instead of
// a crashed process.
func (s *Server) recoverJob(j *jobBase) {
	if v := recover(); v != nil {
		s.log.Error("sfsim: bulk job panic", "job", j.id, "panic", fmt.Sprint(v))
		j.mu.Lock()
		j.state = stateFailed
		j.errorMessage = "InternalServerError : An unexpected error occurred"
		j.stamp = s.now()
		j.mu.Unlock()
	}
}

func (s *Server) processQueryJob(j *queryJob, held chan struct{}) {
	defer s.wg.Done()
	defer s.recoverJob(&j.jobBase)
	s.waitHold()
	if held != nil {
		select {
		case <-held:
		case <-s.ctx.Done():
		}
	}
	j.mu.Lock()
	if j.state != stateUploadComplete {
		j.mu.Unlock()
		return
	}
	j.state = stateInProgress
	j.stamp = s.now()
	j.mu.Unlock()
	start := time.Now()
	rows := s.runQuery(j.q, j.t, j.operation == "queryAll")
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state != stateInProgress {
		return // aborted meanwhile
	}
	j.stamp = s.now()
	j.processingMs = time.Since(start).Milliseconds()
	if j.fail {
		j.state = stateFailed
		j.errorMessage = "InternalServerError : Failed to process query: UNKNOWN_EXCEPTION: An unexpected error occurred. Please include this ErrorId if you contact support: 1964312707-83473 (-1261542393)"
		return
	}
	j.rows = rows
	j.processed = len(rows)
	j.state = stateJobComplete
}

func encodeLocator(off int) string {
	return base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(off)))
}

func decodeLocator(s string) (int, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil && n >= 0
}

// csvOut writes Bulk 2.0 CSV: every value quoted, "" for null.
type csvOut struct {
	w     *bufio.Writer
	delim byte
	eol   string
}

func newCSVOut(w io.Writer, delim, eol string) *csvOut {
	o := &csvOut{w: bufio.NewWriterSize(w, 64<<10), delim: byte(delimiters[delim]), eol: "\n"}
	if eol == "CRLF" {
		o.eol = "\r\n"
	}
	return o
}

func (o *csvOut) quoted(v string) {
	o.w.WriteByte('"')
	for {
		i := strings.IndexByte(v, '"')
		if i < 0 {
			o.w.WriteString(v)
			break
		}
		o.w.WriteString(v[:i+1])
		o.w.WriteByte('"')
		v = v[i+1:]
	}
	o.w.WriteByte('"')
}

func (o *csvOut) plain(v string) {
	if strings.ContainsAny(v, "\"\r\n"+string(o.delim)) {
		o.quoted(v)
		return
	}
	o.w.WriteString(v)
}

func (o *csvOut) sep(i int) {
	if i > 0 {
		o.w.WriteByte(o.delim)
	}
}

func (o *csvOut) end() { o.w.WriteString(o.eol) }

func (c *call) checkJobVersion(j *jobBase) error {
	if j.apiVersion != c.version {
		return &apiError{status: 409, code: "INVALIDJOB", message: fmt.Sprintf("Job %s was created with API version %s; use the same version to access it", j.id, j.apiVersion), noField: true}
	}
	return nil
}

func (c *call) queryResults(j *queryJob) error {
	j.mu.Lock()
	state, rows := j.state, j.rows
	j.mu.Unlock()
	if err := c.checkJobVersion(&j.jobBase); err != nil {
		return err
	}
	if state != stateJobComplete {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: "Results are not available for a job in state " + state, noField: true}
	}
	qp := c.r.URL.Query()
	size := c.s.opts.BulkPageSize
	if v := qp.Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return &apiError{status: 400, code: "INVALIDJOB", message: "maxRecords must be a positive integer: " + echo(v), noField: true}
		}
		size = n
	}
	off := 0
	if loc := qp.Get("locator"); loc != "" && loc != "null" {
		n, ok := decodeLocator(loc)
		if !ok || n > len(rows) {
			return &apiError{status: 400, code: "INVALIDLOCATOR", message: "Invalid locator: " + echo(loc), noField: true}
		}
		off = n
	}
	end := min(off+size, len(rows))
	next := "null"
	if end < len(rows) {
		next = encodeLocator(end)
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv")
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(end-off))
	h.Set("Sforce-Locator", next)
	c.w.WriteHeader(http.StatusOK)
	fields := j.q.Fields
	if v, _ := strconv.Atoi(strings.TrimSuffix(j.apiVersion, ".0")); v < 50 {
		fields = append([]soql.FieldRef(nil), fields...)
		sort.SliceStable(fields, func(a, b int) bool { return fields[a].Path < fields[b].Path })
	}
	out := newCSVOut(c.w, j.columnDelimiter, j.lineEnding)
	for i := range fields {
		out.sep(i)
		out.quoted(fields[i].Path)
	}
	out.end()
	st := c.s.st
	rec := newQrec(st, j.t)
	if err := out.w.Flush(); err != nil {
		return nil // client went away
	}
	// Rows are rendered a chunk at a time under the read lock into a
	// buffer and written after it is released, so a slow client never
	// holds writers off.
	var buf bytes.Buffer
	chunkOut := newCSVOut(&buf, j.columnDelimiter, j.lineEnding)
	const chunk = 2000
	for p := off; p < end; p += chunk {
		func() {
			st.mu.RLock()
			defer st.mu.RUnlock()
			rec.reset()
			for _, r := range rows[p:min(p+chunk, end)] {
				rec.v.load(r)
				for i := range fields {
					chunkOut.sep(i)
					v, _ := rec.Value(&fields[i])
					chunkOut.quoted(v)
				}
				chunkOut.end()
			}
		}()
		_ = chunkOut.w.Flush()
		if _, err := c.w.Write(buf.Bytes()); err != nil {
			return nil // client went away
		}
		buf.Reset()
	}
	return nil
}

// queryResultPages answers GET …/resultPages (v58.0+): up to five result
// URLs, each a page of the default size, for parallel download, and the
// URL of the next five.
func (c *call) queryResultPages(j *queryJob) error {
	v, _ := strconv.Atoi(strings.TrimSuffix(c.version, ".0"))
	if v < 58 {
		return errNotFound()
	}
	if err := c.checkJobVersion(&j.jobBase); err != nil {
		return err
	}
	j.mu.Lock()
	state, n := j.state, len(j.rows)
	j.mu.Unlock()
	if state != stateJobComplete {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: "Results are not available for a job in state " + state, noField: true}
	}
	off := 0
	if loc := c.r.URL.Query().Get("locator"); loc != "" {
		o, ok := decodeLocator(loc)
		if !ok || o > n {
			return &apiError{status: 400, code: "INVALIDLOCATOR", message: "Invalid locator: " + echo(loc), noField: true}
		}
		off = o
	}
	size := c.s.opts.BulkPageSize
	base := c.prefix() + "/jobs/query/" + j.id
	pages := []any{}
	for i := 0; i < 5 && (off < n || (off == 0 && n == 0 && i == 0)); i++ {
		u := base + "/results?maxRecords=" + strconv.Itoa(size)
		if off > 0 {
			u += "&locator=" + encodeLocator(off)
		}
		pages = append(pages, map[string]any{"resultUrl": u})
		off += size
	}
	var next any
	if off < n {
		next = base + "/resultPages?locator=" + encodeLocator(off)
	}
	writeJSON(c.w, 200, map[string]any{"resultPages": pages, "nextRecordsUrl": next, "done": next == nil})
	return nil
}

func (c *call) listJobs(query bool) error {
	js := c.s.jobs
	js.mu.Lock()
	var recs []any
	for _, id := range js.order {
		if query {
			if j := js.query[id]; j != nil {
				j.mu.Lock()
				recs = append(recs, j.queryInfo(false))
				j.mu.Unlock()
			}
		} else if j := js.ingest[id]; j != nil {
			j.mu.Lock()
			recs = append(recs, j.ingestInfo(false))
			j.mu.Unlock()
		}
	}
	js.mu.Unlock()
	if recs == nil {
		recs = []any{}
	}
	writeJSON(c.w, 200, map[string]any{"done": true, "records": recs, "nextRecordsUrl": nil})
	return nil
}

// patchJob handles {"state":"Aborted"} (and UploadComplete for ingest, via close).
func (c *call) patchJob(j *jobBase, info func() map[string]any) error {
	var body struct {
		State string `json:"state"`
	}
	if err := c.readJSON(&body); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if body.State != stateAborted {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: "Invalid state transition to " + echo(body.State), noField: true}
	}
	if terminal(j.state) {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: fmt.Sprintf("Aborting already %s Job not allowed", j.state), noField: true}
	}
	j.state = stateAborted
	j.stamp = c.s.now()
	writeJSON(c.w, 200, info())
	return nil
}

// deleteJob deletes a job and its results, as Salesforce does only for a
// job that has ended: a query job JobComplete, Failed or Aborted; an ingest
// job also UploadComplete (closed, not yet started: it then never runs).
// An ingest job still Open, or any job InProgress, is refused with
// Salesforce's 400 API_ERROR.
func (c *call) deleteJob(j *jobBase, ingest bool) error {
	j.mu.Lock()
	ok := terminal(j.state) || ingest && j.state == stateUploadComplete
	if ok && j.state == stateUploadComplete {
		j.state = stateAborted // queued: its processing finds it gone
	}
	j.mu.Unlock()
	if !ok {
		return &apiError{status: 400, code: "API_ERROR", message: "Error encountered when deleting the job because the job is not terminated", noField: true}
	}
	js := c.s.jobs
	js.mu.Lock()
	delete(js.query, j.id)
	delete(js.ingest, j.id)
	for i, id := range js.order {
		if id == j.id {
			js.order = append(js.order[:i:i], js.order[i+1:]...)
			break
		}
	}
	js.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- ingest jobs ----

type ingestJob struct {
	jobBase
	t           *table
	extField    *Field
	data        []byte
	uploaded    bool
	failed      int
	header      []string
	success     [][]string // sf__Id, sf__Created, row...
	failures    [][]string // sf__Id, sf__Error, row...
	unprocessed [][]string
	// assignRule is the assignmentRuleId the job was created with (the
	// org's Lead rule, which created and updated Leads then run), or "".
	assignRule string
	// fail: the bulk-fail fault picked this job; it ends Failed after
	// processing about half of its rows, the rest left unprocessed.
	fail bool
}

func (j *ingestJob) ingestInfo(full bool) map[string]any {
	extra := map[string]any{"contentUrl": "services/data/v" + j.apiVersion + "/jobs/ingest/" + j.id + "/batches"}
	if j.assignRule != "" {
		extra["assignmentRuleId"] = j.assignRule
	}
	if j.extField != nil {
		extra["externalIdFieldName"] = j.extField.Name
	}
	if full {
		extra["jobType"] = "V2Ingest"
		extra["numberRecordsProcessed"] = j.processed
		extra["numberRecordsFailed"] = j.failed
		extra["retries"] = 0
		extra["totalProcessingTime"] = j.processingMs
		extra["apiActiveProcessingTime"] = j.processingMs
		extra["apexProcessingTime"] = 0
	}
	return j.info(extra)
}

func (s *Server) ingestJob(id string) *ingestJob {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if id18, err := sfid.To18(id); err == nil {
		id = id18
	}
	return s.jobs.ingest[id]
}

func (c *call) routeIngestJobs(segs []string) error {
	m := c.r.Method
	if len(segs) == 0 {
		switch m {
		case http.MethodPost:
			return c.createIngestJob()
		case http.MethodGet:
			return c.listJobs(false)
		}
		return methodNotAllowed(m, "GET", "POST")
	}
	j := c.s.ingestJob(segs[0])
	if j == nil || len(segs) > 2 {
		return errNotFound()
	}
	if len(segs) == 2 {
		switch segs[1] {
		case "batches":
			if m != http.MethodPut {
				return methodNotAllowed(m, "PUT")
			}
			return c.uploadBatch(j)
		case "successfulResults", "failedResults", "unprocessedrecords":
			if m != http.MethodGet {
				return methodNotAllowed(m, "GET")
			}
			return c.ingestResults(j, segs[1])
		}
		return errNotFound()
	}
	switch m {
	case http.MethodGet:
		j.mu.Lock()
		info := j.ingestInfo(true)
		j.mu.Unlock()
		writeJSON(c.w, 200, info)
		return nil
	case http.MethodPatch:
		return c.patchIngest(j)
	case http.MethodDelete:
		return c.deleteJob(&j.jobBase, true)
	}
	return methodNotAllowed(m, "GET", "PATCH", "DELETE")
}

// IngestJobs are the Bulk API 2.0 ingest jobs the org holds (until deleted,
// or 7 days after they ended), by id with their state: for tests of
// clients that should delete their jobs.
func (s *Server) IngestJobs() map[string]string {
	s.jobs.mu.Lock()
	jobs := make([]*jobBase, 0, len(s.jobs.ingest))
	for _, j := range s.jobs.ingest {
		jobs = append(jobs, &j.jobBase)
	}
	s.jobs.mu.Unlock()
	return jobStates(jobs)
}

// QueryJobs are the Bulk API 2.0 query jobs the org holds (until deleted,
// or 7 days after they ended), by id with their state, as IngestJobs.
func (s *Server) QueryJobs() map[string]string {
	s.jobs.mu.Lock()
	jobs := make([]*jobBase, 0, len(s.jobs.query))
	for _, j := range s.jobs.query {
		jobs = append(jobs, &j.jobBase)
	}
	s.jobs.mu.Unlock()
	return jobStates(jobs)
}

// jobStates reads each job's state under its own lock (the jobs lock is
// not held).
func jobStates(jobs []*jobBase) map[string]string {
	out := make(map[string]string, len(jobs))
	for _, j := range jobs {
		j.mu.Lock()
		out[j.id] = j.state
		j.mu.Unlock()
	}
	return out
}

func (c *call) createIngestJob() error {
	var body struct {
		Object              string `json:"object"`
		Operation           string `json:"operation"`
		ExternalIDFieldName string `json:"externalIdFieldName"`
		ContentType         string `json:"contentType"`
		ColumnDelimiter     string `json:"columnDelimiter"`
		LineEnding          string `json:"lineEnding"`
		AssignmentRuleID    string `json:"assignmentRuleId"`
	}
	if err := c.readJSON(&body); err != nil {
		return err
	}
	switch body.Operation {
	case "insert", "update", "upsert", "delete", "hardDelete":
	case "":
		return errInvalidJob("InvalidJob : Operation is required")
	default:
		return errInvalidJob("InvalidJob : Invalid operation: " + echo(body.Operation))
	}
	if body.Object == "" {
		return errInvalidJob("InvalidJob : Object is required")
	}
	o := c.s.schema.object(body.Object)
	if o == nil {
		return &apiError{status: 400, code: "NOT_FOUND", message: fmt.Sprintf("sObject type '%s' is not supported.", echo(body.Object)), noField: true}
	}
	if body.ContentType != "" && body.ContentType != "CSV" {
		return errInvalidJob("InvalidJob : Invalid contentType: " + echo(body.ContentType))
	}
	delim, eol, err := jobFormat(body.ColumnDelimiter, body.LineEnding)
	if err != nil {
		return err
	}
	j := &ingestJob{t: c.s.st.table(o.Name)}
	if j.assignRule, err = c.s.ingestAssignmentRule(o.Name, c.version, body.AssignmentRuleID); err != nil {
		return err
	}
	if body.Operation == "upsert" {
		if body.ExternalIDFieldName == "" {
			return errInvalidJob(fmt.Sprintf("InvalidJob : External ID was blank for %s. An External ID must be specified for upsert.", o.Name))
		}
		f := o.Field(body.ExternalIDFieldName)
		if f == nil || !(f.ExternalID || f.Name == "Id") {
			return errInvalidJob(fmt.Sprintf("InvalidJob : Field name provided, %s is not an External ID or indexed field for %s", echo(body.ExternalIDFieldName), o.Name))
		}
		j.extField = f
	}
	if body.Operation == "hardDelete" && !c.prof.modifyAll {
		return &apiError{status: 400, code: "FEATURENOTENABLED", message: "hardDelete operation requires the Bulk API Hard Delete permission", noField: true}
	}
	c.s.purgeJobs()
	now := c.s.now()
	j.jobBase = jobBase{id: c.s.jobs.newID(), operation: body.Operation, object: o.Name, createdBy: c.user.ID,
		created: now, stamp: now, state: stateOpen, apiVersion: c.version, columnDelimiter: delim, lineEnding: eol}
	c.s.jobs.mu.Lock()
	c.s.jobs.ingest[j.id] = j
	c.s.jobs.order = append(c.s.jobs.order, j.id)
	c.s.jobs.mu.Unlock()
	j.mu.Lock()
	info := j.ingestInfo(false)
	j.mu.Unlock()
	writeJSON(c.w, 200, info)
	return nil
}

func (c *call) uploadBatch(j *ingestJob) error {
	if err := c.checkJobVersion(&j.jobBase); err != nil {
		return err
	}
	if ae := c.checkMediaType("text/csv"); ae != nil {
		return ae
	}
	body, ae := c.limitBody(maxUpload)
	if ae != nil {
		return ae
	}
	data, err := readAll(body, c.r.ContentLength, maxUpload)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return errTooLarge(maxUpload)
		}
		if isTimeout(err) {
			return errBodyTimeout
		}
		return &apiError{status: 400, code: "INVALIDJOB", message: "Unable to read upload", noField: true}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state != stateOpen {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: "Job is not open for uploads: " + j.state, noField: true}
	}
	if j.uploaded {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: fmt.Sprintf("Found multiple contents for job: <%s>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.", j.id), noField: true}
	}
	j.data, j.uploaded = data, true
	c.w.WriteHeader(http.StatusCreated)
	return nil
}

func (c *call) patchIngest(j *ingestJob) error {
	var body struct {
		State string `json:"state"`
	}
	if err := c.readJSON(&body); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case body.State == stateUploadComplete && j.state == stateOpen:
		owner, ok := c.s.userByID(j.createdBy) // the job runs as the user who created it
		if !ok {
			owner = c.user
		}
		j.state = stateUploadComplete
		j.stamp = c.s.now()
		j.fail = c.s.faults.roll("bulk-fail", func(f *Faults) float64 { return f.BulkFail })
		var held chan struct{}
		if p := c.s.jobs.ingestHold.Load(); p != nil {
			held = *p
		}
		c.s.wg.Add(1)
		go c.s.processIngestJob(j, owner, held)
	case body.State == stateAborted && !terminal(j.state):
		j.state = stateAborted
		j.stamp = c.s.now()
	default:
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: fmt.Sprintf("Invalid state transition from %s to %s", j.state, echo(body.State)), noField: true}
	}
	writeJSON(c.w, 200, j.ingestInfo(false))
	return nil
}

// ingestCol is one column of an ingest CSV.
type ingestCol struct {
	f      *Field // field written
	parent *table // relationship column Rel.ExtField: the parent looked up
	pf     *Field // ... by this field
}

func (s *Server) ingestColumns(j *ingestJob, header []string) ([]ingestCol, error) {
	o := j.t.obj
	cols := make([]ingestCol, len(header))
	for i, h := range header {
		if rel, fld, ok := strings.Cut(h, "."); ok {
			rf := o.Relationship(rel)
			if rf == nil || len(rf.ReferenceTo) == 0 || s.st.table(rf.ReferenceTo[0]) == nil {
				return nil, fmt.Errorf("InvalidBatch : Field name not found : %s", h)
			}
			pt := s.st.table(rf.ReferenceTo[0])
			pf := pt.obj.Field(fld)
			if pf == nil || !(pf.ExternalID || pf.IDLookup) || pt.idx[pf.index] == nil && pf.Name != "Id" {
				return nil, fmt.Errorf("InvalidBatch : Field name not found : %s", h)
			}
			cols[i] = ingestCol{f: rf, parent: pt, pf: pf}
			continue
		}
		f := o.Field(h)
		if f == nil {
			return nil, fmt.Errorf("InvalidBatch : Field name not found : %s", h)
		}
		cols[i] = ingestCol{f: f}
	}
	return cols, nil
}

func (s *Server) processIngestJob(j *ingestJob, u *User, held chan struct{}) {
	defer s.wg.Done()
	defer s.recoverJob(&j.jobBase)
	s.waitHold()
	if held != nil {
		select {
		case <-held:
		case <-s.ctx.Done():
		}
	}
	start := time.Now()
	j.mu.Lock()
	if j.state != stateUploadComplete {
		j.mu.Unlock()
		return
	}
	j.state = stateInProgress
	data := j.data
	j.mu.Unlock()

	fail := func(msg string, rows [][]string) {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.state, j.errorMessage, j.unprocessed = stateFailed, msg, rows
		j.stamp = s.now()
		j.data = nil // rows, when there are any, are the unprocessed records
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.Comma = delimiters[j.columnDelimiter]
	recs, err := cr.ReadAll()
	if err != nil {
		fail("InvalidBatch : Failed to parse CSV: "+err.Error(), nil)
		return
	}
	if len(recs) == 0 {
		fail("InvalidBatch : No content found in the upload", nil)
		return
	}
	header, rows := recs[0], recs[1:]
	j.mu.Lock()
	j.header = header
	j.mu.Unlock()
	cols, err := s.ingestColumns(j, header)
	if err != nil {
		fail(err.Error(), rows)
		return
	}
	idCol, extCol := -1, -1
	for i, c := range cols {
		if c.parent == nil && c.f.Name == "Id" {
			idCol = i
		}
		if j.extField != nil && c.parent == nil && c.f == j.extField {
			extCol = i
		}
	}
	switch j.operation {
	case "update", "delete", "hardDelete":
		if idCol < 0 {
			fail("InvalidBatch : Field name not found : Id", rows)
			return
		}
	case "upsert":
		if extCol < 0 {
			fail("InvalidBatch : Field name not found : "+j.extField.Name, rows)
			return
		}
	}
	const chunk = 200
	failAt := -1
	if j.fail {
		failAt = len(rows) / 2 / chunk * chunk
	}
	for p := 0; p < len(rows); p += chunk {
		batch := rows[p:min(p+chunk, len(rows))]
		j.mu.Lock()
		aborted := j.state == stateAborted
		if aborted {
			j.unprocessed = append(j.unprocessed, rows[p:]...)
		}
		if !aborted && p == failAt {
			j.state, j.stamp = stateFailed, s.now()
			j.errorMessage = "InternalServerError : Failed to process the job: UNKNOWN_EXCEPTION: An unexpected error occurred. Please include this ErrorId if you contact support: 1964312707-83474 (-1261542393)"
			j.unprocessed = append(j.unprocessed, rows[p:]...)
			j.processingMs = time.Since(start).Milliseconds()
			j.data = nil
			aborted = true
		}
		j.mu.Unlock()
		if aborted {
			return
		}
		locked := s.faults.roll("lock", func(f *Faults) float64 { return f.Lock })
		var ok, bad [][]string
		func() {
			s.st.mu.Lock()
			defer s.st.mu.Unlock()
			ok, bad = s.ingestChunk(j, u, cols, batch, idCol, extCol, locked)
		}()
		j.mu.Lock()
		j.success = append(j.success, ok...)
		j.failures = append(j.failures, bad...)
		j.processed += len(batch)
		j.failed += len(bad)
		j.mu.Unlock()
	}
	j.mu.Lock()
	if j.state == stateInProgress {
		j.state = stateJobComplete
	}
	j.stamp = s.now()
	j.processingMs = time.Since(start).Milliseconds()
	j.data = nil
	j.mu.Unlock()
}

// ingestChunk applies up to 200 rows; store write lock held.
func (s *Server) ingestChunk(j *ingestJob, u *User, cols []ingestCol, batch [][]string, idCol, extCol int, locked bool) (ok, bad [][]string) {
	w := s.newWriteCtx(u)
	w.prefix = "/services/data/v" + j.apiVersion
	w.assignCreate, w.assignUpdate = j.assignRule != "", j.assignRule != ""
	for _, row := range batch {
		if locked {
			id := ""
			if idCol >= 0 {
				id = row[idCol]
			}
			bad = append(bad, append([]string{id, errLockRow(id).bulkString()}, row...))
			continue
		}
		id, created, de := s.ingestRow(w, j, cols, row, idCol, extCol)
		if de != nil {
			if j.operation == "insert" {
				id = ""
			}
			bad = append(bad, append([]string{id, de.bulkString()}, row...))
			continue
		}
		ok = append(ok, append([]string{id, strconv.FormatBool(created)}, row...))
	}
	return ok, bad
}

// ingestRow applies one CSV row; store write lock held.
func (s *Server) ingestRow(w *writeCtx, j *ingestJob, cols []ingestCol, row []string, idCol, extCol int) (string, bool, *dmlError) {
	t := j.t
	if len(row) != len(cols) {
		return "", false, &dmlError{code: "INVALID_FIELD", msg: "Number of values does not match the header"}
	}
	id := ""
	if idCol >= 0 {
		id = row[idCol]
	}
	if j.operation == "delete" || j.operation == "hardDelete" {
		r, ok := t.find(id)
		if !ok || t.rows[r] == "" {
			return id, false, &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
		}
		if de := w.remove(t, r); de != nil {
			return id, false, de
		}
		rid := rowValue(t.rows[r], 0)
		if j.operation == "hardDelete" {
			t.rows[r] = ""
			delete(t.byID, rid)
		}
		return rid, false, nil
	}
	in := make([]input, 0, len(cols))
	for i, c := range cols {
		v := row[i]
		if i == idCol {
			continue
		}
		if v == "" {
			continue // unchanged on update; no value on insert
		}
		if v == "#N/A" {
			in = append(in, input{f: c.f, null: true})
			continue
		}
		if c.parent != nil {
			var rows []int32
			if c.pf.Name == "Id" {
				if r, ok := c.parent.find(v); ok && c.parent.visible(r, false) {
					rows = []int32{r}
				}
			} else {
				rows = c.parent.idx[c.pf.index].lookup(v, nil)
			}
			if len(rows) != 1 {
				return id, false, &dmlError{code: "INVALID_FIELD", msg: fmt.Sprintf("Foreign key external ID: %s not found for field %s in entity %s", echo(v), c.pf.Name, c.parent.obj.Name)}
			}
			in = append(in, input{f: c.f, val: rowValue(c.parent.rows[rows[0]], 0)})
			continue
		}
		val, null, de := canon(c.f, v)
		if de != nil {
			return id, false, de
		}
		in = append(in, input{f: c.f, val: val, null: null})
	}
	switch j.operation {
	case "insert":
		if id != "" {
			return "", false, &dmlError{code: "INVALID_FIELD", msg: "cannot specify Id in an insert call", fields: []string{"Id"}}
		}
		nid, de := w.create(t, in)
		return nid, true, de
	case "update":
		r, ok := t.find(id)
		if !ok || t.rows[r] == "" || !strings.HasPrefix(id, t.obj.KeyPrefix) {
			if !sfid.Valid(id) {
				return id, false, &dmlError{code: "MALFORMED_ID", msg: "Record ID: id value of incorrect type: " + echo(id), fields: []string{"Id"}}
			}
			return id, false, &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
		}
		rid := rowValue(t.rows[r], 0)
		return rid, false, w.update(t, r, in)
	case "upsert":
		val := row[extCol]
		if val == "" {
			return "", false, &dmlError{code: "MISSING_ARGUMENT", msg: j.extField.Name + " not specified", fields: []string{j.extField.Name}}
		}
		rows := matchExternal(t, j.extField, val)
		switch len(rows) {
		case 0:
			if j.extField.Name == "Id" {
				return "", false, &dmlError{code: "INVALID_CROSS_REFERENCE_KEY", msg: "invalid cross reference id"}
			}
			nid, de := w.create(t, in)
			return nid, true, de
		case 1:
			rid := rowValue(t.rows[rows[0]], 0)
			return rid, false, w.update(t, rows[0], withoutField(in, j.extField))
		}
		return "", false, &dmlError{code: "DUPLICATE_EXTERNAL_ID", msg: fmt.Sprintf("%s: more than one record found for external id field", j.extField.Label), fields: []string{j.extField.Name}}
	}
	return "", false, &dmlError{code: "INVALID_OPERATION", msg: "unsupported operation " + j.operation}
}

func (c *call) ingestResults(j *ingestJob, which string) error {
	if err := c.checkJobVersion(&j.jobBase); err != nil {
		return err
	}
	j.mu.Lock()
	state := j.state
	header := j.header
	var rows [][]string
	var lead []string
	switch which {
	case "successfulResults":
		rows, lead = j.success, []string{"sf__Id", "sf__Created"}
	case "failedResults":
		rows, lead = j.failures, []string{"sf__Id", "sf__Error"}
	default:
		rows = j.unprocessed
		if state == stateAborted && j.processed == 0 && j.uploaded && len(j.data) > 0 && rows == nil {
			if recs, err := csv.NewReader(bytes.NewReader(j.data)).ReadAll(); err == nil && len(recs) > 0 {
				header, rows = recs[0], recs[1:]
			}
		}
	}
	j.mu.Unlock()
	if !terminal(state) {
		return &apiError{status: 400, code: "INVALIDJOBSTATE", message: "Results are not available for a job in state " + state, noField: true}
	}
	c.w.Header().Set("Content-Type", "text/csv")
	c.w.WriteHeader(http.StatusOK)
	out := newCSVOut(c.w, j.columnDelimiter, j.lineEnding)
	i := 0
	for _, h := range lead {
		out.sep(i)
		out.quoted(h)
		i++
	}
	for _, h := range header {
		out.sep(i)
		out.plain(h)
		i++
	}
	if i > 0 {
		out.end()
	}
	for _, r := range rows {
		for k, v := range r {
			out.sep(k)
			out.quoted(v)
		}
		out.end()
	}
	return out.w.Flush()
}
