//go:build unix && !linux

package devstack

import "syscall"

// sysProcAttr puts a child into its own process group, so that Close can signal everything it
// started. This system has no parent-death signal: a child outlives a process killed hard.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
