package mcpauthtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Citations of the rules the checks hold a server to.
const (
	ruleMCPAuth      = "MCP 2025-11-25 Authorization"
	ruleMCPTransport = "MCP 2025-11-25 Transports, Streamable HTTP"
	ruleRFC6750      = "RFC 6750"
	ruleRFC9728      = "RFC 9728"
	ruleRFC8707      = "RFC 8707"
)

// checks are the checks for t, in the order they run. The first is the
// baseline: when the valid token does not work, the others are skipped.
func checks(t *Target) []check {
	cs := []check{
		{
			name: "valid-token/works", rule: "the Target's Token is valid",
			expected: "200 to initialize and to " + useName(t),
			why:      "every other check compares a refusal with this success",
			needs:    always, run: validTokenWorks,
		},
		{
			name: "no-token/challenge", rule: ruleMCPAuth + " §Authorization Server Location; " + ruleRFC9728 + " §5.1; " + ruleRFC6750 + " §3",
			expected: "401 with a Bearer challenge carrying resource_metadata, no session id, no result",
			why:      "a client without a token must learn where to get one, and get nothing else",
			needs:    always, run: noTokenChallenge,
		},
		{
			name: "no-token/metadata", rule: ruleRFC9728 + " §3.1, §3.3; " + ruleMCPAuth + " §Protected Resource Metadata Discovery",
			expected: "the metadata at the path-inserted well-known URL, naming this resource and at least one authorization server",
			why:      "a client sends its token only to the resource the metadata names, and asks only the authorization servers it lists",
			needs:    always, run: metadataDocument,
		},
	}
	bad := []struct {
		label, token, rule, why string
	}{
		{"invalid", "mcpauth-check-not-a-token", ruleRFC6750 + " §3.1", "a malformed token must be worth nothing"},
		{"forged", forged(t.Token), ruleRFC6750 + " §3.1", "a token whose signature was altered must be worth nothing"},
		{"expired", t.ExpiredToken, ruleMCPAuth + " §Token Handling; " + ruleRFC6750 + " §3.1", "a stolen token must stop working when it expires"},
		{"other-audience", t.OtherAudienceToken, ruleMCPAuth + " §Token Audience Binding and Validation; " + ruleRFC8707 + " §2", "a token issued for another server must not be replayable here (the confused deputy)"},
	}
	for _, b := range t.BadTokens {
		bad = append(bad, struct{ label, token, rule, why string }{label(b.Label), b.Token, ruleRFC6750 + " §3.1", "the Target says this token must be refused"})
	}
	for _, b := range bad {
		token := b.token
		cs = append(cs, check{
			name: "bad-token/" + b.label, rule: b.rule,
			expected: "401 with error=\"invalid_token\" to initialize, no session id; a call without a session refused; 401 to POST, GET and DELETE of the owner's session with it, which still works; no result",
			why:      b.why,
			needs:    func(*Target) string { return emptyIs(token, "no "+b.label+" token given") },
			run:      func(p *probe) (string, bool, string) { return badTokenRefused(p, token) },
		})
	}
	cs = append(cs,
		check{
			name: "session/without-token", rule: ruleMCPAuth + " §Access Token Usage; " + ruleMCPTransport + " §Session Management",
			expected: "401 to POST, GET and DELETE of the owner's session id without a token; the owner's session still works",
			why:      "a session id is not a credential: one seen in a log or a URL must not act as the user",
			needs:    always, run: func(p *probe) (string, bool, string) { return sessionRefused(p, "") },
		},
		check{
			name: "session/other-user", rule: ruleMCPTransport + " §Session Management (sessions bound to the user); " + ruleMCPAuth + " §Access Token Usage",
			expected: "4xx to POST, GET and DELETE of the owner's session id with another user's token; the owner's session still works",
			why:      "another user holding a session id must not read, drive or end the owner's session",
			needs:    needsField(func(t *Target) string { return t.OtherUserToken }, "OtherUserToken"),
			run:      func(p *probe) (string, bool, string) { return sessionRefused(p, p.t.OtherUserToken) },
		},
		check{
			name: "token/in-query", rule: ruleMCPAuth + " §Access Token Usage (never in the query string); " + ruleRFC6750 + " §2.3",
			expected: "a call, an initialize and a session's GET with ?access_token= and no Authorization header refused, no result",
			why:      "tokens in URLs end up in logs, browser history and Referer headers",
			needs:    always, run: queryTokenRefused,
		},
		check{
			name: "token/two-authorization-headers", rule: ruleRFC6750 + " §3.1 (invalid_request); RFC 9110 §11.6.2",
			expected: "400",
			why:      "two credentials in one request let a proxy and the server disagree on who is calling",
			needs:    always, run: twoHeadersRefused,
		},
		check{
			name: "scope/insufficient", rule: ruleMCPAuth + " §Scope Challenge Handling; " + ruleRFC6750 + " §3.1",
			expected: "403 with error=\"insufficient_scope\" and the scope needed, no result",
			why:      "a user must not run a tool its token was not granted, and its client must learn which scope to ask for",
			needs:    needsField(func(t *Target) string { return t.ReaderToken }, "ReaderToken and ReaderForbiddenTool"),
			run:      insufficientScope,
		},
		check{
			name: "errors/json-rpc", rule: "JSON-RPC 2.0 §5; " + ruleMCPTransport,
			expected: "refusals are JSON-RPC errors echoing the request's id",
			why:      "a client matches an error to its request by id; without it the call hangs or fails obscurely",
			needs:    always, run: refusalsEchoID,
		},
		check{
			name: "errors/no-internals", rule: ruleMCPAuth + " §Security Considerations; OWASP error handling",
			expected: "no stack trace, source path or internal exception text in any refusal",
			why:      "internals tell an attacker what runs and where it breaks",
			needs:    always, run: noInternals,
		},
		check{
			name: "origin/foreign", rule: ruleMCPTransport + " §Security Warning (validate Origin; 403)",
			expected: "403 to a valid token's request from a foreign Origin",
			why:      "a web page on another origin (DNS rebinding) must not drive a local server with the user's credentials",
			needs:    always, run: foreignOrigin,
		},
		check{
			name: "revision/2026-07-28-header-mismatch", rule: "MCP 2026-07-28 Transports (Mcp-Method and Mcp-Name must match the body)",
			expected: "400 when Mcp-Method or Mcp-Name disagrees with the body",
			why:      "a gateway that routes or authorizes by header would check one method while the server runs another",
			needs:    always, run: headerMismatch,
		},
	)
	return cs
}

func emptyIs(v, reason string) string {
	if v == "" {
		return reason
	}
	return ""
}

func useName(t *Target) string {
	if t.Tool != "" {
		return "tools/call " + t.Tool
	}
	return "tools/list"
}

// forged alters token in its middle (in a JWT, its signature), keeping
// its form.
func forged(token string) string {
	if token == "" {
		return ""
	}
	b := []byte(token)
	i := len(b) / 2
	if j := strings.LastIndexByte(token, '.'); j >= 0 && j+1 < len(b) {
		i = j + 1 + (len(b)-j-1)/2
	}
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func validTokenWorks(p *probe) (string, bool, string) {
	sid, a := p.connect(p.t.Token)
	if a.err != nil || a.status != http.StatusOK {
		return "initialize: " + a.String(), false, ""
	}
	defer p.end(p.t.Token, sid)
	body, _ := p.useBody()
	u := p.do(request{token: p.t.Token, session: sid, body: body, header: versionHeader(sid)})
	if u.status != http.StatusOK || !u.ran() {
		return useName(p.t) + ": " + u.String(), false, ""
	}
	return "initialize 200, " + useName(p.t) + " 200 with a result", true, ""
}

func noTokenChallenge(p *probe) (string, bool, string) {
	body, _ := p.initBody()
	a := p.do(request{body: body})
	params, bearer := bearerChallenge(a.header.Values("WWW-Authenticate"))
	got := a.String()
	switch {
	case a.err != nil || a.status != http.StatusUnauthorized:
		return got, false, ""
	case !bearer:
		return got + ", no Bearer challenge", false, ""
	case params["resource_metadata"] == "":
		return got + ", Bearer challenge without resource_metadata", false, ""
	case a.sessionID() != "" || a.ran():
		return got, false, ""
	}
	return got + ", Bearer resource_metadata=" + params["resource_metadata"], true, ""
}

// wellKnown is the RFC 9728 §3.1 metadata URL of endpoint: the well-known
// path inserted before the endpoint's path.
func wellKnown(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/.well-known/oauth-protected-resource" + strings.TrimSuffix(u.EscapedPath(), "/")
}

func metadataDocument(p *probe) (string, bool, string) {
	body, _ := p.initBody()
	a := p.do(request{body: body})
	params, _ := bearerChallenge(a.header.Values("WWW-Authenticate"))
	want := wellKnown(p.endpoint)
	link := params["resource_metadata"]
	if link == "" {
		link = want
	} else if link != want {
		return "resource_metadata " + link + ", not " + want, false, ""
	}
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, link, nil)
	if err != nil {
		return err.Error(), false, ""
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "no answer at " + link, false, ""
	}
	defer resp.Body.Close()
	var md struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, maxBody))
	if resp.StatusCode != http.StatusOK || dec.Decode(&md) != nil {
		return fmt.Sprintf("%d at %s, not a JSON document", resp.StatusCode, link), false, ""
	}
	switch {
	case md.Resource != p.endpoint:
		return fmt.Sprintf("resource %q, not this endpoint %q", md.Resource, p.endpoint), false, ""
	case len(md.AuthorizationServers) == 0:
		return "no authorization_servers", false, ""
	}
	return fmt.Sprintf("resource %s, authorization servers %s", md.Resource, strings.Join(md.AuthorizationServers, ", ")), true, ""
}

func badTokenRefused(p *probe, token string) (string, bool, string) {
	body, _ := p.initBody()
	a := p.do(request{token: token, body: body})
	params, _ := bearerChallenge(a.header.Values("WWW-Authenticate"))
	got := "initialize: " + a.String()
	if params["error"] != "" {
		got += ", error=" + params["error"]
	}
	ok := a.err == nil && a.status == http.StatusUnauthorized && params["error"] == "invalid_token" && a.sessionID() == "" && !a.ran()
	p.end(token, a.sessionID())
	call, _ := p.useBody()
	c := p.do(request{token: token, body: call, header: versionHeader("")})
	got += "; " + useName(p.t) + ": " + c.String()
	if c.err != nil || c.status/100 == 2 || c.ran() {
		ok = false
	}
	// With the owner's session id: a server that checks the token fully
	// only when the session is made must still refuse it afterwards.
	sid, o := p.connect(p.t.Token)
	if o.status != http.StatusOK {
		return got + "; the owner could not connect: " + o.String(), false, ""
	}
	if sid != "" {
		defer p.end(p.t.Token, sid)
		var in []string
		for _, rq := range intruding(p, token, sid) {
			x := p.do(rq)
			in = append(in, rq.method+" "+x.String())
			if x.err != nil || x.status != http.StatusUnauthorized || x.ran() {
				ok = false
			}
		}
		got += "; in the owner's session: " + strings.Join(in, ", ")
		if !ownerStillWorks(p, sid, &got) {
			ok = false
		}
	}
	return got, ok, ""
}

// intruding are the requests of a token that is not the owner's on the
// owner's session sid: a call, the GET stream, the DELETE.
func intruding(p *probe, token, sid string) []request {
	body, _ := p.useBody()
	return []request{
		{method: http.MethodPost, token: token, session: sid, body: body},
		{method: http.MethodGet, token: token, session: sid},
		{method: http.MethodDelete, token: token, session: sid},
	}
}

// ownerStillWorks reports whether the owner's session sid still answers a
// call, noting what it got.
func ownerStillWorks(p *probe, sid string, got *string) bool {
	after, _ := p.useBody()
	x := p.do(request{token: p.t.Token, session: sid, body: after})
	*got += "; the owner afterwards: " + x.String()
	return x.status == http.StatusOK && x.ran()
}

func sessionRefused(p *probe, intruder string) (string, bool, string) {
	sid, a := p.connect(p.t.Token)
	if a.status != http.StatusOK {
		return "the owner could not connect: " + a.String(), false, ""
	}
	if sid == "" {
		return "", false, "the server keeps no sessions"
	}
	defer p.end(p.t.Token, sid)
	refused := func(x answer) bool {
		if intruder == "" {
			return x.err == nil && x.status == http.StatusUnauthorized
		}
		return x.err == nil && x.status/100 == 4
	}
	var got []string
	ok := true
	for _, rq := range intruding(p, intruder, sid) {
		x := p.do(rq)
		got = append(got, rq.method+" "+x.String())
		if !refused(x) || x.ran() {
			ok = false
		}
	}
	s := strings.Join(got, "; ")
	if !ownerStillWorks(p, sid, &s) {
		ok = false
	}
	return s, ok, ""
}

func queryTokenRefused(p *probe) (string, bool, string) {
	body, _ := p.useBody()
	x := p.do(request{body: body, query: "access_token=" + url.QueryEscape(p.t.Token), header: versionHeader("")})
	init, _ := p.initBody()
	y := p.do(request{body: init, query: "access_token=" + url.QueryEscape(p.t.Token)})
	got := useName(p.t) + ": " + x.String() + "; initialize: " + y.String()
	ok := x.err == nil && x.status/100 == 4 && !x.ran() && y.err == nil && y.status/100 == 4 && y.sessionID() == "" && !y.ran()
	p.end(p.t.Token, y.sessionID())
	// The GET stream, where a browser's EventSource cannot send headers.
	if sid, o := p.connect(p.t.Token); o.status == http.StatusOK && sid != "" {
		g := p.do(request{method: http.MethodGet, session: sid, query: "access_token=" + url.QueryEscape(p.t.Token)})
		got += "; GET of the session: " + g.String()
		ok = ok && g.err == nil && g.status/100 == 4
		p.end(p.t.Token, sid)
	}
	return got, ok, ""
}

func twoHeadersRefused(p *probe) (string, bool, string) {
	body, _ := p.initBody()
	x := p.do(request{body: body, header: http.Header{"Authorization": {"Bearer " + p.t.Token, "Bearer " + p.t.Token}}})
	p.end(p.t.Token, x.sessionID())
	return x.String(), x.err == nil && x.status == http.StatusBadRequest && x.sessionID() == "", ""
}

func insufficientScope(p *probe) (string, bool, string) {
	sid, a := p.connect(p.t.ReaderToken)
	if a.status != http.StatusOK {
		return "the reader could not connect: " + a.String(), false, ""
	}
	defer p.end(p.t.ReaderToken, sid)
	body, _ := p.callBody(p.t.ReaderForbiddenTool, nil)
	x := p.do(request{token: p.t.ReaderToken, session: sid, body: body, header: versionHeader(sid)})
	params, _ := bearerChallenge(x.header.Values("WWW-Authenticate"))
	got := x.String()
	if params["error"] != "" {
		got += fmt.Sprintf(", error=%s scope=%q", params["error"], params["scope"])
	}
	return got, x.err == nil && x.status == http.StatusForbidden && params["error"] == "insufficient_scope" && params["scope"] != "" && !x.ran(), ""
}

func refusalsEchoID(p *probe) (string, bool, string) {
	var got []string
	ok := true
	expect := func(what string, x answer, id int64) {
		switch {
		case x.err != nil:
			got, ok = append(got, what+": "+x.String()), false
		case x.msg == nil || x.msg.Error == nil:
			got, ok = append(got, fmt.Sprintf("%s: %d, not a JSON-RPC error", what, x.status)), false
		case string(x.msg.ID) != strconv.FormatInt(id, 10):
			got, ok = append(got, fmt.Sprintf("%s: id %s, not %d", what, x.msg.ID, id)), false
		default:
			got = append(got, fmt.Sprintf("%s: %d, error %d, id %d", what, x.status, x.msg.Error.Code, id))
		}
	}
	body, id := p.useBody()
	expect("no token", p.do(request{body: body, header: versionHeader("")}), id)
	body, id = p.useBody()
	expect("invalid token", p.do(request{token: "mcpauth-check-invalid-id-echo", body: body, header: versionHeader("")}), id)
	return strings.Join(got, "; "), ok, ""
}

func noInternals(p *probe) (string, bool, string) {
	var leaks []string
	unanswered := 0
	look := func(what string, x answer) {
		if x.err != nil {
			unanswered++
			return
		}
		if m := internals(x.body); m != "" {
			leaks = append(leaks, fmt.Sprintf("%s: %q", what, m))
		}
		for name, values := range x.header {
			for _, v := range values {
				if m := internals([]byte(v)); m != "" {
					leaks = append(leaks, fmt.Sprintf("%s, header %s: %q", what, name, m))
				}
			}
		}
	}
	init, _ := p.initBody()
	look("no token", p.do(request{body: init}))
	tokens := []string{"mcpauth-check-invalid-internals", "eyJhbGciOiJub25lIn0.e30.", "a.b.c", strings.Repeat("A", 4096), forged(p.t.Token)}
	for _, b := range p.t.BadTokens {
		tokens = append(tokens, b.Token)
	}
	for _, tok := range tokens {
		b, _ := p.useBody()
		look("bad token", p.do(request{token: tok, body: b, header: versionHeader("")}))
	}
	look("broken JSON", p.do(request{token: p.t.Token, body: `{"jsonrpc":"2.0","id":`, header: versionHeader("")}))
	switch {
	case len(leaks) > 0:
		return strings.Join(leaks, "; "), false, ""
	case unanswered > 0:
		// Nothing seen is no proof of nothing shown.
		return fmt.Sprintf("%d of %d refusals had no answer to look at", unanswered, len(tokens)+2), false, ""
	}
	return fmt.Sprintf("nothing that looks like a stack trace or an internal error in %d refusals", len(tokens)+2), true, ""
}

func foreignOrigin(p *probe) (string, bool, string) {
	body, _ := p.initBody()
	x := p.do(request{token: p.t.Token, body: body, header: http.Header{"Origin": {p.t.ForeignOrigin}}})
	p.end(p.t.Token, x.sessionID())
	call, _ := p.useBody()
	y := p.do(request{token: p.t.Token, body: call, header: http.Header{"Origin": {p.t.ForeignOrigin}, "Mcp-Protocol-Version": {protocolVersion}}})
	ok := x.err == nil && x.status == http.StatusForbidden && x.sessionID() == "" && !x.ran() && y.err == nil && y.status == http.StatusForbidden && !y.ran()
	return "Origin " + p.t.ForeignOrigin + ": initialize " + x.String() + "; " + useName(p.t) + " " + y.String(), ok, ""
}

// revision2026 is the revision whose requests carry their method in
// headers.
const revision2026 = "2026-07-28"

func headerMismatch(p *probe) (string, bool, string) {
	h := func(method, name string) http.Header {
		hd := http.Header{"Mcp-Protocol-Version": {revision2026}, "Mcp-Method": {method}}
		if name != "" {
			hd["Mcp-Name"] = []string{name}
		}
		return hd
	}
	list, _ := p.modernBody("tools/list", "", nil)
	if x := p.do(request{token: p.t.Token, body: list, header: h("tools/list", "")}); x.status != http.StatusOK || !x.ran() {
		return "tools/list under " + revision2026 + ": " + x.String(), false, "the server does not speak " + revision2026
	}
	var got []string
	ok := true
	list, _ = p.modernBody("tools/list", "", nil)
	x := p.do(request{token: p.t.Token, body: list, header: h("tools/call", "")})
	got = append(got, "Mcp-Method tools/call on a tools/list body: "+x.String())
	ok = ok && x.status == http.StatusBadRequest && !x.ran()
	if p.t.Tool != "" {
		call, _ := p.modernBody("tools/call", p.t.Tool, p.t.Arguments)
		y := p.do(request{token: p.t.Token, body: call, header: h("tools/call", p.t.Tool+"-other")})
		got = append(got, "Mcp-Name of another tool: "+y.String())
		ok = ok && y.status == http.StatusBadRequest && !y.ran()
	}
	return strings.Join(got, "; "), ok, ""
}
