package mcpauthtest

import "regexp"

// internalsPatterns are what the errors/no-internals check looks for in a
// refusal: the shapes stack traces and internal errors take in the
// languages MCP servers are written in. They are heuristics: a match is
// almost always a leak, and a leak in another shape is missed.
var internalsPatterns = []*regexp.Regexp{
	regexp.MustCompile(`goroutine \d+ \[`),                          // Go stack trace
	regexp.MustCompile(`panic: `),                                   // Go panic
	regexp.MustCompile(`[\w/.-]+\.go:\d+`),                          // Go source position
	regexp.MustCompile(`Traceback \(most recent call last\)`),       // Python
	regexp.MustCompile(`File "[^"]+\.py", line \d+`),                // Python frame
	regexp.MustCompile(`\n\s*at [\w.<>$]+ \(?[^)\n]*:\d+:\d+\)?`),   // JavaScript frame
	regexp.MustCompile(`node_modules[/\\]`),                         // a Node.js path
	regexp.MustCompile(`\bat [\w$]+(\.[\w$]+)+\([\w]+\.java:\d+\)`), // Java frame
	regexp.MustCompile(`Exception in thread`),                       // Java
	regexp.MustCompile(`(TypeError|ReferenceError|SyntaxError|NullPointerException|KeyError|AttributeError): `),
}

// internals returns the first text in b that looks like a stack trace or
// an internal error, or "".
func internals(b []byte) string {
	for _, re := range internalsPatterns {
		if m := re.Find(b); m != nil {
			if len(m) > 80 {
				m = m[:80]
			}
			return string(m)
		}
	}
	return ""
}
