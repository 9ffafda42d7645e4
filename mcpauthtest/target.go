package mcpauthtest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Target is the server to audit and the credentials to audit it with.
// Exactly one of Handler and URL is set. Every token is an access token as
// the client would present it, without the "Bearer " prefix.
type Target struct {
	// Handler is a server in process. Requests reach it at Endpoint's
	// path ("/mcp" when Endpoint is empty) on a loopback test server.
	Handler http.Handler
	// URL is the MCP endpoint of a running server, such as
	// "https://mcp.example.com/mcp".
	URL string
	// Endpoint is the path of the MCP endpoint within Handler; default
	// "/mcp". Ignored with URL.
	Endpoint string
	// Client sends the requests to URL; nil means a client with a
	// 10-second timeout that follows no redirect.
	Client *http.Client

	// Token is a valid token: it may connect, list tools and call Tool.
	// Required.
	Token string
	// Tool is a tool Token may call with Arguments. Optional: without it
	// the checks call tools/list instead.
	Tool      string
	Arguments map[string]any
	// OtherUserToken is a valid token of another user: it must not reach
	// Token's sessions.
	OtherUserToken string
	// ReaderToken is valid but may not call ReaderForbiddenTool, which
	// needs a scope it lacks.
	ReaderToken         string
	ReaderForbiddenTool string
	// OtherAudienceToken is valid for another resource (RFC 8707): this
	// server must refuse it.
	OtherAudienceToken string
	// ExpiredToken is a token of this server's that has expired.
	ExpiredToken string
	// BadTokens must all be refused, each named by its label in the
	// results (such as the seed bug's "throw" and "null" cases).
	BadTokens []LabelledToken
	// ForeignOrigin is an Origin the server must refuse; default
	// "https://attacker.example".
	ForeignOrigin string
}

// LabelledToken is a token that must be refused, and what it is.
type LabelledToken struct {
	Label string
	Token string
}

// errTarget is the cause of every invalid Target.
var errTarget = errors.New("mcpauthtest: invalid target")

func (t *Target) validate() error {
	switch {
	case (t.Handler == nil) == (t.URL == ""):
		return fmt.Errorf("%w: set exactly one of Handler and URL", errTarget)
	case t.Token == "":
		return fmt.Errorf("%w: Token is required: without a valid token no refusal means anything", errTarget)
	case (t.ReaderToken == "") != (t.ReaderForbiddenTool == ""):
		return fmt.Errorf("%w: ReaderToken and ReaderForbiddenTool go together", errTarget)
	}
	if t.URL != "" {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: URL is not an absolute http(s) URL", errTarget)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%w: URL has a query or fragment; the endpoint has neither", errTarget)
		}
	}
	for _, b := range t.BadTokens {
		if strings.TrimSpace(b.Label) == "" {
			return fmt.Errorf("%w: every bad token needs a label", errTarget)
		}
	}
	return nil
}
