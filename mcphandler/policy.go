package mcphandler

import (
	"fmt"
	"slices"

	"github.com/mcpauth/mcpauth/authresult"
)

// Policy says which scopes each MCP operation needs. A request is let
// through only if the principal holds (directly or by implication) every
// scope its method and its target need.
type Policy struct {
	// Methods maps a JSON-RPC method, such as "tools/list", to the scopes
	// it needs. Methods not listed need none.
	Methods map[string][]string
	// Tools maps a tool name to the scopes a tools/call of it needs, on
	// top of Methods["tools/call"]. A tool not listed is refused (403)
	// and hidden from tools/list, unless AllowUndeclaredTools is set.
	Tools map[string][]string
	// Prompts maps a prompt name to the scopes prompts/get needs.
	// Prompts not listed need none.
	Prompts map[string][]string
	// Resources maps a resource URI to the scopes resources/read and
	// resources/subscribe need. Resources not listed need none. The URIs
	// must be in the normal form that RFC 3986 normalization and the
	// WHATWG URL parser leave unchanged (lower-case scheme and host, no
	// dot segments, default port, fragment or needless percent-encoding);
	// while any is listed, requests naming a URI not in that form are
	// refused (-32602), so that no other spelling of a listed resource
	// reaches a server that normalizes before it looks up.
	Resources map[string][]string
	// Implies maps a scope to scopes it grants, such as
	// "admin": {"write"}, "write": {"read"}. Implication is transitive.
	Implies map[string][]string
	// AllowUndeclaredTools lets tools missing from Tools be called (and
	// listed) with only the method's scopes. Default false: deny.
	AllowUndeclaredTools bool
}

// policy is a validated Policy with implication closed.
type policy struct {
	methods, tools, prompts, resources map[string][]string
	grants                             map[string]map[string]bool // scope -> every scope it grants, itself included
	allowUndeclaredTools               bool
	names                              map[string]string // every name the policy lists, for parseBody
}

func compilePolicy(p *Policy) (*policy, error) {
	if p == nil {
		return nil, nil
	}
	pl := &policy{allowUndeclaredTools: p.AllowUndeclaredTools, grants: map[string]map[string]bool{}}
	var err error
	for _, m := range []struct {
		what string
		src  map[string][]string
		dst  *map[string][]string
	}{{"Methods", p.Methods, &pl.methods}, {"Tools", p.Tools, &pl.tools}, {"Prompts", p.Prompts, &pl.prompts}, {"Resources", p.Resources, &pl.resources}} {
		if *m.dst, err = cloneScopes(m.what, m.src); err != nil {
			return nil, err
		}
	}
	for uri := range pl.resources {
		if why := uriProblem(uri); why != "" {
			return nil, fmt.Errorf("%w: Resources: %q is not a URI in normal form: %s", errConfig, uri, why)
		}
	}
	pl.names = map[string]string{}
	for _, m := range []map[string][]string{pl.tools, pl.prompts, pl.resources} {
		for name := range m {
			pl.names[name] = name
		}
	}
	implies, err := cloneScopes("Implies", p.Implies)
	if err != nil {
		return nil, err
	}
	for s := range implies {
		if !authresult.ValidScope(s) {
			return nil, fmt.Errorf("%w: Implies: scope %q is not an RFC 6749 scope-token", errConfig, s)
		}
	}
	// Close implication: each scope grants what it reaches.
	for s := range implies {
		seen := map[string]bool{s: true}
		stack := []string{s}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, n := range implies[cur] {
				if !seen[n] {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		pl.grants[s] = seen
	}
	return pl, nil
}

func cloneScopes(what string, m map[string][]string) (map[string][]string, error) {
	out := make(map[string][]string, len(m))
	for k, scopes := range m {
		if k == "" {
			return nil, fmt.Errorf("%w: %s has an empty name", errConfig, what)
		}
		for _, s := range scopes {
			if !authresult.ValidScope(s) {
				return nil, fmt.Errorf("%w: %s[%q]: scope %q is not an RFC 6749 scope-token", errConfig, what, k, s)
			}
		}
		out[k] = slices.Clone(scopes)
	}
	return out, nil
}

// has reports whether p holds scope directly or by implication.
func (pl *policy) has(p *authresult.Principal, scope string) bool {
	for _, s := range p.Scopes {
		if s == scope || pl.grants[s][scope] {
			return true
		}
	}
	return false
}

// need returns the scopes m needs, appended to dst, and whether m may be
// made at all (false for undeclared tools when they are denied).
func (pl *policy) need(m *message, dst []string) ([]string, bool) {
	if m.method == "" {
		return dst, true // a response to a server request
	}
	dst = append(dst, pl.methods[m.method]...)
	switch m.method {
	case "tools/call":
		scopes, ok := pl.tools[m.name]
		if !ok && !pl.allowUndeclaredTools {
			return dst, false
		}
		dst = append(dst, scopes...)
	case "prompts/get":
		dst = append(dst, pl.prompts[m.name]...)
	case "resources/read", "resources/subscribe":
		dst = append(dst, pl.resources[m.name]...)
	}
	return dst, true
}

// authorize decides every message of a request together: a request is
// refused if any message is. An insufficient-scope refusal names every
// scope the whole request needs, so one step-up suffices.
func (pl *policy) authorize(p *authresult.Principal, msgs []message) *authresult.Error {
	if pl == nil {
		return nil
	}
	var buf [8]string
	need := buf[:0]
	for i := range msgs {
		var ok bool
		if need, ok = pl.need(&msgs[i], need); !ok {
			return authresult.Forbidden("tool not allowed", fmt.Errorf("mcphandler: tool %q is not declared in the policy", msgs[i].name))
		}
	}
	missing := false
	for _, s := range need {
		if !pl.has(p, s) {
			missing = true
			break
		}
	}
	if !missing {
		return nil
	}
	slices.Sort(need)
	return authresult.InsufficientScope("insufficient scope", slices.Compact(need)...)
}

// toolAllowed reports whether p may call the tool, which decides whether
// tools/list shows it.
func (pl *policy) toolAllowed(p *authresult.Principal, name string) bool {
	need, ok := pl.need(&message{method: "tools/call", name: name}, nil)
	if !ok {
		return false
	}
	for _, s := range need {
		if !pl.has(p, s) {
			return false
		}
	}
	return true
}
