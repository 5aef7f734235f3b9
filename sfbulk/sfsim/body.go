package sfsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// readJSON decodes a JSON request body into v, answering JSON_PARSER_ERROR.
// It decodes straight from the connection, so a large body is held once,
// by the decoder, and nothing of it outlives the request. A body over 50 MB
// is refused whole (413), never cut short and parsed.
func (c *call) readJSON(v any) error {
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
