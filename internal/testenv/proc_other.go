//go:build !linux

package testenv

import "syscall"

// childAttr returns nil off Linux, which has no parent-death signal.
func childAttr() *syscall.SysProcAttr { return nil }
