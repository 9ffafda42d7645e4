package authresult

import "context"

type principalKey struct{}

// NewContext returns a copy of ctx carrying p. A principal that is not
// [Principal.Valid] is stored as "no principal": it also hides any principal
// an outer layer stored, so [FromContext] on the result reports none.
func NewContext(ctx context.Context, p *Principal) context.Context {
	if !p.Valid() {
		p = nil
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the authenticated principal stored in ctx by
// [NewContext]. ok is false when there is none; the principal is then nil.
func FromContext(ctx context.Context) (p *Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(*Principal)
	if !ok || !p.Valid() {
		return nil, false
	}
	return p, true
}
