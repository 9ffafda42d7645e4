package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/mcpproxy/stdio"
)

// bridges are the stdio bridges of the running configuration, kept across
// reloads: a route whose command and settings did not change keeps its
// processes, and so its sessions.
type bridges struct {
	mu  sync.Mutex
	cur map[string]*stdio.Bridge // by bridgeKey
}

// bridgeKey identifies a route's bridge: its path and everything the
// processes are started with.
func bridgeKey(path string, o *stdio.Options) string {
	b, _ := json.Marshal(struct {
		Path              string
		Command, Env      []string
		Dir               string
		Max, PerPrincipal int
		Idle, Call        time.Duration
	}{path, o.Command, o.Env, o.Dir, o.MaxChildren, o.MaxPerPrincipal, o.IdleTimeout, o.CallTimeout})
	return string(b)
}

// stdioOptions are the bridge options of command route rc. pass_env is
// read from the gateway's environment now: a reload picks up a change.
func stdioOptions(rc *RouteConfig, log *slog.Logger) *stdio.Options {
	o := &stdio.Options{Command: rc.Command, Env: []string{}, Logger: log}
	if s := rc.Stdio; s != nil {
		for _, name := range s.PassEnv {
			if v, ok := os.LookupEnv(name); ok {
				o.Env = append(o.Env, name+"="+v)
			}
		}
		for name, v := range s.Env {
			o.Env = append(o.Env, name+"="+v)
		}
		o.Dir, o.MaxChildren, o.MaxPerPrincipal = s.Dir, s.MaxProcesses, s.MaxPerPrincipal
		o.IdleTimeout, o.CallTimeout = time.Duration(s.IdleTimeout), time.Duration(s.CallTimeout)
	}
	sort.Strings(o.Env)
	return o
}

// bridge returns the bridge of command route rc: the running one when
// nothing changed, else a new one recorded in out (adopted if out is
// swapped in, closed if not).
func (rt *runtime) bridge(rc *RouteConfig, out *routes) (*stdio.Bridge, error) {
	o := stdioOptions(rc, rt.log)
	key := bridgeKey(rc.Path, o)
	rt.bridges.mu.Lock()
	b := rt.bridges.cur[key]
	rt.bridges.mu.Unlock()
	if b == nil {
		o.Stderr = &stderrLog{log: rt.log, route: rc.Path}
		var err error
		if b, err = stdio.New(o); err != nil {
			return nil, err
		}
		out.fresh = append(out.fresh, b)
	}
	if out.bridges == nil {
		out.bridges = map[string]*stdio.Bridge{}
	}
	out.bridges[key] = b
	return b, nil
}

// adopt makes next's bridges the running ones; those it no longer uses
// end after delay, as the replaced routes' verifiers do.
func (rt *runtime) adopt(next *routes, delay time.Duration) {
	rt.bridges.mu.Lock()
	defer rt.bridges.mu.Unlock()
	for key, b := range rt.bridges.cur {
		if next.bridges[key] != b {
			time.AfterFunc(delay, func() { _ = b.Close(context.Background()) })
		}
	}
	rt.bridges.cur = next.bridges
}

// closeBridges ends every process of the running bridges.
func (rt *runtime) closeBridges(ctx context.Context) {
	rt.bridges.mu.Lock()
	cur := rt.bridges.cur
	rt.bridges.cur = nil
	rt.bridges.mu.Unlock()
	var wg sync.WaitGroup
	for _, b := range cur {
		wg.Go(func() { _ = b.Close(ctx) })
	}
	wg.Wait()
}

// maxStderrLine bounds one logged line of a process's standard error.
const maxStderrLine = 4 << 10

// stderrLog logs the lines a route's processes write to standard error,
// at debug level (they may say anything, secrets included).
type stderrLog struct {
	log   *slog.Logger
	route string
	once  sync.Once
	w     *io.PipeWriter
}

func (s *stderrLog) Write(p []byte) (int, error) {
	s.once.Do(func() {
		r, w := io.Pipe()
		s.w = w
		go func() {
			br := bufio.NewReaderSize(r, maxStderrLine)
			for {
				line, isPrefix, err := br.ReadLine()
				if err != nil {
					return
				}
				s.log.Debug("mcpauth-gateway: stdio server stderr", slog.String("route", s.route), slog.String("line", string(line)), slog.Bool("cut", isPrefix))
				for isPrefix && err == nil {
					_, isPrefix, err = br.ReadLine() // the rest of a long line
				}
			}
		}()
	})
	return s.w.Write(p)
}
