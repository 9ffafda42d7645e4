package main

import (
	"bytes"
	"context"
	"encoding/json"
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
// at debug level (they may say anything, secrets included). It splits
// lines as they are written, holding at most maxStderrLine bytes of an
// unfinished one, and needs no goroutine: nothing of it outlives its
// bridge. Lines longer than maxStderrLine are cut.
type stderrLog struct {
	log   *slog.Logger
	route string

	mu   sync.Mutex
	line []byte // the unfinished line, at most maxStderrLine bytes
	cut  bool   // the unfinished line was longer
}

func (s *stderrLog) Write(p []byte) (int, error) {
	n := len(p)
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return n, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 {
		end := bytes.IndexByte(p, '\n')
		part := p
		if end >= 0 {
			part = p[:end]
		}
		room := maxStderrLine - len(s.line)
		if len(part) > room {
			part, s.cut = part[:room], true
		}
		s.line = append(s.line, part...)
		if end < 0 {
			break
		}
		s.emit()
		p = p[end+1:]
	}
	return n, nil
}

// emit logs the finished line.
func (s *stderrLog) emit() {
	line := bytes.TrimSuffix(s.line, []byte{'\r'})
	s.log.Debug("mcpauth-gateway: stdio server stderr", slog.String("route", s.route), slog.String("line", string(line)), slog.Bool("cut", s.cut))
	s.line, s.cut = s.line[:0], false
}
