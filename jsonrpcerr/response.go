package jsonrpcerr

import (
	"encoding/json"

	"github.com/mcpauth/mcpauth/authresult"
)

// JSON-RPC 2.0 error codes: the standard ones and the two MCP clients see
// for authentication failures.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	// CodeUnauthorized is sent with HTTP 401.
	CodeUnauthorized = -32000
	// CodeForbidden is sent with HTTP 403.
	CodeForbidden = -32001
)

// Response is a JSON-RPC 2.0 error response.
type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   Object          `json:"error"`
}

// Object is the error member of a [Response].
type Object struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    *Data  `json:"data,omitempty"`
}

// Data repeats the OAuth parts of the WWW-Authenticate challenge in the body.
type Data struct {
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
	Scope            string `json:"scope,omitempty"`
	ResourceMetadata string `json:"resource_metadata,omitempty"`
}

var null = json.RawMessage("null")

// NewResponse returns the response for a JSON-RPC error with the given id.
// A nil or empty id becomes null.
func NewResponse(id json.RawMessage, code int, message string) *Response {
	if len(id) == 0 {
		id = null
	}
	return &Response{JSONRPC: "2.0", ID: id, Error: Object{Code: code, Message: message}}
}

// Code returns the JSON-RPC error code for an authentication outcome kind.
func Code(k authresult.Kind) int {
	switch k {
	case authresult.KindUnauthenticated:
		return CodeUnauthorized
	case authresult.KindForbidden:
		return CodeForbidden
	case authresult.KindInvalidRequest:
		return CodeInvalidRequest
	default:
		return CodeInternalError
	}
}

// Status returns the HTTP status for err, decided by its type alone: the
// status of the first [*authresult.Error] in its tree, or 500 (also for a
// nil err).
func Status(err error) int {
	return authresult.As(err).Status()
}
