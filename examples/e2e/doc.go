// Package e2e proves mcpauth end to end: the example server and gateway
// run as real processes on loopback ports, and the official TypeScript MCP
// client (ts/, pinned in package-lock.json and installed with npm ci by the
// tests themselves) and the MCP conformance suite drive them over HTTP.
// Tests that need a real authorization server start ts/idp.mjs, an
// oidc-provider instance on loopback, with startIdP (idp_test.go).
//
// The tests need Node.js 20 or later and npm. Without them they are skipped,
// except under CI (CI=true), where their absence is a failure.
package e2e
