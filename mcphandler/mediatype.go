package mcphandler

import "strings"

// jsonMediaType reports whether a Content-Type value is application/json
// with no parameter but an optional charset=utf-8, in any letter case,
// quoted or not. Anything else (another charset such as utf-7 or utf-16,
// which servers behind the guard may decode into other method names; a
// second parameter; an RFC 2231 continuation) is refused: the guard reads
// bodies as UTF-8, and the server must read exactly that.
func jsonMediaType(v string) bool {
	mt, params, hasParams := strings.Cut(v, ";")
	if !strings.EqualFold(strings.TrimRight(mt, " \t"), "application/json") {
		return false
	}
	if !hasParams {
		return true
	}
	name, value, ok := strings.Cut(strings.Trim(params, " \t"), "=")
	if !ok || !strings.EqualFold(name, "charset") {
		return false
	}
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return strings.EqualFold(value, "utf-8")
}

// identityEncoding reports whether Content-Encoding values say the body is
// not encoded. The guard reads the bytes it is sent; a server that
// decoded them (gzip, deflate, br) would act on bytes the guard never
// read.
func identityEncoding(values []string) bool {
	return len(values) == 1 && strings.EqualFold(strings.TrimSpace(values[0]), "identity")
}
