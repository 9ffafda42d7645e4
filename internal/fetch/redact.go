package fetch

import (
	"errors"
	"fmt"
	"net/url"
)

// Redact drops the URL a client error (*url.Error) names, keeping the
// operation and the cause: a URL may carry a token in its query, and a
// redirect's Location could say anything. Callers that need the endpoint
// in a log name it themselves. Other errors are returned as they are.
func Redact(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
