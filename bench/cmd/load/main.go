// Command load drives MCP servers over loopback with keep-alive clients
// issuing tools/call, and reports requests per second and latency
// percentiles per setup. The setups share one go-sdk MCP server
// implementation, one RS256 key and one golang-jwt verifier:
//
//   - go-sdk-auth: the SDK's own auth.RequireBearerToken with the verifier;
//   - mcpauth-cold: mcpauth (jwtverify, middleware, mcphandler guard with a
//     tool policy, gosdk adapter) with its verified-token cache off;
//   - mcpauth-warm: the same with the cache on (the default).
//
// Rounds alternate between the setups so that drift on a shared machine
// lands on all of them. The run is bounded in requests and time.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/middleware/jwtverify"
)

const (
	issuer   = "https://idp.example"
	audience = "https://mcp.example/mcp"
)

func main() {
	clients := flag.Int("clients", 8, "concurrent keep-alive clients per setup")
	perRound := flag.Int("requests", 2000, "tools/call requests per setup per round")
	rounds := flag.Int("rounds", 5, "rounds; setups alternate within each")
	maxTime := flag.Duration("max", 3*time.Minute, "stop after this long in any case")
	only := flag.String("only", "", "run only the setup of this name")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	onlySetup = *only
	if err := run(*clients, *perRound, *rounds, *maxTime); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// onlySetup restricts a run to one setup, for profiling.
var onlySetup string

type setup struct {
	name    string
	handler http.Handler
	lat     []time.Duration
	elapsed time.Duration
}

func run(clients, perRound, rounds int, maxTime time.Duration) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": "load", "scope": "mcp:read",
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(key)
	if err != nil {
		return err
	}
	setups := []*setup{{name: "go-sdk-auth"}, {name: "mcpauth-cold"}, {name: "mcpauth-warm"}}
	setups[0].handler = goSDKAuth(&key.PublicKey)
	for i, cache := range []bool{false, true} {
		if setups[i+1].handler, err = mcpAuth(&key.PublicKey, cache); err != nil {
			return err
		}
	}

	deadline := time.Now().Add(maxTime)
	for range rounds {
		for _, s := range setups {
			if time.Now().After(deadline) {
				break
			}
			if onlySetup != "" && s.name != onlySetup {
				continue
			}
			lat, took, err := drive(s.handler, token, clients, perRound)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.lat = append(s.lat, lat...)
			s.elapsed += took
		}
	}

	fmt.Printf("| setup | requests | requests/s | p50 | p99 | vs go-sdk-auth (req/s) |\n| --- | --- | --- | --- | --- | --- |\n")
	base := float64(len(setups[0].lat)) / setups[0].elapsed.Seconds()
	for _, s := range setups {
		if len(s.lat) == 0 {
			continue
		}
		slices.Sort(s.lat)
		rps := float64(len(s.lat)) / s.elapsed.Seconds()
		fmt.Printf("| %s | %d | %.0f | %s | %s | %.2fx |\n", s.name, len(s.lat), rps,
			pct(s.lat, 50), pct(s.lat, 99), rps/base)
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(time.Microsecond)
}

// newMCPServer is the server every setup serves: one echo tool.
func newMCPServer() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "load", Version: "1"}, nil)
	type text struct {
		Text string `json:"text"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in text) (*mcp.CallToolResult, text, error) {
		return nil, in, nil
	})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)})
}

func goSDKAuth(pub *rsa.PublicKey) http.Handler {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer),
		jwt.WithAudience(audience), jwt.WithExpirationRequired())
	key := func(*jwt.Token) (any, error) { return pub, nil }
	verify := func(_ context.Context, tok string, _ *http.Request) (*auth.TokenInfo, error) {
		var c jwt.RegisteredClaims
		if _, err := p.ParseWithClaims(tok, &c, key); err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		return &auth.TokenInfo{UserID: c.Subject, Expiration: c.ExpiresAt.Time}, nil
	}
	return auth.RequireBearerToken(verify, nil)(newMCPServer())
}

func mcpAuth(pub *rsa.PublicKey, cache bool) (http.Handler, error) {
	v, err := jwtverify.New(&jwtverify.Options{
		Algorithms: []string{"RS256"}, Issuers: []string{issuer}, Audiences: []string{audience},
		Keys: []jwtverify.Key{{PublicKey: pub}}, Cache: jwtverify.CacheOptions{Disabled: !cache},
	})
	if err != nil {
		return nil, err
	}
	a, err := middleware.New(v, nil)
	if err != nil {
		return nil, err
	}
	guard, err := mcphandler.New(gosdk.Handler(newMCPServer()), &mcphandler.Options{
		Challenge: a.Challenge(),
		Policy:    &mcphandler.Policy{Tools: map[string][]string{"echo": {"mcp:read"}}},
	})
	if err != nil {
		return nil, err
	}
	return a.Handler(guard), nil
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}`
const callBody = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`

// drive serves h on a loopback port and sends n tools/call requests from
// clients keep-alive clients, each in its own session.
func drive(h http.Handler, token string, clients, n int) ([]time.Duration, time.Duration, error) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, n)
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	for c := range clients {
		count := n / clients
		if c < n%clients {
			count++
		}
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()
			sid, err := post(client, srv.URL, token, "", initBody)
			if err == nil {
				_, err = post(client, srv.URL, token, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			}
			local := make([]time.Duration, 0, count)
			for i := 0; i < count && err == nil; i++ {
				t0 := time.Now()
				_, err = post(client, srv.URL, token, sid, callBody)
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, time.Since(start), errors.Join(errs...)
}

func post(c *http.Client, url, token, sid, body string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("Mcp-Session-Id"), nil
}
