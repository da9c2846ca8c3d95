package maglev

import "fmt"

// Table sizes M, in slots. Every valid size is a prime in [MinSize, MaxSize].
const (
	// MinSize is the smallest table size accepted.
	MinSize = 3
	// MaxSize is the largest table size accepted, Cilium's largest (131071).
	MaxSize = 131071
	// DefaultSize is Cilium's default table size (16381), the size package datapath uses
	// when none is configured.
	DefaultSize = 16381
)

// ValidateSize reports whether m is a valid table size: a prime in [MinSize, MaxSize].
// The error wraps ErrInvalidSize.
func ValidateSize(m uint32) error {
	if m < MinSize || m > MaxSize {
		return fmt.Errorf("%w: M = %d, want a prime in [%d, %d]", ErrInvalidSize, m, MinSize, MaxSize)
	}
	for d := uint32(2); d*d <= m; d++ {
		if m%d == 0 {
			return fmt.Errorf("%w: M = %d is not prime (divisible by %d)", ErrInvalidSize, m, d)
		}
	}
	return nil
}
