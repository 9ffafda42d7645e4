package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// Store returns s with its operations counted in mcpauth.store.operations
// by operation (bind, check, delete) and outcome ("ok" or "failed": an
// error, which the guard answers with 503). The result has a Ready method
// that is s's when s has one, so a readiness probe can still reach it.
func (t *Telemetry) Store(s mcphandler.Store) mcphandler.Store {
	return &countingStore{s: s, t: t}
}

type countingStore struct {
	s mcphandler.Store
	t *Telemetry
}

func (c *countingStore) count(ctx context.Context, op string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	c.t.storeOps.Add(ctx, 1, metric.WithAttributes(attribute.String("operation", op), attribute.String("outcome", outcome)))
}

func (c *countingStore) Bind(ctx context.Context, id string, key mcphandler.Key) ([]mcphandler.Binding, error) {
	ended, err := c.s.Bind(ctx, id, key)
	c.count(ctx, "bind", err)
	return ended, err
}

func (c *countingStore) Check(ctx context.Context, id string, key mcphandler.Key) (bool, error) {
	ok, err := c.s.Check(ctx, id, key)
	c.count(ctx, "check", err)
	return ok, err
}

func (c *countingStore) Delete(ctx context.Context, id string) error {
	err := c.s.Delete(ctx, id)
	c.count(ctx, "delete", err)
	return err
}

// Ready is the wrapped store's readiness, or nil for a store without one.
func (c *countingStore) Ready(ctx context.Context) error {
	if r, ok := c.s.(interface{ Ready(context.Context) error }); ok {
		return r.Ready(ctx)
	}
	return nil
}
