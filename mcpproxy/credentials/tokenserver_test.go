package credentials

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer is a local token endpoint that speaks the client
// credentials grant and RFC 8693 token exchange, and records what it was
// sent.
type tokenServer struct {
	*httptest.Server
	calls atomic.Int32
	// gate, if set, holds every request until it is closed.
	gate chan struct{}

	mu       sync.Mutex
	status   int    // answer this status with error errCode instead
	errCode  string // RFC 6749 error code of a refusal
	tokType  string // token_type answered; default Bearer
	expires  any    // expires_in answered; default 3600; "omit": none
	forms    []map[string]string
	basicIDs []string
}

const (
	clientID     = "gateway"
	clientSecret = "s3cret-of-the-gateway"
)

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) set(f func(ts *tokenServer)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	f(ts)
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.calls.Add(1)
	if ts.gate != nil {
		<-ts.gate
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	id, secret, basic := r.BasicAuth()
	ts.mu.Lock()
	ts.forms = append(ts.forms, form)
	if basic {
		ts.basicIDs = append(ts.basicIDs, id)
	}
	status, code, tokType, expires := ts.status, ts.errCode, ts.tokType, ts.expires
	ts.mu.Unlock()
	if !basic {
		id, secret = form["client_id"], form["client_secret"]
	}
	w.Header().Set("Content-Type", "application/json")
	if id != clientID || secret != clientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
		return
	}
	if tokType == "" {
		tokType = "Bearer"
	}
	if expires == nil {
		expires = 3600
	}
	var tok string
	switch form["grant_type"] {
	case "client_credentials":
		tok = "cc-" + time.Now().Format("150405.000000000")
	case GrantTypeTokenExchange:
		tok = exchanged(form["subject_token"], form["resource"])
	default:
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "unsupported_grant_type"})
		return
	}
	body := map[string]any{"access_token": tok, "token_type": tokType, "expires_in": expires,
		"issued_token_type": TokenTypeAccessToken}
	if expires == "omit" {
		delete(body, "expires_in")
	}
	_ = json.NewEncoder(w).Encode(body)
}

// exchanged is the token the server issues for subject and resource.
func exchanged(subject, resource string) string {
	return "x-" + subject + "-for-" + base64.RawURLEncoding.EncodeToString([]byte(resource))
}

// lastForm returns the last form the server was sent.
func (ts *tokenServer) lastForm() map[string]string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.forms) == 0 {
		return nil
	}
	return ts.forms[len(ts.forms)-1]
}
