//go:build !unix

package kvstore

import "time"

// processCPU is not measured on this OS: it returns 0.
func processCPU() time.Duration { return 0 }
