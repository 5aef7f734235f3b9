package sfsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"time"
)

// Request body limits. Salesforce takes at most 50 MB of text in a REST
// request that is not multipart (REST API guide, "Insert or Update Blob
// Data"), and a Bulk 2.0 upload of at most 150 MB once it has turned it
// into base64 (salesforce-api.md §2), that is 112.5 MB of CSV.
const (
	maxJSONBody     = 50_000_000
	maxUploadBase64 = 150_000_000
	maxUpload       = maxUploadBase64 / 4 * 3
)

// A request body must keep arriving: after bodyReadGrace from its first
// read it must have come at minBodyRate on average, or the read fails and
// the request is answered 408. A 112.5 MB upload may take up to half an
// hour; a client that sends a few bytes and stalls holds the connection
// for 30 seconds, not forever. (Variables so tests can shorten them.)
var (
	bodyReadGrace       = 30 * time.Second
	minBodyRate   int64 = 64 << 10 // bytes per second
)

// deadlineBody sets the connection's read deadline before each read of a
// request body from how much has arrived, and clears it at the end of the
// body (net/http then watches the idle connection itself: a deadline left
// behind would cancel the request while it is answered).
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	n     int64
	done  bool // EOF seen, or deadlines are not supported
}

// withDeadlineBody returns r, or when it has a body a shallow copy of r
// whose body is read under the deadlines above; call finish on the
// deadlineBody when the handler returns. The copy leaves net/http's own
// request as it was: net/http decides from the type of its body how much
// of an unread body to discard before it answers.
func withDeadlineBody(w http.ResponseWriter, r *http.Request) (*http.Request, *deadlineBody) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, nil
	}
	b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w)}
	// Until the handler reads: net/http may read an unread body itself
	// (up to 256 KB, when the answer is written) and must not wait forever.
	if b.rc.SetReadDeadline(time.Now().Add(bodyReadGrace)) != nil {
		b.done = true
	}
	r = r.WithContext(r.Context())
	r.Body = b
	return r, b
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if !b.done {
		if b.start.IsZero() {
			b.start = time.Now()
		}
		allowed := bodyReadGrace + time.Duration(b.n)*time.Second/time.Duration(minBodyRate)
		if err := b.rc.SetReadDeadline(b.start.Add(allowed)); err != nil {
			b.done = true // not a net/http server connection (a test recorder)
		}
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// finish bounds what net/http reads of a body the handler left unread
// (it discards up to 256 KB before it reuses the connection) once the
// handler is done.
func (b *deadlineBody) finish() {
	if b != nil && !b.done {
		_ = b.rc.SetReadDeadline(time.Now().Add(bodyReadGrace))
	}
}

// errBodyTimeout answers a body that stopped arriving (the message is the
// simulator's).
var errBodyTimeout = &apiError{status: http.StatusRequestTimeout, code: "REQUEST_TIMEOUT",
	message: "The request body was not received in time", noField: true}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// errTooLarge answers a body over limit: 413, and the connection is closed
// after the answer, so the rest of the body is never read.
func errTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "EXCEEDED_MAX_SIZE_REQUEST",
		message: fmt.Sprintf("The request body exceeds the maximum size of %d bytes", limit), noField: true}
}

// limitBody returns the request body capped at limit, or a 413 at once when
// the declared Content-Length is over it.
func (c *call) limitBody(limit int64) (io.Reader, *apiError) {
	if c.r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	return http.MaxBytesReader(c.w, c.r.Body, limit), nil
}

// checkMediaType refuses a body whose Content-Type is not want (parameters
// such as charset aside) with Salesforce's 415 UNSUPPORTED_MEDIA_TYPE
// "MediaType of 'text/plain' is not supported by this resource". A body
// without a Content-Type is taken as want (a simulator leniency).
func (c *call) checkMediaType(want string) *apiError {
	ct := c.r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil || errors.Is(err, mime.ErrInvalidMediaParameter) {
		if mt == want {
			return nil
		}
		ct = mt
	}
	return &apiError{status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
		message: "MediaType of '" + echo(ct) + "' is not supported by this resource", noField: true}
}

// readJSON decodes a JSON request body into v, answering JSON_PARSER_ERROR.
// It decodes straight from the connection, so a large body is held once,
// by the decoder, and nothing of it outlives the request. A body over 50 MB
// is refused whole (413), never cut short and parsed; one that is not
// application/json gets 415.
func (c *call) readJSON(v any) error {
	if ae := c.checkMediaType("application/json"); ae != nil {
		return ae
	}
	body, ae := c.limitBody(maxJSONBody)
	if ae != nil {
		return ae
	}
	dec := json.NewDecoder(body)
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		// What follows the value is ignored, but counts towards the limit.
		_, err = io.Copy(io.Discard, body)
		if err == nil {
			return nil
		}
	}
	var mb *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mb):
		return errTooLarge(maxJSONBody)
	case isTimeout(err):
		return errBodyTimeout
	case errors.Is(err, io.EOF):
		return &apiError{status: 400, code: "JSON_PARSER_ERROR", message: "The request body is empty.", noField: true}
	case errors.As(err, &se), errors.As(err, &te), errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{status: 400, code: "JSON_PARSER_ERROR", message: "Unexpected character or malformed JSON: " + err.Error(), noField: true}
	}
	return errBadRequest("JSON_PARSER_ERROR", "Unable to read request body")
}

// readAll reads r into one buffer sized by the declared length when there
// is one (up to limit), instead of growing it by doubling, which holds up
// to twice the body at the end of a large upload.
func readAll(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared <= 0 || declared > limit {
		return io.ReadAll(r)
	}
	buf := make([]byte, 0, declared+1) // +1: io.ReadAll-style EOF check without growing
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			// More than declared: net/http does not let that happen, but
			// finish like io.ReadAll would.
			rest, err := io.ReadAll(r)
			return append(buf, rest...), err
		}
	}
}
