package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tsDir holds the TypeScript client tests and their pinned packages.
var tsDir, _ = filepath.Abs("ts")

var (
	npmOnce sync.Once
	npmErr  error
)

// needNode returns the node binary, after installing the pinned packages
// once with npm ci. Where Node, npm or the packages cannot be had it skips
// the test with the reason, unless CI is set: under CI that is a failure.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err == nil {
		npmOnce.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
			cmd.Dir = tsDir
			if out, err := cmd.CombinedOutput(); err != nil {
				npmErr = fmt.Errorf("npm ci in %s: %w\n%s", tsDir, err, out)
			}
		})
		err = npmErr
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the end-to-end tests need Node.js, npm and their pinned packages under CI: %v", err)
		}
		t.Skipf("end-to-end test skipped: %v", err)
	}
	return node
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// TestMain removes the binaries the tests built, and fails the run if
// any example wrote a token or secret it was given to its log.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	if err := checkLogs(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		code = 1
	}
	os.Exit(code)
}

// What the examples logged in this run, and the secrets they were given:
// every example runs at -log-level debug, audit records included, and no
// line of it may carry a token, a token's signature or a client secret.
var (
	logMu   sync.Mutex
	logged  bytes.Buffer
	secrets = map[string]bool{}
)

// secret registers a token or secret the examples must never log.
func secret(s string) string {
	if len(s) < 12 {
		return s // too short to tell from ordinary text
	}
	logMu.Lock()
	defer logMu.Unlock()
	secrets[s] = true
	if parts := strings.Split(s, "."); len(parts) == 3 && len(parts[2]) >= 12 {
		secrets[parts[2]] = true // a JWT's signature alone is as good as the token
	}
	return s
}

// checkLogs reports a secret found in the examples' logs. It refuses to
// pass vacuously: with secrets given out, the logs must hold audit
// records, or they were not captured.
func checkLogs() error {
	logMu.Lock()
	defer logMu.Unlock()
	if len(secrets) == 0 {
		return nil
	}
	if !bytes.Contains(logged.Bytes(), []byte("mcpauth: decision")) {
		return errors.New("the examples' logs hold no audit record: the check for tokens in logs would prove nothing")
	}
	for s := range secrets {
		if i := bytes.Index(logged.Bytes(), []byte(s)); i >= 0 {
			line := logged.Bytes()[max(0, i-200):min(logged.Len(), i+len(s)+40)]
			return fmt.Errorf("an example logged a secret it was given (%d bytes of %d registered): ...%s", len(s), len(secrets), strings.ReplaceAll(string(line), s, "<SECRET>"))
		}
	}
	return nil
}

// binary builds an example command once per test run and returns its path.
// The tests read every source file the binaries and the Node tests are
// made of, so that Go's test cache, which tracks the files a test opens,
// reruns them when any of those files changes.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildErr = readSources(); buildErr != nil {
			return
		}
		buildDir, buildErr = os.MkdirTemp("", "mcpauth-e2e-")
		if buildErr != nil {
			return
		}
		for _, cmd := range []string{"examples/server", "examples/gateway", "cmd/mcpauth-gateway"} {
			c := exec.Command("go", "build", "-o", filepath.Join(buildDir, filepath.Base(cmd)), "github.com/mcpauth/mcpauth/"+cmd)
			if out, err := c.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %w\n%s", cmd, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, name)
}

// readSources opens every file of the module that the built binaries and
// the Node tests depend on: Go sources, go.mod and go.sum, and the
// TypeScript tests with their package files. Opening is what the test
// cache records; the contents are not used.
func readSources() error {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".mod", ".sum", ".mjs", ".json":
			_, err = os.ReadFile(path)
		}
		return err
	})
}

// started is a running example and what it printed.
type started struct {
	endpoint, metadata, reader, admin string
	// metrics is the base URL of -metrics-addr's listener, "" without it.
	metrics string
	// stop stops the process (SIGTERM, then a kill), as a crash or a
	// rolling restart would; the test's cleanup does it otherwise.
	stop func()
}

// start runs an example binary on a free loopback port and waits until it
// has printed its endpoint and tokens. The process is stopped when the test
// ends, and within two minutes in any case.
func start(t *testing.T, bin string, args ...string) started {
	t.Helper()
	return startExample(t, bin, true, args...)
}

// startExample is start; with tokens false it waits only for the endpoint
// and identity settings, as an example pointed at a real identity provider
// prints no tokens.
func startExample(t *testing.T, bin string, tokens bool, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	// Debug logging, audit records and all, for checkLogs; a test's own
	// -log-level comes later and wins.
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0", "-log-level", "debug"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: filepath.Base(bin) + ": "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			cancel()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)

	s := started{stop: stop}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	deadline := time.After(30 * time.Second)
	audience := false
	for (tokens && s.admin == "") || (!tokens && !audience) {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "%s exited before printing its tokens", bin)
			field := func(prefix string) string {
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), prefix))
			}
			switch l := strings.TrimSpace(line); {
			case strings.HasPrefix(l, "MCP endpoint:"):
				s.endpoint = field("MCP endpoint:")
			case strings.HasPrefix(l, "resource metadata:"):
				s.metadata = field("resource metadata:")
			case strings.HasPrefix(l, "metrics:"):
				u, _, _ := strings.Cut(field("metrics:"), " ")
				s.metrics = strings.TrimSuffix(u, "/metrics")
			case strings.HasPrefix(l, "reader token:"):
				s.reader = secret(field("reader token:"))
			case strings.HasPrefix(l, "admin token:"):
				s.admin = secret(field("admin token:"))
			case strings.HasPrefix(l, "audience:"):
				audience = true
			}
		case <-deadline:
			t.Fatalf("%s printed no tokens within 30s", bin)
		}
	}
	go func() {
		for range lines { // keep draining stdout
		}
	}()
	require.NotEmpty(t, s.endpoint)
	require.NotEmpty(t, s.metadata)
	return s
}

// nodeTestFlags make the Node test runner report a failure at once: it
// exits when the tests are done even if a connection is left open, and a
// test that hangs fails after 30 seconds.
var nodeTestFlags = []string{"--test-force-exit", "--test-timeout=30000"}

// nodeArgs puts nodeTestFlags after --test.
func nodeArgs(args []string) []string {
	if len(args) > 0 && args[0] == "--test" {
		return append(append([]string{"--test"}, nodeTestFlags...), args[1:]...)
	}
	return args
}

// runNode runs a node command in tsDir with env, failing the test with its
// output if it fails.
func runNode(t *testing.T, node string, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, nodeArgs(args)...)
	cmd.Dir = tsDir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "node %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// runNodeAllowFailure is runNode for commands whose exit status reports
// findings rather than a broken run.
func runNodeAllowFailure(t *testing.T, node string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, nodeArgs(args)...)
	cmd.Dir = tsDir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// testWriter forwards a process's stderr to the test log.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimRight(string(p), "\n"))
	logMu.Lock()
	logged.Write(p)
	logMu.Unlock()
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)
