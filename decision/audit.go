package decision

import (
	"log/slog"
	"net/http"
	"strings"
)

// AuditLog returns a hook that writes one record to l per request it is
// told about, so that who called which tool when, and whether it was
// allowed, is answerable from the log alone. It records every decision of
// the guard and the refusals and failures of the other layers; an allowed
// authentication or proxy call is followed, or preceded, by the guard's
// record of the same request and is not repeated.
//
// Allowed and refused requests are logged at Info, failures at Warn
// (unavailable) or Error. The record's attributes are those of
// [Decision.LogValue], at the top level. No token, no verified claim and
// no session id is among them; the error's text is cut to MaxErrorBytes,
// and may quote what a refused request sent (such as the unverified
// issuer of a token that was refused).
func AuditLog(l *slog.Logger) Hook {
	if l == nil {
		return nil
	}
	return func(r *http.Request, d Decision) {
		if d.Outcome == Allowed && d.Layer != LayerGuard {
			return
		}
		level := d.level()
		ctx := r.Context()
		if !l.Enabled(ctx, level) {
			return
		}
		var buf [15]slog.Attr
		l.LogAttrs(ctx, level, "mcpauth: decision", d.appendAttrs(buf[:0])...)
	}
}

// level is the record level of d.
func (d *Decision) level() slog.Level {
	switch {
	case d.Outcome != Failed:
		return slog.LevelInfo
	case d.Reason == ReasonUnavailable:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// MaxErrorBytes bounds the error text of a record.
const MaxErrorBytes = 256

// LogValue implements slog.LogValuer: layer, outcome, reason, status,
// then those of method, tool, calls (of a batch, "method tool" each),
// scopes, sub, principal (the binding key in hex), session (hashed),
// latency and error (at most MaxErrorBytes) that are set.
func (d Decision) LogValue() slog.Value {
	var buf [15]slog.Attr
	return slog.GroupValue(d.appendAttrs(buf[:0])...)
}

func (d *Decision) appendAttrs(a []slog.Attr) []slog.Attr {
	a = append(a,
		slog.String("layer", string(d.Layer)),
		slog.String("outcome", string(d.Outcome)),
		slog.String("reason", string(d.Reason)),
		slog.Int("status", d.Status))
	if d.Method != "" {
		a = append(a, slog.String("method", d.Method))
	}
	if d.Tool != "" {
		a = append(a, slog.String("tool", d.Tool))
	}
	if len(d.Calls) > 0 {
		calls := make([]string, len(d.Calls))
		for i, c := range d.Calls {
			calls[i] = strings.TrimSpace(c.Method + " " + c.Tool)
		}
		a = append(a, slog.Any("calls", calls))
	}
	if len(d.Scopes) > 0 {
		a = append(a, slog.Any("scopes", d.Scopes))
	}
	if d.Subject != "" {
		a = append(a, slog.String("sub", d.Subject), slog.String("principal", d.Principal.String()))
	}
	if d.Session != "" {
		a = append(a, slog.String("session", d.Session))
	}
	a = append(a, slog.Duration("latency", d.Latency))
	if d.Err != nil {
		a = append(a, slog.String("error", bounded(d.Err.Error(), MaxErrorBytes)))
	}
	return a
}
