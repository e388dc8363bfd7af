//go:build unix

package devstack

import (
	"errors"
	"syscall"
)

// terminate asks the child's process group to exit.
func (c *child) terminate() error { return c.signalGroup(syscall.SIGTERM) }

// kill kills the child's process group.
func (c *child) kill() error { return c.signalGroup(syscall.SIGKILL) }

// signalGroup sends sig to the child's process group unless the child has already exited.
func (c *child) signalGroup(sig syscall.Signal) error {
	if c.exited() {
		return nil
	}
	if err := syscall.Kill(-c.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
