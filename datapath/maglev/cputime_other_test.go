//go:build !unix

package maglev

import "time"

// cpuTime is not measured off Unix: the CPU metrics of the benchmark then read 0.
func cpuTime() time.Duration { return 0 }
