// Command gateways measures the CPU an authenticating proxy spends per
// request, with every proxy a process of its own in front of one upstream:
// the go-sdk's conformance everything-server, stateless, answering
// tools/call. The setups, driven in one interleaved run:
//
//   - direct: the client talks to the upstream;
//   - bare-proxy: httputil.ReverseProxy with a pooled transport and no
//     authentication (bench/cmd/bareproxy), the floor for any Go proxy;
//   - mcpauth-gateway: cmd/mcpauth-gateway with a JWT issuer, a scope and a
//     tool policy;
//   - gateway+audit+metrics: the same with the audit log on (log level
//     info, one JSON record per decision) and Prometheus metrics;
//   - oauth2-proxy: oauth2-proxy v7.15.6 in its JWT-bearer mode
//     (--skip-jwt-bearer-tokens), the same issuer and audience.
//
// Each round drives every setup in turn (the order rotates from round to
// round so drift lands on all of them), once warm (every client reuses its
// token) and once cold (a token never seen before on every request). CPU is
// read from /proc/PID/stat (utime + stime) of the proxy and of the upstream
// before and after each batch; new TCP connections from /proc/net/snmp
// (PassiveOpens: on this loopback-only machine every accepted connection,
// client's or proxy's). Every answer is checked: a 200 carrying the tool's
// result, or the run fails.
//
//	go run ./cmd/gateways -rounds 6 -requests 3000 -clients 16
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// oauth2ProxyModule is the peer, built from the Go module proxy.
const oauth2ProxyModule = "github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6"

// audience is the resource every token names: the gateway's audience and
// oauth2-proxy's client id.
const audience = "https://mcp.bench.example/mcp"

// callBody is the request every setup serves; wantText is in the answer.
const (
	callBody = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}`
	wantText = `This is a simple text response for testing.`
)

// clockTick is the unit of /proc/PID/stat's utime and stime (USER_HZ).
const clockTick = 10 * time.Millisecond

func main() {
	clients := flag.Int("clients", 16, "concurrent keep-alive clients")
	requests := flag.Int("requests", 3000, "requests per setup, mode and round")
	rounds := flag.Int("rounds", 6, "rounds; setups alternate within each")
	o2p := flag.String("oauth2-proxy", "", "oauth2-proxy binary (default: built from "+oauth2ProxyModule+")")
	keep := flag.Bool("keep", false, "keep the build directory (binaries for a profiler)")
	only := flag.String("only", "", "drive only these setups, comma-separated, for profiling (no report)")
	mode := flag.String("mode", "", "with -only: drive only this mode (warm or cold)")
	flag.Parse()
	onlyMode = *mode
	if *only != "" {
		onlySetups = strings.Split(*only, ",")
	}
	if err := run(*clients, *requests, *rounds, *o2p, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "gateways:", err)
		os.Exit(1)
	}
}

// onlySetups and onlyMode restrict a run to some setups and a mode, for
// profiling.
var (
	onlySetups []string
	onlyMode   string
)

// setup is one way of reaching the upstream, and what it cost.
type setup struct {
	name  string
	url   string
	proxy *exec.Cmd // nil for direct
	sent  int       // requests sent, warm-up included
	modes [2]*tally // warm, cold
}

// tally is what one setup spent in one mode, summed over rounds.
type tally struct {
	requests  int
	failed    int
	elapsed   time.Duration
	proxyCPU  time.Duration
	upCPU     time.Duration
	newConns  int
	lat       []time.Duration
	perRound  []time.Duration // proxy CPU per request, each round
	upPerRnd  []time.Duration
	connRound []int
}

var modeNames = [2]string{"warm", "cold"}

func run(clients, requests, rounds int, o2pBin string, keep bool) error {
	dir, err := os.MkdirTemp("", "gateways-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	bins, err := build(dir, o2pBin)
	if err != nil {
		return err
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	idp := newIssuer(key)
	defer idp.Close()

	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	startTo := func(stderr io.Writer, name string, args ...string) (*exec.Cmd, error) {
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		procs = append(procs, cmd)
		return cmd, nil
	}
	start := func(name string, args ...string) (*exec.Cmd, error) {
		return startTo(os.Stderr, name, args...)
	}

	upAddr, bareAddr, gwAddr, auditAddr, metricsAddr, o2pAddr := freeAddr(), freeAddr(), freeAddr(), freeAddr(), freeAddr(), freeAddr()
	upstream, err := start(bins.everything, "-http="+upAddr, "-stateless=true")
	if err != nil {
		return err
	}
	bare, err := start(bins.bare, "-listen="+bareAddr, "-upstream=http://"+upAddr)
	if err != nil {
		return err
	}
	gwConfig := func(listen, extra string) (string, error) {
		path := filepath.Join(dir, "gateway-"+strings.ReplaceAll(listen, ":", "-")+".yaml")
		return path, os.WriteFile(path, []byte(fmt.Sprintf(`listen: %s
%s
issuers:
  bench: {issuer: %s, jwks_url: %s/jwks.json, algorithms: [RS256]}
routes:
  - path: /mcp
    upstream: http://%s/mcp
    issuers: [bench]
    audience: %s
    scopes: [mcp:read]
    policy:
      tools:
        test_simple_text: [mcp:read]
`, listen, extra, idp.URL, idp.URL, upAddr, audience)), 0o600)
	}
	plain, err := gwConfig(gwAddr, "log: {level: warn}")
	if err != nil {
		return err
	}
	gw, err := start(bins.gateway, "-config", plain)
	if err != nil {
		return err
	}
	audited, err := gwConfig(auditAddr, "log: {level: info, format: json}\nmetrics: {listen: "+metricsAddr+"}")
	if err != nil {
		return err
	}
	audit := &lineCounter{}
	gwAudit, err := startTo(audit, bins.gateway, "-config", audited)
	if err != nil {
		return err
	}
	o2p, err := start(bins.oauth2Proxy,
		"--http-address="+o2pAddr, "--upstream=http://"+upAddr+"/",
		"--provider=oidc", "--oidc-issuer-url="+idp.URL,
		"--client-id="+audience, "--client-secret=unused",
		"--cookie-secret=0123456789abcdef0123456789abcdef", "--cookie-secure=false",
		"--email-domain=*", "--skip-jwt-bearer-tokens=true",
		"--redirect-url=http://"+o2pAddr+"/oauth2/callback",
		"--pass-basic-auth=false",
		"--request-logging=false", "--auth-logging=false", "--standard-logging=false")
	if err != nil {
		return err
	}

	setups := []*setup{
		{name: "direct", url: "http://" + upAddr + "/mcp"},
		{name: "bare-proxy", url: "http://" + bareAddr + "/mcp", proxy: bare},
		{name: "mcpauth-gateway", url: "http://" + gwAddr + "/mcp", proxy: gw},
		{name: "gateway+audit+metrics", url: "http://" + auditAddr + "/mcp", proxy: gwAudit},
		{name: "oauth2-proxy", url: "http://" + o2pAddr + "/mcp", proxy: o2p},
	}
	for _, s := range setups {
		s.modes = [2]*tally{{}, {}}
	}

	// Tokens: one per client for the warm batches, and for the cold ones
	// a fresh token per request of a round (a setup never sees one twice;
	// no two setups share a cache).
	mint := func(n int) ([]string, error) {
		out := make([]string, n)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for w := range 2 {
			wg.Go(func() {
				for i := w; i < n; i += 2 {
					t, err := idp.mint(i)
					if err != nil {
						mu.Lock()
						first = cmpOr(first, err)
						mu.Unlock()
						return
					}
					out[i] = t
				}
			})
		}
		wg.Wait()
		return out, first
	}
	warmTokens, err := mint(clients)
	if err != nil {
		return err
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range setups {
		s.sent++ // at least the one that answered
		if err := waitReady(ctx, client, s.url, warmTokens[0]); err != nil {
			return fmt.Errorf("%s did not come up: %w", s.name, err)
		}
	}
	// Warm up: pools filled, heaps grown, keys fetched.
	for _, s := range setups {
		s.sent += 4 * clients * 8
		if _, failed, err := drive(client, s.url, warmTokens, clients, 4*clients*8); failed > 8 {
			return fmt.Errorf("%s: warm-up: %w", s.name, err)
		}
	}

	began := time.Now()
	for r := range rounds {
		cold, err := mint(requests)
		if err != nil {
			return err
		}
		for m, tokens := range [][]string{warmTokens, cold} {
			if onlySetups != nil && onlyMode != "" && onlyMode != modeNames[m] {
				continue
			}
			for i := range setups {
				s := setups[(i+r)%len(setups)]
				if onlySetups != nil && !slices.Contains(onlySetups, s.name) {
					continue
				}
				if err := measure(client, s, upstream, m, tokens, clients, requests); err != nil {
					return fmt.Errorf("round %d, %s %s: %w", r+1, s.name, modeNames[m], err)
				}
			}
		}
		fmt.Fprintf(os.Stderr, "gateways: round %d of %d done\n", r+1, rounds)
	}

	if onlySetups != nil {
		return nil
	}
	verify := rawVerify(key)
	report(os.Stdout, setups, clients, requests, rounds, time.Since(began), verify)
	for _, s := range setups {
		if f := s.modes[0].failed + s.modes[1].failed; f > 0 && s.name != "oauth2-proxy" {
			return fmt.Errorf("%s: %d requests failed", s.name, f)
		}
	}
	if records, sent := audit.lines(), byName(setups, "gateway+audit+metrics").sent; records < sent {
		return fmt.Errorf("gateway+audit+metrics: %d audit records for %d requests", records, sent)
	}
	return nil
}

// measure drives one batch and adds its costs to s.modes[m].
func measure(client *http.Client, s *setup, upstream *exec.Cmd, m int, tokens []string, clients, n int) error {
	p0, err := cpuOf(s.proxy)
	if err != nil {
		return err
	}
	u0, err := cpuOf(upstream)
	if err != nil {
		return err
	}
	c0, err := passiveOpens()
	if err != nil {
		return err
	}
	t0 := time.Now()
	lat, failed, err := drive(client, s.url, tokens, clients, n)
	s.sent += n
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "gateways: %s %s: %d of %d requests failed: %v\n", s.name, modeNames[m], failed, n, err)
	}
	if failed > n/100 {
		return err
	}
	took := time.Since(t0)
	p1, err := cpuOf(s.proxy)
	if err != nil {
		return err
	}
	u1, err := cpuOf(upstream)
	if err != nil {
		return err
	}
	c1, err := passiveOpens()
	if err != nil {
		return err
	}
	t := s.modes[m]
	t.requests += n
	t.failed += failed
	t.elapsed += took
	t.proxyCPU += p1 - p0
	t.upCPU += u1 - u0
	t.newConns += c1 - c0
	t.lat = append(t.lat, lat...)
	t.perRound = append(t.perRound, (p1-p0)/time.Duration(n))
	t.upPerRnd = append(t.upPerRnd, (u1-u0)/time.Duration(n))
	t.connRound = append(t.connRound, c1-c0)
	return nil
}

// drive sends n tools/call requests from clients concurrent workers; with
// as many tokens as clients each worker reuses its own, otherwise request
// i carries tokens[i]. It returns the latencies of the answered requests
// and how many failed, with the first failure.
func drive(client *http.Client, url string, tokens []string, clients, n int) ([]time.Duration, int, error) {
	lat := make([][]time.Duration, clients)
	fails := make([]int, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			for i := w; i < n; i += clients {
				tok := tokens[w%len(tokens)]
				if len(tokens) >= n {
					tok = tokens[i]
				}
				t0 := time.Now()
				if err := call(client, url, tok); err != nil {
					fails[w]++
					errs[w] = cmpOr(errs[w], fmt.Errorf("request %d: %w", i, err))
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	failed := 0
	for _, f := range fails {
		failed += f
	}
	return slices.Concat(lat...), failed, errors.Join(errs...)
}

// call sends one tools/call and checks that its answer is the tool's.
func call(client *http.Client, url, token string) error {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(callBody))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(wantText)) || !bytes.Contains(body, []byte(`"id":7`)) {
		return fmt.Errorf("status %d, body %.300q", resp.StatusCode, body)
	}
	return nil
}

func waitReady(ctx context.Context, client *http.Client, url, token string) error {
	var err error
	for ctx.Err() == nil {
		if err = call(client, url, token); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// cpuOf is the user and system CPU the process has used, all its threads;
// zero for no process.
func cpuOf(cmd *exec.Cmd) (time.Duration, error) {
	if cmd == nil {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis (field 3 is the state).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", cmd.Process.Pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", cmd.Process.Pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// passiveOpens is the machine's count of accepted TCP connections.
func passiveOpens() (int, error) {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "PassiveOpens" && i < len(fields) {
				return strconv.Atoi(fields[i])
			}
		}
	}
	return 0, errors.New("/proc/net/snmp: no Tcp PassiveOpens")
}

// rawVerify is the CPU of one RS256 signature check with crypto/rsa, the
// part of a cold request no cache can save.
func rawVerify(key *rsa.PrivateKey) time.Duration {
	digest := sha256.Sum256([]byte("header.payload"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return 0
	}
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			_ = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig)
		}
	})
	return time.Duration(r.NsPerOp())
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func byName(setups []*setup, name string) *setup {
	for _, s := range setups {
		if s.name == name {
			return s
		}
	}
	return nil
}

// lineCounter counts the lines written to it: the audit records of the
// audited gateway, which must be one per request at least.
type lineCounter struct {
	mu sync.Mutex
	n  int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += bytes.Count(p, []byte{'\n'})
	c.mu.Unlock()
	return len(p), nil
}

func (c *lineCounter) lines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// issuer is the identity provider every authenticating setup trusts: its
// OpenID discovery document (oauth2-proxy reads it) and its JWKS.
type issuer struct {
	*httptest.Server
	key *rsa.PrivateKey
	run string
}

func newIssuer(key *rsa.PrivateKey) *issuer {
	idp := &issuer{key: key, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks.json",
			"authorization_endpoint": idp.URL + "/authorize", "token_endpoint": idp.URL + "/token",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
			"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	idp.Server = httptest.NewUnstartedServer(mux)
	idp.Start() // once idp.Server is set: the handlers read idp.URL
	return idp
}

// mint signs token number i of this run: RS256, the claims both
// authenticating setups need (oauth2-proxy wants a verified email).
func (idp *issuer) mint(i int) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": idp.URL, "aud": audience, "sub": "user-" + strconv.Itoa(i%64),
		"email": "user" + strconv.Itoa(i%64) + "@bench.example", "email_verified": true,
		"scope": "mcp:read", "jti": idp.run + "-" + strconv.Itoa(i),
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	t.Header["kid"] = "bench"
	return t.SignedString(idp.key)
}

// binaries are the programs the run starts.
type binaries struct{ everything, bare, gateway, oauth2Proxy string }

// build compiles the upstream, the bare proxy and the gateway from this
// checkout, and oauth2-proxy from its module unless given.
func build(dir, o2p string) (binaries, error) {
	b := binaries{
		everything:  filepath.Join(dir, "everything-server"),
		bare:        filepath.Join(dir, "bareproxy"),
		gateway:     filepath.Join(dir, "mcpauth-gateway"),
		oauth2Proxy: o2p,
	}
	steps := []*exec.Cmd{
		exec.Command("go", "build", "-o", b.everything, "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"),
		exec.Command("go", "build", "-o", b.bare, "./cmd/bareproxy"),
		exec.Command("go", "build", "-o", b.gateway, "./cmd/mcpauth-gateway"),
	}
	steps[2].Dir = ".."
	if o2p == "" {
		b.oauth2Proxy = filepath.Join(dir, "oauth2-proxy")
		in := exec.Command("go", "install", oauth2ProxyModule)
		in.Env = append(os.Environ(), "GOBIN="+dir)
		steps = append(steps, in)
	}
	for _, s := range steps {
		s.Stdout, s.Stderr = os.Stderr, os.Stderr
		if err := s.Run(); err != nil {
			return b, fmt.Errorf("%s: %w", strings.Join(s.Args, " "), err)
		}
	}
	return b, nil
}

// report writes the results as markdown.
func report(w io.Writer, setups []*setup, clients, requests, rounds int, took, verify time.Duration) {
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
	per := func(t *tally, d time.Duration) time.Duration { return d / time.Duration(max(t.requests, 1)) }
	fmt.Fprintf(w, "%d rounds of %d `tools/call` requests per setup and mode at %d concurrent keep-alive clients, "+
		"%s in all; CPU of each process from `/proc/PID/stat` (10 ms ticks, summed over the rounds), "+
		"new connections from `/proc/net/snmp` (the whole machine's accepted TCP connections, clients' included). "+
		"Warm: each client reuses its token. Cold: every request carries a token never seen before. "+
		"One RS256 signature check (crypto/rsa) costs %.0f µs of CPU in this run.\n\n",
		rounds, requests, clients, took.Round(time.Second), float64(verify)/float64(time.Microsecond))
	named := map[string]*setup{}
	for _, s := range setups {
		named[s.name] = s
	}
	for m, mode := range modeNames {
		fmt.Fprintf(w, "**%s**\n\n", mode)
		fmt.Fprintln(w, "| setup | requests/s | p50 | p99 | proxy CPU per request (rounds' range) | upstream CPU per request | new connections | failed | proxy CPU vs bare-proxy | vs oauth2-proxy |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
		bare := named["bare-proxy"].modes[m]
		peer := named["oauth2-proxy"].modes[m]
		for _, s := range setups {
			t := s.modes[m]
			slices.Sort(t.lat)
			rng := "–"
			cpu, vsBare, vsPeer := "–", "–", "–"
			if s.proxy != nil {
				cpu = us(per(t, t.proxyCPU))
				rng = us(slices.Min(t.perRound)) + "–" + us(slices.Max(t.perRound))
				vsBare = fmt.Sprintf("%.2fx", float64(t.proxyCPU)/float64(max(bare.proxyCPU, 1)))
				vsPeer = fmt.Sprintf("%.2fx", float64(t.proxyCPU)/float64(max(peer.proxyCPU, 1)))
				cpu += " (" + rng + ")"
			}
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %s | %d | %d | %s | %s |\n", s.name,
				float64(t.requests)/t.elapsed.Seconds(), pct(t.lat, 50), pct(t.lat, 99),
				cpu, us(per(t, t.upCPU)), t.newConns, t.failed, vsBare, vsPeer)
		}
		fmt.Fprintln(w)
	}
	gw := named["mcpauth-gateway"].modes
	bare := named["bare-proxy"].modes
	peer := named["oauth2-proxy"].modes
	cpu := func(t *tally) time.Duration { return per(t, t.proxyCPU) }
	fmt.Fprintln(w, "| target | this run | met |\n| --- | --- | --- |")
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	warmRatio := float64(gw[0].proxyCPU) / float64(max(bare[0].proxyCPU, 1))
	fmt.Fprintf(w, "| warm: gateway ≤ 1.05x the bare proxy's CPU per request | %.2fx (%s against %s) | %s |\n",
		warmRatio, us(cpu(gw[0])), us(cpu(bare[0])), yes(warmRatio <= 1.05))
	limit := cpu(bare[1]) + verify*12/10
	fmt.Fprintf(w, "| cold: gateway ≤ the bare proxy + 1.2x one signature check | %s against %s + %s = %s | %s |\n",
		us(cpu(gw[1])), us(cpu(bare[1])), us(verify*12/10), us(limit), yes(cpu(gw[1]) <= limit))
	for m, mode := range modeNames {
		r := float64(gw[m].proxyCPU) / float64(max(peer[m].proxyCPU, 1))
		fmt.Fprintf(w, "| %s: gateway ≤ 0.5x oauth2-proxy's CPU per request | %.2fx (%s against %s) | %s |\n",
			mode, r, us(cpu(gw[m])), us(cpu(peer[m])), yes(r <= 0.5))
	}
	fmt.Fprintf(w, "| no upstream connection opened in steady state at %d clients (pool: 64) | %d new connections in %d gateway requests | %s |\n",
		clients, gw[0].newConns+gw[1].newConns, gw[0].requests+gw[1].requests, yes(gw[0].newConns+gw[1].newConns == 0))
}

func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "–"
	}
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond).String()
}
