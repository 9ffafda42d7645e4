//go:build !unix

package stdio

import (
	"os"
	"os/exec"
)

var (
	sigTerm = os.Kill
	sigKill = os.Kill
)

func ownGroup(*exec.Cmd) {}

// signalGroup kills the process; without process groups its own children
// are not reached.
func signalGroup(pid int, _ os.Signal) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// waitExited cannot wait without reaping here.
func waitExited(int) bool { return false }
