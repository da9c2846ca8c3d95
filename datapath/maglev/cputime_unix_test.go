//go:build unix

package maglev

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user plus system CPU time (the benchmark sums it over
// many tables, so its resolution is enough).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
