package mcpproxy

import "net/http"

// setTraceContext passes the client's W3C Trace Context (traceparent and
// tracestate) on to the upstream (Options.ForwardTraceContext), so that
// the upstream's spans join the client's trace, but only when it is
// well-formed: one traceparent of
// version 00 as the W3C Trace Context specification defines it, and one
// tracestate of printable ASCII of at most 512 bytes beside it. Anything
// else is dropped, never repaired. A tracing transport (such as the one
// package telemetry builds) replaces both with the gateway's own span.
func setTraceContext(h http.Header, in *http.Request) {
	tp := in.Header["Traceparent"]
	if len(tp) != 1 || !validTraceparent(tp[0]) {
		return
	}
	h["Traceparent"] = tp
	if ts := in.Header["Tracestate"]; len(ts) == 1 && validTracestate(ts[0]) {
		h["Tracestate"] = ts
	}
}

// validTraceparent reports whether s is "00-" trace-id "-" parent-id "-"
// flags in lower-case hex, with neither id all zeros.
func validTraceparent(s string) bool {
	if len(s) != 55 || s[:3] != "00-" || s[35] != '-' || s[52] != '-' {
		return false
	}
	return lowerHex(s[3:35]) && lowerHex(s[36:52]) && lowerHex(s[53:55]) &&
		!zeros(s[3:35]) && !zeros(s[36:52])
}

// maxTracestate is the W3C limit on a tracestate header's length.
const maxTracestate = 512

func validTracestate(s string) bool {
	if s == "" || len(s) > maxTracestate {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func zeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
