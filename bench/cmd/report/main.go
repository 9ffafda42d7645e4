// Command report reads Go benchmark output of the bench package and
// prints markdown tables of medians and ratios: each implementation against
// mcpauth, and the cold paths against the golang-jwt floor and the raw
// signature check.
//
//	go test -run '^$' -bench . -count 8 . | tee bench.txt
//	go run ./cmd/report bench.txt
package main

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
)

type key struct{ alg, cas, impl string }

type sample struct{ ns, allocs []float64 }

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-own" {
		if err := own(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: report bench.txt | report -own own.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	data := map[key]*sample{}
	raw := map[string]*sample{}
	r := benchfmt.NewReader(f, os.Args[1])
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		name := res.Name.String()
		parts := map[string]string{}
		for _, p := range strings.Split(name, "/")[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				parts[k] = strings.TrimSuffix(v, "-2")
			}
		}
		for i := range parts {
			parts[i] = trimProcs(parts[i])
		}
		var s *sample
		switch {
		case strings.HasPrefix(name, "Middleware/"):
			k := key{parts["alg"], parts["case"], parts["impl"]}
			if data[k] == nil {
				data[k] = &sample{}
			}
			s = data[k]
		case strings.HasPrefix(name, "RawVerify/"):
			if raw[parts["alg"]] == nil {
				raw[parts["alg"]] = &sample{}
			}
			s = raw[parts["alg"]]
		default:
			continue
		}
		if v, ok := res.Value("sec/op"); ok {
			s.ns = append(s.ns, v*1e9)
		}
		if v, ok := res.Value("allocs/op"); ok {
			s.allocs = append(s.allocs, v)
		}
	}
	if err := r.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	impls := []string{"mcpauth", "golang-jwt", "go-sdk", "jwtauth", "auth0"}
	var rows []key
	for k := range data {
		if k.impl == "mcpauth" {
			rows = append(rows, key{k.alg, k.cas, ""})
		}
	}
	order := map[string]int{"cold": 0, "warm": 1, "badsig": 2, "garbage": 3, "bigclaims-cold": 4, "bigclaims-warm": 5}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].alg != rows[j].alg {
			return rows[i].alg < rows[j].alg
		}
		return order[rows[i].cas] < order[rows[j].cas]
	})

	fmt.Println("Median time per request (full `ServeHTTP`), allocations in brackets; ×N is the peer's time over mcpauth's (higher: mcpauth is faster).")
	fmt.Println()
	fmt.Printf("| alg | case | %s |\n|%s\n", strings.Join(impls, " | "), strings.Repeat(" --- |", len(impls)+2))
	for _, row := range rows {
		base := median(data[key{row.alg, row.cas, "mcpauth"}].ns)
		cells := []string{}
		for _, impl := range impls {
			s := data[key{row.alg, row.cas, impl}]
			if s == nil {
				cells = append(cells, "–")
				continue
			}
			m := median(s.ns)
			cell := fmt.Sprintf("%s (%.0f)", dur(m), median(s.allocs))
			if impl != "mcpauth" {
				cell += fmt.Sprintf(" ×%.1f", m/base)
			}
			cells = append(cells, cell)
		}
		fmt.Printf("| %s | %s | %s |\n", row.alg, row.cas, strings.Join(cells, " | "))
	}

	fmt.Println()
	fmt.Println("Against the floors: mcpauth's time over golang-jwt's prebuilt parser with registered claims, and over the raw signature check.")
	fmt.Println()
	fmt.Println("| alg | case | mcpauth / golang-jwt | mcpauth / raw verify |\n| --- | --- | --- | --- |")
	for _, row := range rows {
		if row.cas != "cold" && row.cas != "badsig" {
			continue
		}
		m := median(data[key{row.alg, row.cas, "mcpauth"}].ns)
		floor := median(data[key{row.alg, row.cas, "golang-jwt"}].ns)
		rv := "–"
		if s := raw[row.alg]; s != nil {
			rv = fmt.Sprintf("%.2f", m/median(s.ns))
		}
		fmt.Printf("| %s | %s | %.2f | %s |\n", row.alg, row.cas, m/floor, rv)
	}
	fmt.Println()
	fmt.Println("Raw signature check alone: " + rawList(raw) + ".")
}

func trimProcs(s string) string {
	if i := strings.LastIndexByte(s, '-'); i > 0 && strings.Trim(s[i+1:], "0123456789") == "" {
		return s[:i]
	}
	return s
}

func rawList(raw map[string]*sample) string {
	var out []string
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		if s := raw[alg]; s != nil {
			out = append(out, fmt.Sprintf("%s %s", alg, dur(median(s.ns))))
		}
	}
	return strings.Join(out, ", ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// stat is the medians of one benchmark.
type stat struct{ ns, bytes, allocs float64 }

// own prints mcpauth's own benchmarks (the root module's) as a table, with
// the overheads that the targets are stated in.
func own(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	raw := map[string]*[3][]float64{}
	var names []string
	r := benchfmt.NewReader(f, path)
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		name := trimProcs(res.Name.String())
		if raw[name] == nil {
			raw[name] = &[3][]float64{}
			names = append(names, name)
		}
		for i, unit := range []string{"sec/op", "B/op", "allocs/op"} {
			if v, ok := res.Value(unit); ok {
				if i == 0 {
					v *= 1e9
				}
				raw[name][i] = append(raw[name][i], v)
			}
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	st := map[string]stat{}
	fmt.Println("| benchmark | time/op | B/op | allocs/op |\n| --- | --- | --- | --- |")
	for _, n := range names {
		v := raw[n]
		s := stat{median(v[0]), median(v[1]), median(v[2])}
		st[n] = s
		fmt.Printf("| `%s` | %s | %.0f | %.0f |\n", n, dur(s.ns), s.bytes, s.allocs)
	}
	fmt.Println()
	delta := func(what, a, b string) {
		x, okx := st[a]
		y, oky := st[b]
		if okx && oky {
			fmt.Printf("- %s: **%+.0f ns, %+.0f allocations** (`%s` − `%s`)\n", what, x.ns-y.ns, x.allocs-y.allocs, a, b)
		}
	}
	delta("Authenticate overhead on success", "Authenticate", "Baseline")
	delta("guard overhead on a 1 KiB tools/call", "Guard", "Direct")
	return nil
}
