package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecurityDocNamesRealTests keeps docs/SECURITY.md honest: every test,
// fuzz target and example it names as proof exists in the repository.
func TestSecurityDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("../../docs/SECURITY.md")
	require.NoError(t, err)
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Example)\w*)\(`)
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	require.NoError(t, err)
	named := regexp.MustCompile("`(?:[a-z]+\\.)?((?:Test|Fuzz|Example)\\w*)")
	found := 0
	for _, m := range named.FindAllSubmatch(doc, -1) {
		found++
		assert.True(t, defined[string(m[1])], "docs/SECURITY.md names %s, which no test defines", m[1])
	}
	assert.Greater(t, found, 100, "the claims name their tests")
}
