// Package bench compares mcpauth with the common Go choices for
// authenticating MCP requests, on the same keys, claims and checks. It is a
// module of its own so that the peers never enter mcpauth's dependency
// graph. Run ./run.sh to measure and to rewrite the generated part of
// docs/BENCHMARKS.md.
package bench
