package jsonrpcerr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secret is a string that must never appear in a response.
const secret = "postgres://admin:hunter2@db"

// messageLike is an error whose text looks like an auth failure: the
// classifier must not be fooled by words such as "Token" or "Unauthorized".
type messageLike struct{}

func (messageLike) Error() string { return "Unauthorized: Invalid JWT Token " + secret }

func TestWrite(t *testing.T) {
	c := &Challenge{Realm: "mcp", ResourceMetadata: "https://m.example/.well-known/oauth-protected-resource", Scopes: []string{"read"}}
	tests := []struct {
		name       string
		err        error
		status     int
		code       int
		message    string
		challenge  bool
		retryAfter string
		dataError  string
	}{
		{"unauthenticated", authresult.InvalidToken("token expired", errors.New(secret)), 401, CodeUnauthorized, "token expired", true, "", "invalid_token"},
		{"no credentials", authresult.NoCredentials(), 401, CodeUnauthorized, "authentication required", true, "", ""},
		{"wrapped unauthenticated", fmt.Errorf("layer: %w", authresult.InvalidToken("bad", nil)), 401, CodeUnauthorized, "bad", true, "", "invalid_token"},
		{"sentinel", authresult.ErrUnauthenticated, 401, CodeUnauthorized, "authentication required", true, "", ""},
		{"insufficient scope", authresult.InsufficientScope("needs admin", "admin"), 403, CodeForbidden, "needs admin", true, "", "insufficient_scope"},
		{"forbidden", authresult.Forbidden("not yours", errors.New(secret)), 403, CodeForbidden, "not yours", false, "", ""},
		{"invalid request", authresult.InvalidRequest("token in query", nil), 400, CodeInvalidRequest, "token in query", true, "", "invalid_request"},
		{"unavailable default retry", authresult.Unavailable("keys down", 0, errors.New(secret)), 503, CodeInternalError, "keys down", false, "5", "temporarily_unavailable"},
		{"unavailable rounds up", authresult.Unavailable("keys down", 1500*time.Millisecond, nil), 503, CodeInternalError, "keys down", false, "2", "temporarily_unavailable"},
		{"joined", errors.Join(errors.New(secret), authresult.Unavailable("x", time.Minute, nil)), 503, CodeInternalError, "x", false, "60", "temporarily_unavailable"},
		{"plain error is 500", errors.New(secret), 500, CodeInternalError, "internal error", false, "", ""},
		{"auth-looking message is still 500", messageLike{}, 500, CodeInternalError, "internal error", false, "", ""},
		{"context canceled is 500 unless normalised", context.Canceled, 500, CodeInternalError, "internal error", false, "", ""},
		{"nil error fails closed", nil, 500, CodeInternalError, "internal error", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Length", "999")
			Write(rec, json.RawMessage(`"req-1"`), tt.err, c)
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, tt.status, Status(tt.err))
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Empty(t, rec.Header().Get("Content-Length"))
			assert.Equal(t, tt.challenge, rec.Header().Get("WWW-Authenticate") != "")
			assert.Equal(t, tt.retryAfter, rec.Header().Get("Retry-After"))
			assert.NotContains(t, rec.Body.String(), "hunter2")
			assert.NotContains(t, rec.Header().Get("WWW-Authenticate"), "hunter2")

			var resp struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   struct {
					Code    int            `json:"code"`
					Message string         `json:"message"`
					Data    map[string]any `json:"data"`
				} `json:"error"`
				Result json.RawMessage `json:"result"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
			assert.Equal(t, "2.0", resp.JSONRPC)
			assert.Equal(t, `"req-1"`, string(resp.ID))
			assert.Equal(t, tt.code, resp.Error.Code)
			assert.Equal(t, tt.message, resp.Error.Message)
			assert.Nil(t, resp.Result)
			if tt.dataError != "" {
				assert.Equal(t, tt.dataError, resp.Error.Data["error"])
			} else {
				assert.Nil(t, resp.Error.Data["error"])
			}
			if tt.status == 401 || tt.status == 403 {
				assert.Equal(t, c.ResourceMetadata, resp.Error.Data["resource_metadata"])
			}
		})
	}
}

func TestWriteDataMirrorsChallenge(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, nil, authresult.InsufficientScope("step up", "a", "b"), &Challenge{ResourceMetadata: "https://m/x"})
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"step up",
		"data":{"error":"insufficient_scope","error_description":"step up","scope":"a b","resource_metadata":"https://m/x"}}}`,
		rec.Body.String())
	assert.Equal(t, `Bearer error="insufficient_scope", error_description="step up", scope="a b", resource_metadata="https://m/x"`,
		rec.Header().Get("WWW-Authenticate"))
}

func TestWriteInvalidIDFallsBackToNull(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, json.RawMessage(`{bad`), authresult.NoCredentials(), nil)
	assert.Equal(t, 401, rec.Code)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"authentication required"}}`, rec.Body.String())
}

func TestWriteCode(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteCode(rec, http.StatusBadRequest, nil, CodeParseError, "parse error")
	assert.Equal(t, 400, rec.Code)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`, rec.Body.String())
}

func TestCode(t *testing.T) {
	assert.Equal(t, CodeInternalError, Code(0))
	assert.Equal(t, CodeInternalError, Code(authresult.KindUnavailable))
}

// TestWriteSharesNoHeaderValues: a layer that changes or appends to a
// header of one error response changes no other response.
func TestWriteSharesNoHeaderValues(t *testing.T) {
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	WriteCode(a, 400, nil, CodeInvalidRequest, "x")
	a.Header()["Content-Type"][0] = "text/html"
	a.Header()["Cache-Control"] = append(a.Header()["Cache-Control"], "public")
	a.Header().Add("X-Content-Type-Options", "other")
	WriteCode(b, 400, nil, CodeInvalidRequest, "x")
	assert.Equal(t, []string{"application/json"}, b.Header()["Content-Type"])
	assert.Equal(t, []string{"no-store"}, b.Header()["Cache-Control"])
	assert.Equal(t, []string{"nosniff"}, b.Header()["X-Content-Type-Options"])
	c := httptest.NewRecorder()
	WriteCode(c, 400, nil, CodeInvalidRequest, "x")
	c.Header()["Content-Type"] = append(c.Header()["Content-Type"], "y")
	assert.Equal(t, []string{"no-store"}, c.Header()["Cache-Control"], "an append does not spill into the next value")
}
