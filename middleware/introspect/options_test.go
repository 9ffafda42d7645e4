package introspect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validOptions() Options {
	return Options{
		Endpoint:     "https://idp.example/introspect",
		ClientID:     "id",
		ClientSecret: "secret",
		Issuers:      []string{testIss},
		Audiences:    []string{testAud},
	}
}

// TestNewRefusesUnsafeConfig: every configuration that would accept what
// it should not, or send credentials where it should not, fails in New.
func TestNewRefusesUnsafeConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"nil options", nil},
		{"no endpoint", func(o *Options) { o.Endpoint = "" }},
		{"relative endpoint", func(o *Options) { o.Endpoint = "/introspect" }},
		{"no host", func(o *Options) { o.Endpoint = "https:///introspect" }},
		{"http endpoint", func(o *Options) { o.Endpoint = "http://idp.example/introspect" }},
		{"http on a name ending in a loopback address", func(o *Options) { o.Endpoint = "http://127.0.0.1.nip.io/introspect" }},
		{"http on localhost.example", func(o *Options) { o.Endpoint = "http://localhost.example/introspect" }},
		{"other scheme", func(o *Options) { o.Endpoint = "ftp://idp.example/introspect" }},
		{"fragment", func(o *Options) { o.Endpoint = "https://idp.example/introspect#x" }},
		{"empty fragment", func(o *Options) { o.Endpoint = "https://idp.example/introspect#" }},
		{"user info", func(o *Options) { o.Endpoint = "https://id:secret@idp.example/introspect" }},
		{"unparsable", func(o *Options) { o.Endpoint = "https://idp.example/%zz" }},
		{"no client id", func(o *Options) { o.ClientID = "" }},
		{"no client secret", func(o *Options) { o.ClientSecret = "" }},
		{"no client secret with post", func(o *Options) { o.ClientSecret, o.AuthMethod = "", AuthClientSecretPost }},
		{"unknown auth method", func(o *Options) { o.AuthMethod = "private_key_jwt" }},
		{"auth method in another case", func(o *Options) { o.AuthMethod = "Client_Secret_Basic" }},
		{"auth method none", func(o *Options) { o.AuthMethod = "none" }},
		{"no issuers", func(o *Options) { o.Issuers = nil }},
		{"empty issuer", func(o *Options) { o.Issuers = []string{testIss, ""} }},
		{"missing issuer allowed with two", func(o *Options) { o.AllowMissingIssuer, o.Issuers = true, []string{testIss, "https://b.example"} }},
		{"no audiences", func(o *Options) { o.Audiences = nil }},
		{"audiences and any", func(o *Options) { o.AnyAudience = true }},
		{"empty audience", func(o *Options) { o.Audiences = []string{""} }},
		{"audience with fragment", func(o *Options) { o.Audiences = []string{testAud + "#a"} }},
		{"empty scope claim", func(o *Options) { o.ScopeClaims = []string{"scope", ""} }},
		{"negative leeway", func(o *Options) { o.Leeway = -2 * time.Second }},
		{"negative max token bytes", func(o *Options) { o.MaxTokenBytes = -1 }},
		{"negative max response bytes", func(o *Options) { o.MaxResponseBytes = -1 }},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }},
		{"negative retry after", func(o *Options) { o.RetryAfter = -time.Second }},
		{"negative cache entries", func(o *Options) { o.Cache.MaxEntries = -1 }},
		{"negative cache ttl", func(o *Options) { o.Cache.TTL = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts *Options
			if tc.edit != nil {
				o := validOptions()
				tc.edit(&o)
				opts = &o
			}
			v, err := New(opts)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.Regexp(t, "^introspect: ", err.Error())
			assert.NotContains(t, err.Error(), "secret@", "no credentials in errors")
		})
	}
}

func TestNewAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"defaults", nil},
		{"http on 127.0.0.1", func(o *Options) { o.Endpoint = "http://127.0.0.1:8080/introspect" }},
		{"http on [::1]", func(o *Options) { o.Endpoint = "http://[::1]:8080/introspect" }},
		{"http on localhost", func(o *Options) { o.Endpoint = "http://localhost/introspect" }},
		{"endpoint with query", func(o *Options) { o.Endpoint = "https://idp.example/introspect?realm=a" }},
		{"post", func(o *Options) { o.AuthMethod = AuthClientSecretPost }},
		{"missing issuer with one", func(o *Options) { o.AllowMissingIssuer = true }},
		{"any audience", func(o *Options) { o.Audiences, o.AnyAudience = nil, true }},
		{"no leeway", func(o *Options) { o.Leeway = NoLeeway }},
		{"cache disabled", func(o *Options) { o.Cache.Disabled = true }},
		{"small cache", func(o *Options) { o.Cache.MaxEntries = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validOptions()
			if tc.edit != nil {
				tc.edit(&o)
			}
			v, err := New(&o)
			require.NoError(t, err)
			require.NotNil(t, v)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	o := validOptions()
	v, err := New(&o)
	require.NoError(t, err)
	assert.Equal(t, DefaultLeeway, v.leeway)
	assert.Equal(t, 5*time.Second, v.timeout)
	assert.Equal(t, 5*time.Second, v.retryAfter)
	assert.EqualValues(t, 64<<10, v.maxResponseBytes)
	assert.Equal(t, 8<<10, v.maxTokenBytes)
	assert.Equal(t, []string{"scope"}, v.scopeClaims)
	require.NotNil(t, v.cache)
	assert.Equal(t, time.Minute, v.cache.ttl)
	assert.Equal(t, 10000, v.cache.perShard*len(v.cache.shards))
	assert.NotEmpty(t, v.basicAuth)
	assert.NotNil(t, v.client.CheckRedirect, "same-origin redirects only")

	o.Leeway = NoLeeway
	o.Cache.Disabled = true
	v, err = New(&o)
	require.NoError(t, err)
	assert.Zero(t, v.leeway)
	assert.Nil(t, v.cache)

	// The caller's slices are copied, not kept.
	o = validOptions()
	o.ScopeClaims = []string{"scp"}
	v, err = New(&o)
	require.NoError(t, err)
	o.ScopeClaims[0] = "other"
	assert.Equal(t, []string{"scp"}, v.scopeClaims)
}
