package loopback

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.8.9.1": true, "::1": true, "[::1]": true,
		"LOCALHOST": false, "localhost.": false, "example.com": false, "10.0.0.1": false, "::": false,
		"": false, "[::1": false, "127.0.0.1.example": false, "0:0:0:0:0:0:0:1": true,
	} {
		assert.Equal(t, want, Host(host), "%q", host)
	}
	for hostport, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "localhost": true,
		"example.com:80": false, "evil.example:127": false,
	} {
		assert.Equal(t, want, HostPort(hostport), "%q", hostport)
	}
}
