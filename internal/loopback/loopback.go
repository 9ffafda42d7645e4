// Package loopback decides whether a host names the local machine, the
// one rule for where plain http and same-origin loopback requests are
// allowed.
package loopback

import "net"

// Host reports whether host — a name, an IP address, or an IPv6 address
// in brackets, without a port — is "localhost" or a loopback address.
func Host(host string) bool {
	if host == "localhost" {
		return true
	}
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HostPort is [Host] for a host with an optional port, as in a Host
// header.
func HostPort(hostport string) bool {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return Host(hostport)
}
