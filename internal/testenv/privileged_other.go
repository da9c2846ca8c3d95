//go:build !linux

package testenv

import "runtime"

// Privileged reports false off Linux: privileged tests need Linux (BPF, network
// namespaces).
func Privileged() (ok bool, reason string) { return false, "not Linux (" + runtime.GOOS + ")" }
