//go:build unix && !linux

package stdio

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}

// waitExited cannot wait without reaping here: the group is signalled
// after the process is reaped.
func waitExited(int) bool { return false }
