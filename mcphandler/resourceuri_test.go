package mcphandler

import (
	"encoding/json"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// normalURIs are URIs in normal form: the guard matches them exactly.
var normalURIs = []string{
	"config://admin", "config://admin/", "config://admin/a/b", "file:///etc/passwd", "file:///C:/x",
	"https://example.com/", "https://example.com:8443/a?b=c", "http://127.0.0.1/", "http://[::1]/x",
	"urn:isbn:0451450523", "mem:thing", "config:%2F%2Fadmin", "config://admin/%C3%A4", "a+b-c.d://x",
	"config://admin?v=1", "config://admin_x", "config://host:0", "data:,hello", "config:////x",
}

// spelledURIs are other spellings of a resource, each refused.
var spelledURIs = map[string]string{
	"":                         "empty",
	"CONFIG://admin":           "scheme",
	"Config://admin":           "scheme",
	" config://admin":          "character",
	"config://admin ":          "character",
	"con\tfig://admin":         "character",
	"config://ad\nmin":         "character",
	"config://admin\x00":       "character",
	"\x01config://admin":       "character",
	"config://admin\r":         "character",
	"config://admin\x1f":       "character",
	"config://admin\x7f":       "character",
	"config://ädmin":           "character",
	"config:\\\\admin":         "character",
	"config://admin#":          "fragment",
	"config://admin#x":         "fragment",
	"config://admin?":          "empty query",
	"config://%61dmin":         "unreserved",
	"config://admin/%7e":       "upper-case hex",
	"config://admin/%7E":       "unreserved",
	"config://admin/%2e%2e/x":  "upper-case hex",
	"config://admin/%2E%2E/x":  "unreserved",
	"config://admin/%":         "percent",
	"config://admin/%4":        "percent",
	"config://admin/./x":       "dot segment",
	"config://admin/../admin":  "dot segment",
	"config://admin/x/..":      "dot segment",
	"config://a/b/.":           "dot segment",
	"config://Admin":           "lower-case",
	"config://u@admin":         "userinfo",
	"config://admin:":          "port",
	"config://admin:08":        "leading zero",
	"config://admin:x":         "port",
	"config://a:b:1":           "lower-case",
	"http://example.com":       "empty path",
	"http://example.com:80/":   "default port",
	"https://example.com:443/": "default port",
	"ws://example.com:80/":     "default port",
	"ftp://example.com:21/":    "default port",
	"http:example.com/":        "without an authority",
	"file:/etc/passwd":         "without an authority",
	"file://localhost/etc":     "localhost",
	"http:///x":                "empty host",
	"http://0x7f.1/":           "numeric host",
	"http://2130706433/":       "numeric host",
	"http://127.1/":            "numeric host",
	"http://127.0.0.01/":       "numeric host",
	"http://a.0x10/":           "numeric host",
	"http://[::FFFF]/":         "RFC 5952",
	"http://[0:0::1]/":         "RFC 5952",
	"http://[::ffff:1.2.3.4]/": "RFC 5952",
	"http://[::1%25eth0]/":     "RFC 5952",
	"http://[::1/":             "unterminated",
	"http://[::1]x/":           "after an IP literal",
	"http://a/?x='":            "quote",
	"://admin":                 "scheme",
	"admin":                    "scheme",
	"1config://admin":          "scheme",
}

func TestURIProblem(t *testing.T) {
	for _, u := range normalURIs {
		assert.Empty(t, uriProblem(u), "%q", u)
	}
	for u, want := range spelledURIs {
		assert.Contains(t, uriProblem(u), want, "%q", u)
	}
}

// TestNormalURIsAreWHATWGFixedPoints runs the WHATWG URL parser of Node
// (the one the TypeScript SDK looks resources up with) on every URI the
// guard accepts, from the tables and from mutations of them: each must
// parse to itself, or not parse at all.
func TestNormalURIsAreWHATWGFixedPoints(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	var candidates []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			candidates = append(candidates, s)
		}
	}
	bases := append(append([]string(nil), normalURIs...), "http://a.b/c", "https://x.example/p/q", "ws://h/", "file:///x", "ftp://h/")
	for u := range spelledURIs {
		bases = append(bases, u)
	}
	inserts := []string{"", ".", "..", "/", "%2E", "%41", "%2F", "A", ":", ":80", ":0", "@", "?", "'", "[", "]", "0x1", "1", "!", "$", "&", "(", ";", "="}
	for _, b := range bases {
		add(b)
		for i := 0; i <= len(b); i++ {
			for _, ins := range inserts {
				add(b[:i] + ins + b[i:])
			}
		}
	}
	var accepted []string
	for _, c := range candidates {
		if uriProblem(c) == "" {
			accepted = append(accepted, c)
		}
	}
	require.NotEmpty(t, accepted)
	in, err := json.Marshal(accepted)
	require.NoError(t, err)
	cmd := exec.Command(node, "-e", `
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = input.map((s) => { try { return new URL(s).href; } catch { return null; } });
process.stdout.write(JSON.stringify(out));`)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	require.NoError(t, err)
	var hrefs []*string
	require.NoError(t, json.Unmarshal(raw, &hrefs))
	require.Len(t, hrefs, len(accepted))
	changed := 0
	for i, s := range accepted {
		if hrefs[i] != nil && *hrefs[i] != s {
			changed++
			t.Errorf("accepted %q, which the WHATWG parser reads as %q", s, *hrefs[i])
		}
	}
	t.Logf("%d candidates, %d accepted, %d changed by the WHATWG parser", len(candidates), len(accepted), changed)
}

// FuzzURIProblem: uriProblem never panics, and a URI it accepts parses
// with net/url to itself.
func FuzzURIProblem(f *testing.F) {
	for _, u := range normalURIs {
		f.Add(u)
	}
	for u := range spelledURIs {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if uriProblem(s) != "" {
			return
		}
		u, err := url.Parse(s)
		require.NoError(t, err, "%q", s)
		assert.Equal(t, s, u.String(), "%q", s)
	})
}
