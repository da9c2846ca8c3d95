package maglev

import "errors"

// Sentinel errors of the maglev package. Returned errors wrap one of them with %w and name
// the offending value.
var (
	// ErrInvalidSize reports a table size M that is not a prime in [MinSize, MaxSize], or a
	// table slice whose length is not M.
	ErrInvalidSize = errors.New("maglev: invalid table size")
	// ErrTooManyBackends reports more backends than table slots (N > M), or no backend at
	// all: a table needs 1..M backends.
	ErrTooManyBackends = errors.New("maglev: backend count not in 1..M")
	// ErrValueCount reports a FillValues call with not exactly one value per backend.
	ErrValueCount = errors.New("maglev: not one value per backend")
)
