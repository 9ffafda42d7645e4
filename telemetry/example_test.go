package telemetry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/telemetry"
)

func Example() {
	reader := sdkmetric.NewManualReader()
	tel, err := telemetry.New(&telemetry.Options{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	if err != nil {
		panic(err)
	}
	auth, err := middleware.New(middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
		return nil, authresult.InvalidToken("invalid token", nil)
	}), &middleware.Options{OnDecision: tel.Hook()})
	if err != nil {
		panic(err)
	}
	h := tel.Handler(auth.Handler(http.NotFoundHandler()))
	for _, header := range []string{"", "Bearer forged"} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "mcpauth.decisions" {
			for _, p := range sum.DataPoints {
				reason, _ := p.Attributes.Value("reason")
				fmt.Println(reason.AsString(), p.Value)
			}
		}
	}
	// Unordered output:
	// no_credentials 1
	// invalid_token 1
}
