//go:build unix && !linux

package stdio

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}
