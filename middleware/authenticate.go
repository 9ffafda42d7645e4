package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/internal/panics"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// TokenVerifier verifies a bearer token and returns the principal it
// stands for, or an error. Errors should be [*authresult.Error] values;
// any other error is answered as 500, never as a success.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, token string) (*authresult.Principal, error)
}

// TokenVerifierFunc adapts a function to [TokenVerifier].
type TokenVerifierFunc func(ctx context.Context, token string) (*authresult.Principal, error)

// VerifyToken calls f(ctx, token).
func (f TokenVerifierFunc) VerifyToken(ctx context.Context, token string) (*authresult.Principal, error) {
	return f(ctx, token)
}

// Func is a permissive authenticator: it inspects the request itself and
// may return any outcome that [authresult.Normalize] accepts, including the
// soft-failure shapes ({authenticated: false}) that other frameworks use.
type Func func(r *http.Request) (any, error)

// ErrPanic is the cause of the internal error reported when a verifier
// panics. The panic value and stack are logged, never sent.
var ErrPanic = errors.New("middleware: authenticator panicked")

var errNilVerifier = errors.New("middleware: nil verifier")

// Authenticator decides whether requests are authenticated and answers
// those that are not. It is safe for concurrent use.
type Authenticator struct {
	cfg    *config
	verify func(r *http.Request, c credentials) (any, error)
	// verifiesToken is set when verify hands the bearer token to a
	// TokenVerifier, so that an accepted principal stands for that token
	// (see TokenFromContext).
	verifiesToken bool
}

// New returns an Authenticator that extracts the bearer token and passes
// it to v. A request without a Bearer token is refused with 401 before v
// runs. It returns an error if v is nil or opts is invalid.
func New(v TokenVerifier, opts *Options) (*Authenticator, error) {
	if v == nil || isNilFunc(v) {
		return nil, errNilVerifier
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Authenticator{cfg: cfg, verify: func(r *http.Request, c credentials) (any, error) {
		if c.token == "" {
			return nil, authresult.NoCredentials()
		}
		return v.VerifyToken(r.Context(), c.token)
	}, verifiesToken: true}, nil
}

// NewFunc returns an Authenticator that calls fn for every request that
// passes the credential checks of RFC 6750 §2 (at most one Authorization
// header, well-formed if Bearer, no token in the URL or form). fn's outcome
// is normalised by [authresult.Normalize]. It returns an error if fn is
// nil or opts is invalid.
func NewFunc(fn Func, opts *Options) (*Authenticator, error) {
	if fn == nil {
		return nil, errNilVerifier
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Authenticator{cfg: cfg, verify: func(r *http.Request, _ credentials) (any, error) {
		return fn(r)
	}}, nil
}

// Authenticate returns New(v, opts).Handler: the middleware alone.
func Authenticate(v TokenVerifier, opts *Options) (func(http.Handler) http.Handler, error) {
	a, err := New(v, opts)
	if err != nil {
		return nil, err
	}
	return a.Handler, nil
}

func isNilFunc(v TokenVerifier) bool {
	f, ok := v.(TokenVerifierFunc)
	return ok && f == nil
}

// Check decides r: it returns the authenticated principal, or nil and an
// error for which errors.As(err, new(*authresult.Error)) holds. It never
// writes a response and never panics because of the verifier. It may
// replace r.Body with an equivalent reader (to look for a token in a form
// body).
func (a *Authenticator) Check(r *http.Request) (*authresult.Principal, error) {
	p, _, _, err := a.check(nil, r)
	return p, err
}

// check is Check plus the bearer token presented and whether the verifier
// panicked. With w, the read of a form body is bounded by
// Options.BodyReadTimeout.
func (a *Authenticator) check(w http.ResponseWriter, r *http.Request) (p *authresult.Principal, token string, panicked bool, err error) {
	c, cerr := extract(w, r, a.cfg.maxTokenBytes, a.cfg.maxBodyBytes, a.cfg.bodyTimeout)
	if cerr != nil {
		return nil, "", false, cerr
	}
	v, panicked, verr := a.call(r, c)
	p, err = authresult.Normalize(v, verr)
	if err != nil && !c.header {
		// RFC 6750 §3.1: no credentials, no error code in the challenge.
		if e := authresult.As(err); e.Kind == authresult.KindUnauthenticated && e.Code != "" {
			err = &authresult.Error{Kind: authresult.KindUnauthenticated, Description: e.Description, Err: err}
		}
	}
	return p, c.token, panicked, err
}

// call runs the verifier, turning a panic into an internal error.
func (a *Authenticator) call(r *http.Request, c credentials) (v any, panicked bool, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			v, panicked, err = nil, true, panics.OnRequest(r.Context(), a.cfg.log, "authenticator", ErrPanic, rec)
		}
	}()
	v, err = a.verify(r, c)
	return v, false, err
}

// Handler returns next wrapped so that it runs only with an authenticated
// principal in the request context (see [authresult.FromContext]), exactly
// once per request. Other requests are answered by the Authenticator, and
// requests whose client has gone away get no response and no further work.
// Handler panics if next is nil.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: Handler called with a nil next handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := a.start()
		p, token, panicked, err := a.check(w, r)
		ctx := r.Context()
		if ctx.Err() != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// A body read that hit BodyReadTimeout cancels the context
			// too; that client still gets its answer.
			a.cfg.log.LogAttrs(ctx, slog.LevelDebug, "mcpauth: client went away during authentication")
			if a.cfg.onDecision != nil {
				a.report(r, p, err, panicked, start, 0)
			}
			return
		}
		if err != nil {
			a.refuse(w, r, err, panicked, start)
			return
		}
		if a.cfg.onDecision != nil {
			a.report(r, p, nil, false, start, http.StatusOK)
		}
		ctx = authresult.NewContext(ctx, p)
		if a.verifiesToken {
			ctx = context.WithValue(ctx, tokenKey{}, &verifiedToken{p: p, token: token})
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// start returns the time a decision starts, when a hook will want it.
func (a *Authenticator) start() time.Time {
	if a.cfg.onDecision == nil {
		return time.Time{}
	}
	return time.Now()
}

// refuse logs, reports and answers a failed decision.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error, panicked bool, start time.Time) {
	e := authresult.As(err)
	a.logFailure(r, e, err)
	if a.cfg.onDecision != nil {
		a.report(r, nil, err, panicked, start, e.Status())
	}
	jsonrpcerr.Write(w, jsonrpcerr.RequestIDWithin(w, r, a.cfg.maxBodyBytes, a.cfg.bodyTimeout), err, &a.cfg.challenge)
}

// report gives the hook the decision of r: p, or the failure err (a
// panic of the verifier if panicked), answered with status (0 when the
// client went away before an answer).
func (a *Authenticator) report(r *http.Request, p *authresult.Principal, err error, panicked bool, start time.Time, status int) {
	d := decision.Decision{Layer: decision.LayerAuthentication, Outcome: decision.Allowed, Reason: decision.ReasonOK, Status: status, Latency: time.Since(start)}
	if err != nil {
		d.WithFailure(authresult.As(err).Status(), err)
		d.Status = status // 0 for a client that went away
		if panicked {
			d.Reason = decision.ReasonPanic
		}
	}
	d.WithPrincipal(p)
	a.cfg.onDecision(r, d)
}

func (a *Authenticator) logFailure(r *http.Request, e *authresult.Error, err error) {
	level := slog.LevelInfo
	switch e.Kind {
	case authresult.KindInternal:
		level = slog.LevelError
	case authresult.KindUnavailable:
		level = slog.LevelWarn
	}
	if !a.cfg.log.Enabled(r.Context(), level) {
		return // spare refused requests the cost of formatting
	}
	a.cfg.log.LogAttrs(r.Context(), level, "mcpauth: request refused",
		slog.Int("status", e.Status()),
		slog.String("reason", string(decision.ReasonOf(e))),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()))
}
