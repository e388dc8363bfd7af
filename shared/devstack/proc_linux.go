package devstack

import "syscall"

// sysProcAttr puts a child into its own process group, so that Close can signal everything it
// started, and has the kernel kill it when the thread that started it (and so this process)
// dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
