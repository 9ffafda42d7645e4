package demo

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Flags is a flag set whose every flag falls back to an environment
// variable. Values from either source are parsed by the same parser, so
// MCPAUTH_STATELESS=1 means what -stateless=1 means and a bad value is an
// error naming what the user typed.
type Flags struct {
	fs   *flag.FlagSet
	env  map[string]string // flag name -> environment variable
	from map[string]string // flag name -> where its value came from: "-name" or "ENV"
}

// NewFlags returns Flags on fs.
func NewFlags(fs *flag.FlagSet) *Flags {
	return &Flags{fs: fs, env: map[string]string{}, from: map[string]string{}}
}

// String defines a string flag -name with environment fallback env.
func (f *Flags) String(p *string, name, env, def, usage string) {
	f.fs.StringVar(p, name, def, usage+" (env "+env+")")
	f.env[name] = env
}

// Bool defines a boolean flag; values are read with strconv.ParseBool.
func (f *Flags) Bool(p *bool, name, env string, def bool, usage string) {
	f.fs.BoolVar(p, name, def, usage+" (env "+env+")")
	f.env[name] = env
}

// Duration defines a duration flag, such as "2s".
func (f *Flags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	f.fs.DurationVar(p, name, def, usage+" (env "+env+")")
	f.env[name] = env
}

// List defines a flag that may be given several times; the environment
// variable holds the values separated by spaces.
func (f *Flags) List(p *[]string, name, env, usage string) {
	f.fs.Var((*listValue)(p), name, usage+" (env "+env+", values separated by spaces)")
	f.env[name] = env
}

// Parse parses args, then sets every flag not given on the command line
// from its environment variable when that is set. An error names the flag
// or the variable, and the value.
func (f *Flags) Parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	f.fs.Visit(func(fl *flag.Flag) { f.from[fl.Name] = "-" + fl.Name })
	names := make([]string, 0, len(f.env))
	for name := range f.env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, set := f.from[name]; set {
			continue
		}
		env := f.env[name]
		v, ok := os.LookupEnv(env)
		if !ok {
			continue
		}
		if lv, ok := f.fs.Lookup(name).Value.(*listValue); ok {
			*lv = nil
			if err := lv.setAll(v); err != nil {
				return fmt.Errorf("%s=%q: %v", env, v, err)
			}
		} else if err := f.set(name, v); err != nil {
			return fmt.Errorf("%s=%q: %v", env, v, err)
		}
		f.from[name] = env
	}
	return nil
}

// Source names where the value of flag name came from: "-name" when it
// was given on the command line, its environment variable when it came
// from there, and "-name" for a default.
func (f *Flags) Source(name string) string {
	if s, ok := f.from[name]; ok {
		return s
	}
	return "-" + name
}

// set sets flag name to v, saying what a boolean must look like.
func (f *Flags) set(name, v string) error {
	if bf, ok := f.fs.Lookup(name).Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("not a boolean: use true or false (1 or 0)")
		}
	}
	return f.fs.Set(name, v)
}

// listValue is a flag.Value that collects repeated values.
type listValue []string

func (l *listValue) String() string { return fmt.Sprint([]string(*l)) }

func (l *listValue) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, v)
	return nil
}

func (l *listValue) setAll(v string) error {
	for _, s := range strings.Fields(v) {
		if err := l.Set(s); err != nil {
			return err
		}
	}
	return nil
}
