// Package settings reads the values operators type into the examples'
// flags and the gateway's configuration file, so that both accept and
// refuse the same things with the same words.
package settings

import (
	"errors"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth/internal/loopback"
)

// ParseRate reads "N/s" or "N/m" as requests per second.
func ParseRate(s string) (float64, error) {
	n, unit, ok := strings.Cut(s, "/")
	v, err := strconv.ParseFloat(n, 64)
	switch {
	case !ok || err != nil || !(v > 0) || math.IsInf(v, 0):
		return 0, errors.New("want a positive number per second or minute, such as 10/s or 600/m")
	case unit == "s":
		return v, nil
	case unit == "m":
		return v / 60, nil
	}
	return 0, errors.New(`the unit is "s" or "m", such as 10/s or 600/m`)
}

// ParseLevel reads a log level: debug, info, warn or error; "" is warn.
func ParseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelWarn, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil || strings.ContainsAny(s, "+-") {
		return 0, errors.New("want debug, info, warn or error")
	}
	return l, nil
}

// CheckURL requires an absolute https URL, or http on a loopback host,
// without user info or fragment: what the library requires of issuers,
// resources, key sets and token endpoints.
func CheckURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		// Not url.Parse's error: it quotes the value, password and all.
		return nil, errors.New("not an absolute URL")
	case u.User != nil || u.Fragment != "" || strings.Contains(s, "#"):
		return nil, errors.New("must have no user info and no fragment")
	case u.Scheme == "https", u.Scheme == "http" && loopback.Host(u.Hostname()):
		return u, nil
	}
	return nil, errors.New("must use https (http only on a loopback host)")
}
