package jwtverify

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumericDate(t *testing.T) {
	tests := []struct {
		json    string
		want    time.Time
		present bool
		bad     bool
	}{
		{`{}`, time.Time{}, false, false},
		{`{"exp":1800000000}`, t0, true, false},
		{`{"exp":1800000000.5}`, t0.Add(500 * time.Millisecond), true, false},
		{`{"exp":0}`, time.Unix(0, 0).UTC(), true, false},
		{`{"exp":"1800000000"}`, time.Time{}, true, true},
		{`{"exp":-1}`, time.Time{}, true, true},
		{`{"exp":1e300}`, time.Time{}, true, true},
		{`{"exp":253402300800}`, time.Time{}, true, true},
		{`{"exp":null}`, time.Time{}, true, true},
		{`{"exp":[1]}`, time.Time{}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.json), &m))
			got, present, err := read.Time(m, "exp")
			assert.Equal(t, tt.present, present)
			if tt.bad {
				assert.ErrorIs(t, err, ErrClaim)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "%v != %v", tt.want, got)
		})
	}
	_, _, err := read.Time(map[string]any{"exp": math.NaN()}, "exp")
	assert.ErrorIs(t, err, ErrClaim)
	_, _, err = read.Time(map[string]any{"exp": math.Inf(1)}, "exp")
	assert.ErrorIs(t, err, ErrClaim)
}

func TestStringsClaim(t *testing.T) {
	tests := []struct {
		json  string
		split bool
		want  []string
		bad   bool
	}{
		{`{}`, false, nil, false},
		{`{"c":"a b"}`, false, []string{"a b"}, false},
		{`{"c":"a b"}`, true, []string{"a", "b"}, false},
		{`{"c":""}`, false, nil, false},
		{`{"c":["a",""]}`, false, []string{"a"}, false},
		{`{"c":[]}`, false, []string{}, false},
		{`{"c":null}`, false, nil, true},
		{`{"c":["a",1]}`, false, nil, true},
		{`{"c":{"a":1}}`, false, nil, true},
		{`{"c":1}`, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.json), &m))
			got, err := read.Strings(m, "c", tt.split)
			if tt.bad {
				assert.ErrorIs(t, err, ErrClaim)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
