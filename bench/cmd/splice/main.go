// Command splice replaces the part of a document between the
// "<!-- NAME:begin" and "<!-- NAME:end -->" markers (NAME is "bench"
// unless -name says otherwise) with its standard input (which carries the
// markers), or appends it under a heading when the document has none.
//
//	splice doc.md < section.md
//	splice -name gateways doc.md < section.md
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	name := flag.String("name", "bench", "the markers' name")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: splice [-name NAME] doc.md < section.md")
		os.Exit(2)
	}
	if err := splice(flag.Arg(0), *name, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "splice:", err)
		os.Exit(1)
	}
}

func splice(path, name string, in io.Reader) error {
	section, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(b)
	begin, end := "<!-- "+name+":begin", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	switch {
	case i >= 0 && j > i:
		rest := strings.TrimPrefix(doc[j+len(end):], "\n")
		doc = doc[:i] + string(section) + rest
	case i < 0 && j < 0:
		doc = strings.TrimRight(doc, "\n") + "\n\n## Against the peers\n\n" + string(section)
	default:
		return fmt.Errorf("%s: unbalanced %s markers", path, name)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
