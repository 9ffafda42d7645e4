// Command splice replaces the part of a document between the
// "<!-- bench:begin" and "<!-- bench:end -->" markers with its standard
// input (which carries the markers), or appends it under a heading when the
// document has none.
//
//	splice doc.md < section.md
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: splice doc.md < section.md")
		os.Exit(2)
	}
	if err := splice(os.Args[1], os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "splice:", err)
		os.Exit(1)
	}
}

func splice(path string, in io.Reader) error {
	section, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(b)
	const begin, end = "<!-- bench:begin", "<!-- bench:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	switch {
	case i >= 0 && j > i:
		rest := strings.TrimPrefix(doc[j+len(end):], "\n")
		doc = doc[:i] + string(section) + rest
	case i < 0 && j < 0:
		doc = strings.TrimRight(doc, "\n") + "\n\n## Against the peers\n\n" + string(section)
	default:
		return fmt.Errorf("%s: unbalanced bench markers", path)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
