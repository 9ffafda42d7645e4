package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestObject(t *testing.T) {
	var keys, values []string
	ok := Object([]byte(` {"a":1, "b" : [1,{"c":2}], "\u0064":"x\"y"} `), func(k, v []byte) {
		keys = append(keys, string(k))
		values = append(values, string(v))
	})
	assert.True(t, ok)
	assert.Equal(t, []string{`"a"`, `"b"`, `"\u0064"`}, keys)
	assert.Equal(t, []string{`1`, `[1,{"c":2}]`, `"x\"y"`}, values)

	for _, bad := range []string{``, `[]`, `{`, `{"a"}`, `{"a":1,}`, `{"a":1}x`, `{a:1}`, `{"a":01}`, `{"a":tru}`, "{\"a\":\"\x1f\"}"} {
		assert.False(t, Object([]byte(bad), nil), bad)
	}
}

func TestWalk(t *testing.T) {
	var top, inner []string
	ok := Walk([]byte(`{"a":{"x":1,"y":{"z":2}},"b":{"q":3},"c":[{"w":4}]}`),
		func(k, v []byte) { top = append(top, string(k)+"="+string(v)) },
		func(k []byte) bool { return string(k) == `"a"` },
		func(k, v []byte) { inner = append(inner, string(k)+"="+string(v)) })
	assert.True(t, ok)
	assert.Equal(t, []string{`"a"={"x":1,"y":{"z":2}}`, `"b"={"q":3}`, `"c"=[{"w":4}]`}, top)
	assert.Equal(t, []string{`"x"=1`, `"y"={"z":2}`}, inner, "only the first level inside a chosen member")
	nop := func(k, v []byte) {}
	assert.False(t, Walk([]byte(`{"a":{"x":}}`), nop, func([]byte) bool { return true }, nop))
}

func TestArray(t *testing.T) {
	var elems []string
	assert.True(t, Array([]byte(`[ {"id":1} , 2,"x" ]`), func(v []byte) { elems = append(elems, string(v)) }))
	assert.Equal(t, []string{`{"id":1}`, `2`, `"x"`}, elems)
	assert.True(t, Array([]byte(`[]`), nil))
	assert.False(t, Array([]byte(`[1,]`), nil))
	assert.False(t, Array([]byte(`{}`), nil))
}

func TestUnquoteAndKeyIs(t *testing.T) {
	for raw, want := range map[string]string{`"id"`: "id", `"\u0069d"`: "id", `"a\/b"`: "a/b", `"é"`: "é"} {
		got, ok := Unquote([]byte(raw))
		assert.True(t, ok, raw)
		assert.Equal(t, want, got, raw)
	}
	for _, raw := range []string{``, `"`, `x`, `"\x"`, `1`} {
		_, ok := Unquote([]byte(raw))
		assert.False(t, ok, raw)
	}
	assert.True(t, KeyIs([]byte(`"method"`), "method"))
	assert.True(t, KeyIs([]byte(`"\u006d\u0065\u0074\u0068\u006f\u0064"`), "method"))
	assert.False(t, KeyIs([]byte(`"Method"`), "method"))
	assert.False(t, KeyIs([]byte(`"methods"`), "method"))
	assert.False(t, KeyIs([]byte(``), "method"))
}

func TestDepth(t *testing.T) {
	assert.True(t, Valid([]byte(strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth))))
	assert.False(t, Valid([]byte(strings.Repeat("[", MaxDepth+2)+strings.Repeat("]", MaxDepth+2))))
}

// FuzzValid checks the scanner against encoding/json on every input within
// the depth bound.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,"x\u00e9",true,false,null]}`, `"\ud800"`, `-0`, `1.`, `[`, "\"\xff\"", ` {} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		deep := strings.Count(string(b), "[")+strings.Count(string(b), "{") > MaxDepth
		if got, want := Valid(b), json.Valid(b); got != want && !(deep && !got) {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
		if First(b) == '{' {
			Object(b, func(k, _ []byte) {
				if _, ok := Unquote(k); !ok {
					t.Fatalf("key %q does not unquote", k)
				}
			})
		}
	})
}

func TestValidID(t *testing.T) {
	for raw, want := range map[string]bool{
		`"a"`: true, `""`: true, `"\u00e9"`: true, `"a\"b"`: true, `0`: true, `-1`: true, `42`: true,
		`9007199254740991`: true, `-9007199254740991`: true, `null`: true,
		`9007199254740992`: false, `-9007199254740992`: false, `12345678901234567`: false,
		`1.5`: false, `1e3`: false, `-`: false, `01`: false, `-0`: true, `"a`: false, "\"\xff\"": false,
		`true`: false, `{}`: false, `[]`: false, ``: false, ` 1`: false, `nul`: false,
	} {
		assert.Equal(t, want, ValidID([]byte(raw)), "%q", raw)
	}
}
