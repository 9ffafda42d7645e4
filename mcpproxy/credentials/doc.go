// Package credentials gives an mcpproxy gateway its own credentials for
// the upstream, so that the client's token is never forwarded (the MCP
// specification forbids token passthrough):
//
//   - [Static]: one bearer token of the gateway's, the same for every
//     request;
//   - [ClientCredentials]: the gateway's token from an OAuth 2.0 client
//     credentials grant (RFC 6749 §4.4), fetched once and renewed before it
//     expires;
//   - [TokenExchange]: a token for the upstream per user, from an RFC 8693
//     token exchange with the client's verified token as the subject and
//     the upstream's resource as the audience, cached per principal and
//     token until it expires.
//
// Each is a [Source], whose Headers method is an
// mcpproxy.Options.UpstreamHeaders:
//
//	src, err := credentials.TokenExchange(&credentials.ExchangeOptions{...})
//	proxy, err := mcpproxy.New(upstream, &mcpproxy.Options{UpstreamHeaders: src.Headers})
//
// Failures are typed, so that the gateway answers them by type: the token
// endpoint unreachable, answering 5xx or something that is not a bearer
// token, or refusing the gateway's own client credentials, is 503 with
// Retry-After (the client cannot fix it; the log says which); an exchange
// the authorization server refuses for this user (invalid_grant,
// access_denied, invalid_target and the like) is 403. Error text never
// holds a token or a secret.
//
// This package imports golang.org/x/oauth2 for the client credentials
// grant; mcpproxy itself does not.
package credentials
