package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
// once with npm ci. It skips the test where Node is missing, unless CI is
// set.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Node.js and npm are required under CI: %v", err)
		}
		t.Skipf("Node.js and npm not found (%v); end-to-end tests skipped", err)
	}
	npmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = tsDir
		out, err := cmd.CombinedOutput()
		if err != nil {
			npmErr = fmt.Errorf("npm ci: %w\n%s", err, out)
		}
	})
	require.NoError(t, npmErr)
	return node
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binary builds an example command once per test run and returns its path.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "mcpauth-e2e-")
		if buildErr != nil {
			return
		}
		for _, cmd := range []string{"server", "gateway"} {
			c := exec.Command("go", "build", "-o", filepath.Join(buildDir, cmd), "github.com/mcpauth/mcpauth/examples/"+cmd)
			if out, err := c.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %w\n%s", cmd, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, name)
}

// started is a running example and what it printed.
type started struct {
	endpoint, metadata, reader, admin string
}

// start runs an example binary on a free loopback port and waits until it
// has printed its endpoint and tokens. The process is stopped when the test
// ends, and within two minutes in any case.
func start(t *testing.T, bin string, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: filepath.Base(bin) + ": "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	var s started
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
	for s.admin == "" {
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
			case strings.HasPrefix(l, "reader token:"):
				s.reader = field("reader token:")
			case strings.HasPrefix(l, "admin token:"):
				s.admin = field("admin token:")
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

// runNode runs a node command in tsDir with env, failing the test with its
// output if it fails.
func runNode(t *testing.T, node string, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
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
	cmd := exec.CommandContext(ctx, node, args...)
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
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)
