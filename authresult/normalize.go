package authresult

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Result is the soft-failure shape many authenticate callbacks return. Its
// zero value is a failure. Authenticated true requires a valid Principal.
type Result struct {
	// Authenticated reports whether the authenticator accepted the caller.
	Authenticated bool
	// Principal is the verified identity; required when Authenticated.
	Principal *Principal
	// Message explains a failure. It is logged, never sent to clients.
	Message string
}

// Authenticatable is implemented by outcome types that report success
// through a method. A value whose Authenticated method returns true must
// also implement [PrincipalProvider].
type Authenticatable interface {
	Authenticated() bool
}

// PrincipalProvider is implemented by outcome types that carry a principal.
type PrincipalProvider interface {
	Principal() *Principal
}

// Errors kept as causes so that logs say why a value was refused.
var (
	errNilOutcome      = errors.New("authenticator returned a nil outcome")
	errSoftFailure     = errors.New("authenticator reported not authenticated")
	errNoSubject       = errors.New("authenticated outcome has no subject")
	errNoPrincipal     = errors.New("authenticated outcome carries no principal")
	errBareTrue        = errors.New("authenticator returned bare true without an identity")
	errNotObject       = errors.New("authenticator returned JSON that is not an object")
	errUnknownOutcome  = errors.New("authenticator returned an outcome of unknown type")
	errContextCanceled = errors.New("authentication did not finish")
)

// Normalize turns any authenticator outcome into exactly one of an
// authenticated principal or a typed error, as the package documentation's
// table describes. When err is nil the returned principal is valid;
// otherwise it is nil and errors.As(err, new(*Error)) holds. Normalize
// calls no code of v's except the Authenticated and Principal methods of a
// non-nil value; it panics only if one of those does.
func Normalize(v any, err error) (*Principal, error) {
	if err != nil {
		return nil, failure(err)
	}
	switch o := v.(type) {
	case nil:
		return nil, unauthenticated(errNilOutcome)
	case error:
		if isNil(o) {
			return nil, unauthenticated(errNilOutcome)
		}
		return nil, failure(o)
	case *Principal:
		if o == nil {
			return nil, unauthenticated(errNilOutcome)
		}
		return principal(o)
	case Principal:
		return principal(&o)
	case *Result:
		if o == nil {
			return nil, unauthenticated(errNilOutcome)
		}
		return result(o)
	case Result:
		return result(&o)
	case bool:
		if o {
			return nil, Internal(errBareTrue)
		}
		return nil, unauthenticated(errSoftFailure)
	case map[string]any:
		if o == nil {
			return nil, unauthenticated(errNilOutcome)
		}
		return fromMap(o)
	case json.RawMessage:
		return fromJSON(o)
	}
	if isNil(v) {
		return nil, unauthenticated(errNilOutcome)
	}
	if a, ok := v.(Authenticatable); ok {
		if !a.Authenticated() {
			return nil, unauthenticated(errSoftFailure)
		}
		pp, ok := v.(PrincipalProvider)
		if !ok {
			return nil, Internal(fmt.Errorf("%w (%T)", errNoPrincipal, v))
		}
		return principal(pp.Principal())
	}
	return nil, Internal(fmt.Errorf("%w: %T", errUnknownOutcome, v))
}

// failure returns the error a callback's err stands for: err when it
// already holds an *Error (or a sentinel), and otherwise err wrapped in
// the kind its type calls for.
func failure(err error) error {
	if isNil(err) {
		return unauthenticated(errNilOutcome)
	}
	if e, fresh, ok := typed(err); ok {
		switch {
		case e.Kind < KindInternal || e.Kind > KindUnavailable:
			return Internal(err)
		case fresh:
			return e // a sentinel, now an *Error
		}
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindUnavailable, Code: CodeTemporarilyUnavailable, Description: descUnavailable,
			Err: fmt.Errorf("%w: %w", errContextCanceled, err)}
	}
	return Internal(err)
}

func unauthenticated(cause error) *Error {
	return &Error{Kind: KindUnauthenticated, Code: CodeInvalidToken, Description: descUnauthenticated, Err: cause}
}

func principal(p *Principal) (*Principal, error) {
	switch {
	case p == nil:
		return nil, Internal(errNoPrincipal)
	case p.Subject == "":
		return nil, Internal(errNoSubject)
	}
	return p, nil
}

func result(r *Result) (*Principal, error) {
	if !r.Authenticated {
		if r.Message != "" {
			return nil, unauthenticated(fmt.Errorf("%w: %q", errSoftFailure, r.Message))
		}
		return nil, unauthenticated(errSoftFailure)
	}
	return principal(r.Principal)
}

// fromMap reads the JSON object shape {"authenticated": true, "sub": ...}.
// Only the JSON value true authenticates.
func fromMap(m map[string]any) (*Principal, error) {
	if ok, _ := m["authenticated"].(bool); !ok {
		if msg, _ := m["error"].(string); msg != "" {
			return nil, unauthenticated(fmt.Errorf("%w: %q", errSoftFailure, msg))
		}
		return nil, unauthenticated(errSoftFailure)
	}
	p := &Principal{Claims: m}
	p.Subject = firstString(m, "sub", "subject")
	p.Issuer = firstString(m, "iss", "issuer")
	p.ClientID = firstString(m, "client_id", "azp")
	p.Audience = stringList(m["aud"])
	if s, ok := m["scope"].(string); ok {
		p.Scopes = ParseScope(s)
	} else {
		p.Scopes = stringList(m["scopes"])
	}
	return principal(p)
}

func fromJSON(b json.RawMessage) (*Principal, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil || d.More() {
		return nil, Internal(errNotObject)
	}
	return fromMap(m)
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// stringList accepts a string or a list of strings, as JWT "aud" does.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// isNil reports whether v is nil or a typed nil of a nillable kind.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
