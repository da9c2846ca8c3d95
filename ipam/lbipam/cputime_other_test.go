//go:build !unix

package lbipam

import "time"

// cpuTime is not measured off Unix; the cpu-ms/op metric then reads 0.
func cpuTime() time.Duration { return 0 }
