package stdio

import "syscall"

// dieWithParent has the kernel kill the child if the gateway dies first.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
