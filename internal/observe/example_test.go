package observe_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/mcpauth/mcpauth/internal/observe"
)

// A process with the audit log at info and Prometheus metrics.
func Example() {
	log := observe.Logger(os.Stderr, slog.LevelInfo, "json")
	m, err := observe.NewMetrics()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	hook := observe.Hooks(log, slog.LevelInfo, m)
	fmt.Println(hook != nil)
	// Output: true
}
