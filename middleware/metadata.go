package middleware

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// ErrNoResource is returned by the metadata accessors of an Authenticator
// whose Options had no Resource.
var ErrNoResource = errors.New("middleware: protected resource metadata needs Options.Resource")

// metadataMaxAge is how long clients may cache the metadata document.
const metadataMaxAge = 3600

// metadataDoc is the RFC 9728 §2 protected resource metadata.
type metadataDoc struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// MetadataHandler returns the handler that serves this server's RFC 9728
// protected resource metadata, built from the same Options as the
// challenges. It answers GET and HEAD with the JSON document, OPTIONS with
// a CORS preflight, and other methods with 405. Mount it at every path of
// [Authenticator.MetadataPaths], or use [Authenticator.MountMetadata].
func (a *Authenticator) MetadataHandler() (http.Handler, error) {
	if !a.cfg.metadataConfig {
		return nil, ErrNoResource
	}
	body, err := json.Marshal(metadataDoc{
		Resource:               a.cfg.resource,
		AuthorizationServers:   a.cfg.authServers,
		ScopesSupported:        a.cfg.scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           a.cfg.resourceName,
	})
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, MCP-Protocol-Version")
			h.Set("Access-Control-Max-Age", strconv.Itoa(metadataMaxAge))
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			h.Set("Allow", "GET, HEAD, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(metadataMaxAge))
		h.Set("Content-Length", length)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	}), nil
}

// MetadataPaths returns the paths at which clients look for the metadata:
// the path-inserted form first (RFC 9728 §3.1, such as
// "/.well-known/oauth-protected-resource/mcp"), then the root form when it
// differs. It returns nil without Options.Resource.
func (a *Authenticator) MetadataPaths() []string {
	return append([]string(nil), a.cfg.metadataPaths...)
}

// ResourceMetadataURL returns the absolute URL that challenges advertise
// as resource_metadata, or "" without Options.Resource.
func (a *Authenticator) ResourceMetadataURL() string {
	return a.cfg.challenge.ResourceMetadata
}

// Challenge returns a copy of the challenge configuration this
// Authenticator answers with, for other layers (such as mcphandler) whose
// refusals must point clients to the same metadata.
func (a *Authenticator) Challenge() *jsonrpcerr.Challenge {
	c := a.cfg.challenge
	c.Scopes = append([]string(nil), c.Scopes...)
	return &c
}

// Mux is the routing method shared by http.ServeMux and chi.Router.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// MountMetadata registers [Authenticator.MetadataHandler] on mux at every
// path of [Authenticator.MetadataPaths]. The metadata must be reachable
// without credentials: mount it outside the authenticated routes.
func (a *Authenticator) MountMetadata(mux Mux) error {
	h, err := a.MetadataHandler()
	if err != nil {
		return err
	}
	for _, p := range a.cfg.metadataPaths {
		mux.Handle(p, h)
	}
	return nil
}
