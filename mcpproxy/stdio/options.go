package stdio

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Defaults of [Options].
const (
	DefaultMaxChildren     = 32
	DefaultMaxPerPrincipal = 4
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultCallTimeout     = 10 * time.Minute
	DefaultStopTimeout     = 5 * time.Second
	DefaultMaxMessageBytes = 4 << 20
)

// Options configure a [Bridge].
type Options struct {
	// Command is the program and its arguments, such as
	// {"npx", "-y", "@modelcontextprotocol/server-everything", "stdio"}.
	// Required. The program is looked up in the gateway's PATH.
	Command []string
	// Env is the child's whole environment, "NAME=value" entries. Nothing
	// of the gateway's own environment is passed: a child that needs PATH
	// or HOME must be given them here.
	Env []string
	// Dir is the child's working directory; "" is the gateway's.
	Dir string
	// MaxChildren caps the children running at once; default
	// DefaultMaxChildren. A session past it is refused with 503.
	MaxChildren int
	// MaxPerPrincipal caps the children of one principal; default
	// DefaultMaxPerPrincipal. A session past it is refused with 429.
	MaxPerPrincipal int
	// IdleTimeout ends a child that served no request for that long;
	// default DefaultIdleTimeout. An open GET stream counts as a request.
	IdleTimeout time.Duration
	// CallTimeout bounds the wait for the child's answer to one request;
	// default DefaultCallTimeout. The client gets 504 and the child a
	// cancellation.
	CallTimeout time.Duration
	// StopTimeout is how long a child has to exit after its stdin closes,
	// and again after SIGTERM, before it is killed; default
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// MaxMessageBytes bounds one message from the child; default
	// DefaultMaxMessageBytes. A child that writes a longer one is ended.
	// The messages of one child waiting for its clients hold at most four
	// times as much; past that they are dropped.
	MaxMessageBytes int
	// Stderr receives the children's standard error; default discarded.
	Stderr io.Writer
	// Logger receives the children's starts and ends; default
	// slog.Default().
	Logger *slog.Logger
}

// config is Options validated, defaults applied.
type config struct {
	command         []string
	env             []string
	dir             string
	maxChildren     int
	maxPerPrincipal int
	idle, call      time.Duration
	stop            time.Duration
	maxMessage      int
	stderr          io.Writer
	log             *slog.Logger
}

func (o *Options) config() (*config, error) {
	if o == nil || len(o.Command) == 0 || o.Command[0] == "" {
		return nil, errors.New("stdio: Options.Command is required")
	}
	for _, kv := range o.Env {
		if i := strings.IndexByte(kv, '='); i <= 0 {
			return nil, errors.New("stdio: Options.Env entries must be NAME=value")
		}
	}
	c := &config{
		command: append([]string(nil), o.Command...), env: append([]string{}, o.Env...), dir: o.Dir,
		maxChildren: or(o.MaxChildren, DefaultMaxChildren), maxPerPrincipal: or(o.MaxPerPrincipal, DefaultMaxPerPrincipal),
		idle: or(o.IdleTimeout, DefaultIdleTimeout), call: or(o.CallTimeout, DefaultCallTimeout),
		stop: or(o.StopTimeout, DefaultStopTimeout), maxMessage: or(o.MaxMessageBytes, DefaultMaxMessageBytes),
		stderr: o.Stderr, log: o.Logger,
	}
	if o.MaxChildren < 0 || o.MaxPerPrincipal < 0 || o.IdleTimeout < 0 || o.CallTimeout < 0 || o.StopTimeout < 0 || o.MaxMessageBytes < 0 {
		return nil, errors.New("stdio: negative limit in Options")
	}
	if c.stderr == nil {
		c.stderr = io.Discard
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

func or[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
