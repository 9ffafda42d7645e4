package jwtverify

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		token string
		err   error
	}{
		{"abc.def.ghi", nil},
		{"a-_b.cd.d0", nil},
		{"", errEmpty},
		{"abc", errSegments},
		{"abc.def", errSegments},
		{"abc.def.ghi.jkl", errSegments},
		{"abc..ghi", errSegments},
		{".def.ghi", errSegments},
		{"abc.def.", errSegments},
		{"ab+c.def.ghi", errAlphabet},
		{"abc.de/f.ghi", errAlphabet},
		{"abc.def.gh=", errAlphabet},
		{"abc.d ef.ghi", errAlphabet},
		{"abc.def.ghi\x00", errAlphabet},
		{"abcde.def.ghi", errSegmentLen},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			s, err := split(tt.token)
			assert.ErrorIs(t, err, tt.err)
			if tt.err == nil {
				assert.Equal(t, tt.token, s.signingInput+"."+s.signature)
			}
		})
	}
}

func TestDecodeHeader(t *testing.T) {
	buf := make([]byte, maxHeaderSize)
	tests := []struct {
		json string
		err  error
	}{
		{`{"alg":"RS256","kid":"k","typ":"at+jwt"}`, nil},
		{`{"alg":"RS256","x5c":["AAAA"],"x5t":"x"}`, nil},
		{`{}`, errNoAlg},
		{`{"alg":""}`, errNoAlg},
		{`{"alg":"RS256","crit":["b64"],"b64":false}`, errCrit},
		{`{"alg":"RS256","crit":null}`, errCrit},
		{`{"alg":"RS256","jku":"https://evil"}`, errKeyURL},
		{`{"alg":"RS256","x5u":"https://evil"}`, errKeyURL},
		{`{"alg":"RS256","jwk":{}}`, errKeyURL},
		{`{"alg":"RS256","kid":"a\u0000b"}`, errKIDInvalid},
		{`{"alg":5}`, errHeaderJSON},
		{`[]`, errHeaderJSON},
		{`{"alg":"RS256"} x`, errHeaderJSON},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			_, err := decodeHeader(seg(tt.json), buf)
			if tt.err == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.err)
		})
	}
	_, err := decodeHeader(seg(`{"alg":"RS256","pad":"`+string(make([]byte, maxHeaderSize))+`"}`), make([]byte, 4*maxHeaderSize))
	assert.ErrorIs(t, err, errHeaderSize)
}

func TestAccessTokenType(t *testing.T) {
	for typ, want := range map[string]bool{"at+jwt": true, "AT+JWT": true, "application/at+jwt": true, "jwt": false, "at+jwt ": false, "": false} {
		assert.Equal(t, want, accessTokenType(typ), typ)
	}
}

func TestHeaderCache(t *testing.T) {
	var c headerCache
	buf := make([]byte, maxHeaderSize)
	good := seg(`{"alg":"RS256","kid":"a"}`)
	h1, err := c.decode(good, buf)
	require.NoError(t, err)
	h2, err := c.decode(good, buf)
	require.NoError(t, err)
	assert.Same(t, h1, h2, "a repeated header is decoded once")

	bad := seg(`{"alg":"RS256","jku":"https://evil"}`)
	for range 2 {
		_, err = c.decode(bad, buf)
		assert.ErrorIs(t, err, ErrHeader, "refused headers are refused every time")
	}
	for i := range maxCachedHeaders + 10 {
		_, err := c.decode(seg(fmt.Sprintf(`{"alg":"RS256","kid":"k%d"}`, i)), buf)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, len(c.m), maxCachedHeaders)
}
