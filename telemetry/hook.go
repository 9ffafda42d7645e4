package telemetry

import (
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpauth/mcpauth/decision"
)

// Attribute keys. The MCP ones are those of the OpenTelemetry semantic
// conventions for MCP; the mcpauth ones are this package's.
const (
	keyLayer      = attribute.Key("mcpauth.layer")
	keyOutcome    = attribute.Key("mcpauth.outcome")
	keyReason     = attribute.Key("mcpauth.reason")
	keyMethod     = attribute.Key("mcp.method.name")
	keySession    = attribute.Key("mcp.session.id")
	keyTool       = attribute.Key("gen_ai.tool.name")
	keyPrompt     = attribute.Key("gen_ai.prompt.name")
	keyResource   = attribute.Key("mcp.resource.uri")
	keyStatus     = attribute.Key("http.response.status_code")
	keyErrorType  = attribute.Key("error.type")
	keyPrincipal  = attribute.Key("mcpauth.principal")
	eventDecision = "mcpauth.decision"
)

// The metric labels, as the Prometheus exporter names them.
const (
	labelLayer   = "layer"
	labelOutcome = "outcome"
	labelReason  = "reason"
)

// Hook returns the hook to give every layer's OnDecision: it counts each
// decision by layer, outcome and reason, records its latency, and, when
// the request is traced, adds the decision to the request's span.
func (t *Telemetry) Hook() decision.Hook {
	return func(r *http.Request, d decision.Decision) {
		ctx := r.Context()
		o := t.sets.get(d.Layer, d.Outcome, d.Reason)
		t.decisions.Add(ctx, 1, o.add...)
		t.duration.Record(ctx, d.Latency.Seconds(), o.record...)
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			annotate(span, &d)
		}
	}
}

// annotate adds d to span: an event per decision; the MCP attributes, the
// span name the MCP conventions give a server span (the method), and the
// status once a layer knows it.
func annotate(span trace.Span, d *decision.Decision) {
	span.AddEvent(eventDecision, trace.WithAttributes(
		keyLayer.String(string(d.Layer)), keyOutcome.String(string(d.Outcome)), keyReason.String(string(d.Reason))))
	attrs := make([]attribute.KeyValue, 0, 8)
	if d.Method != "" {
		attrs = append(attrs, keyMethod.String(d.Method))
		switch d.Method {
		case "tools/call":
			attrs = append(attrs, keyTool.String(d.Tool))
		case "prompts/get":
			attrs = append(attrs, keyPrompt.String(d.Tool))
		case "resources/read", "resources/subscribe", "resources/unsubscribe":
			attrs = append(attrs, keyResource.String(d.Tool))
		}
		if d.Layer == decision.LayerGuard {
			// The conventions add the tool to the name when it is a
			// low-cardinality target; a tool is whatever the request
			// names, so the name is the method alone.
			span.SetName(mcpMethod(d.Method))
		}
	}
	if d.Session != "" {
		attrs = append(attrs, keySession.String(d.Session))
	}
	if d.Status != 0 && d.Layer != decision.LayerProxy {
		attrs = append(attrs, keyStatus.Int(d.Status))
	}
	if d.Outcome != decision.Allowed {
		attrs = append(attrs, keyReason.String(string(d.Reason)))
	}
	if d.Outcome == decision.Failed {
		// A refusal (4xx) is the server working; a failure is not.
		attrs = append(attrs, keyErrorType.String(string(d.Reason)))
		span.SetStatus(codes.Error, string(d.Reason))
	}
	if d.Subject != "" && d.Layer == decision.LayerAuthentication {
		attrs = append(attrs, keyPrincipal.String(d.Principal.String()))
	}
	if len(attrs) > 0 {
		span.SetAttributes(attrs...)
	}
}

// mcpMethods are the methods a client sends to an MCP server, by the
// specification's revisions up to 2026-07-28.
var mcpMethods = map[string]bool{
	"initialize": true, "ping": true,
	"tools/list": true, "tools/call": true,
	"resources/list": true, "resources/templates/list": true, "resources/read": true,
	"resources/subscribe": true, "resources/unsubscribe": true,
	"prompts/list": true, "prompts/get": true,
	"completion/complete": true, "logging/setLevel": true,
	"notifications/initialized": true, "notifications/cancelled": true, "notifications/progress": true,
	"notifications/roots/list_changed": true,
}

// mcpMethod is the span name of a JSON-RPC method: itself when MCP
// defines it, "_OTHER" otherwise, so that span names stay a closed set.
func mcpMethod(m string) string {
	if mcpMethods[m] {
		return m
	}
	return "_OTHER"
}

// options are the measurement options of one label set, made once.
type options struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

type labels struct {
	layer   decision.Layer
	outcome decision.Outcome
	reason  decision.Reason
}

// attrCache holds the options of each label set seen, so that recording
// a decision allocates nothing. The sets are few: layers × outcomes ×
// reasons, all closed.
type attrCache struct{ m sync.Map }

func (c *attrCache) get(layer decision.Layer, outcome decision.Outcome, reason decision.Reason) *options {
	k := labels{layer, outcome, reason}
	if o, ok := c.m.Load(k); ok {
		return o.(*options)
	}
	all := attribute.NewSet(
		attribute.String(labelLayer, string(layer)), attribute.String(labelOutcome, string(outcome)), attribute.String(labelReason, string(reason)))
	latency := attribute.NewSet(attribute.String(labelLayer, string(layer)), attribute.String(labelOutcome, string(outcome)))
	o := &options{
		add:    []metric.AddOption{metric.WithAttributeSet(all)},
		record: []metric.RecordOption{metric.WithAttributeSet(latency)},
	}
	v, _ := c.m.LoadOrStore(k, o)
	return v.(*options)
}
