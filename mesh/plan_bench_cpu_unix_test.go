//go:build unix

package mesh_test

import "syscall"

// processCPU returns the CPU time (user + system) the test process has used, in ns. On a
// shared machine it measures work better than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
