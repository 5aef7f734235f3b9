package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes, as Salesforce puts them in the errorCode member of a REST
// error or the errorMessage of a failed Bulk 2.0 job.
const (
	CodeMalformedQuery       = "MALFORMED_QUERY"
	CodeInvalidField         = "INVALID_FIELD"
	CodeInvalidType          = "INVALID_TYPE"
	CodeInvalidFilterOp      = "INVALID_QUERY_FILTER_OPERATOR"
	CodeNumberOutsideRange   = "NUMBER_OUTSIDE_VALID_RANGE"
	CodeQueryTooComplicated  = "QUERY_TOO_COMPLICATED"
	maxMessageWindow         = 160 // runes of the offending row shown above the caret
	customFieldHint          = " If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	customObjectHint         = " If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
	customRelationshipHint   = " If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
	maxOffset                = 2000
	maxLimit                 = 1<<31 - 1
	unsupportedFeaturePrefix = "unsupported SOQL feature: "
)

// Error is a SOQL parse or resolution error in Salesforce's shape. Message is
// what Salesforce sends in the "message" member: for errors tied to a place in
// the query, the offending row of the query, a caret line under the column,
// "ERROR at Row:R:Column:C" and then Detail, each on its own line (the message
// starts with a newline, as Salesforce's does). Row and Column are 1-based and
// zero when the error has no position (Message is then Detail alone).
type Error struct {
	Code    string
	Message string
	Detail  string
	Row     int
	Column  int
}

func (e *Error) Error() string {
	if e.Row == 0 {
		return "soql: " + e.Code + ": " + e.Detail
	}
	return "soql: " + e.Code + " at row " + strconv.Itoa(e.Row) + " column " + strconv.Itoa(e.Column) + ": " + e.Detail
}

// errAt builds an Error for the byte offset pos of src; pos < 0 gives an
// error without position.
func errAt(src string, pos int, code, detail string) *Error {
	if pos < 0 {
		return &Error{Code: code, Message: detail, Detail: detail}
	}
	if pos > len(src) {
		pos = len(src)
	}
	row, line, lineStart := 1, src, 0
	for i := 0; i < pos; i++ {
		if src[i] == '\n' {
			row++
			lineStart = i + 1
		}
	}
	line = src[lineStart:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	line = strings.TrimRight(line, "\r")
	col := utf8.RuneCountInString(src[lineStart:pos]) + 1

	// Show at most maxMessageWindow runes of a long row, around the column.
	runes := []rune(line)
	start := 0
	if len(runes) > maxMessageWindow {
		start = col - 1 - maxMessageWindow/2
		if start < 0 {
			start = 0
		}
		if start > len(runes)-maxMessageWindow {
			start = len(runes) - maxMessageWindow
		}
		runes = runes[start : start+maxMessageWindow]
	}
	var b strings.Builder
	b.WriteByte('\n')
	b.WriteString(string(runes))
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", col-1-start))
	b.WriteString("^\nERROR at Row:")
	b.WriteString(strconv.Itoa(row))
	b.WriteString(":Column:")
	b.WriteString(strconv.Itoa(col))
	b.WriteByte('\n')
	b.WriteString(detail)
	return &Error{Code: code, Message: b.String(), Detail: detail, Row: row, Column: col}
}

func unexpectedToken(src string, t token) *Error {
	text := t.raw
	if t.kind == tokEOF {
		text = "<EOF>"
	}
	return errAt(src, t.pos, CodeMalformedQuery, "unexpected token: '"+text+"'")
}

func unsupported(src string, pos int, what string) *Error {
	return errAt(src, pos, CodeMalformedQuery, unsupportedFeaturePrefix+what)
}

func noSuchColumn(src string, pos int, name, object string) *Error {
	return errAt(src, pos, CodeInvalidField, "No such column '"+name+"' on entity '"+object+"'."+customFieldHint)
}

func badRelationship(src string, pos int, name string) *Error {
	return errAt(src, pos, CodeInvalidField, "Didn't understand relationship '"+name+"' in field path."+customRelationshipHint)
}

func unknownObject(src string, pos int, name string) *Error {
	return errAt(src, pos, CodeInvalidType, "sObject type '"+name+"' is not supported."+customObjectHint)
}
