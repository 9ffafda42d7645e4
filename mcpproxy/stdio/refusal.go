package stdio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/mcpauth/mcpauth/jsonrpcerr"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// The bridge's refusals, each decided before anything is written and
// answered with its own status and a JSON-RPC error echoing the request's
// id. Match them with errors.Is in logs and tests.
var (
	// ErrNotGuarded: the request did not pass an mcphandler guard (a
	// wiring error); 500, nothing reaches a child.
	ErrNotGuarded = errors.New("stdio: request did not pass a guard")
	// ErrSessionNotFound: the session is unknown, ended, or another
	// principal's (they look the same); 404.
	ErrSessionNotFound = errors.New("stdio: session not found")
	// ErrSessionRequired: a GET or DELETE outside a session; 400.
	ErrSessionRequired = errors.New("stdio: Mcp-Session-Id required")
	// ErrTooManyChildren: MaxChildren are running; 503 with Retry-After.
	ErrTooManyChildren = errors.New("stdio: too many children running")
	// ErrTooManyForPrincipal: the principal has MaxPerPrincipal children;
	// 429.
	ErrTooManyForPrincipal = errors.New("stdio: too many sessions for this principal")
	// ErrStart: the command could not be started or initialized; 502.
	ErrStart = errors.New("stdio: the server could not be started")
	// ErrChildExited: the child ended before it answered; 502.
	ErrChildExited = errors.New("stdio: the server ended")
	// ErrTimeout: the child did not answer within CallTimeout; 504.
	ErrTimeout = errors.New("stdio: the server did not answer in time")
	// ErrBatch: a JSON-RPC batch, which this bridge does not split; 400.
	ErrBatch = errors.New("stdio: JSON-RPC batches are not supported")
	// ErrStreamOpen: a second GET stream for one session; 409.
	ErrStreamOpen = errors.New("stdio: the session's stream is already open")
	// ErrMethod: a method other than POST, GET and DELETE, or GET and
	// DELETE on a revision without sessions; 405.
	ErrMethod = errors.New("stdio: method not allowed")
	// ErrClosed: the bridge is shutting down; 503.
	ErrClosed = errors.New("stdio: shutting down")
)

// retryAfter is the Retry-After of a refusal for lack of room.
const retryAfter = 5

// answer is how a refusal is written: status, JSON-RPC code, client-safe
// message.
type answer struct {
	status int
	code   int
	msg    string
}

var answers = map[error]answer{
	ErrNotGuarded:          {http.StatusInternalServerError, -32603, "Internal error"},
	ErrSessionNotFound:     {http.StatusNotFound, mcphandler.CodeSessionNotFound, "Session not found"},
	ErrSessionRequired:     {http.StatusBadRequest, -32600, "Bad Request: Mcp-Session-Id header is required"},
	ErrTooManyChildren:     {http.StatusServiceUnavailable, -32603, "Server busy: too many sessions"},
	ErrTooManyForPrincipal: {http.StatusTooManyRequests, -32603, "Too many sessions for this user"},
	ErrStart:               {http.StatusBadGateway, -32603, "Upstream server could not be started"},
	ErrChildExited:         {http.StatusBadGateway, -32603, "Upstream server ended"},
	ErrTimeout:             {http.StatusGatewayTimeout, -32603, "Upstream server did not answer in time"},
	ErrBatch:               {http.StatusBadRequest, -32600, "JSON-RPC batches are not supported"},
	ErrStreamOpen:          {http.StatusConflict, -32600, "Stream already open for this session"},
	ErrMethod:              {http.StatusMethodNotAllowed, -32600, "Method not allowed"},
	ErrClosed:              {http.StatusServiceUnavailable, -32603, "Server shutting down"},
}

// refuse writes the answer of err, one of the Err values above, with id
// echoed (nil: null).
func refuse(w http.ResponseWriter, id json.RawMessage, err error) {
	a, ok := answers[err]
	if !ok {
		a = answers[ErrNotGuarded]
	}
	switch err {
	case ErrTooManyChildren, ErrClosed:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	case ErrMethod:
		w.Header().Set("Allow", "GET, POST, DELETE")
	}
	jsonrpcerr.WriteCode(w, a.status, id, a.code, a.msg)
}
