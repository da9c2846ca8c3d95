package datapath

import "errors"

// Sentinel errors of the datapath package. Returned errors wrap one of them with %w and
// name the offending object and value.
var (
	// ErrInvalidOptions reports an Options field out of range.
	ErrInvalidOptions = errors.New("datapath: invalid options")
	// ErrUnsupported reports a frontend or backend the programs cannot serve: not IPv4, or
	// a protocol other than TCP and UDP.
	ErrUnsupported = errors.New("datapath: unsupported address or protocol")
	// ErrCapacity reports that a write would exceed a map's capacity. Nothing is
	// truncated: the write is refused before any map is touched.
	ErrCapacity = errors.New("datapath: map capacity exceeded")
	// ErrDuplicate reports the same frontend twice in one desired set, or the same
	// backend (address, port, protocol) under two frontends: the stateless reverse NAT
	// maps each backend to exactly one frontend.
	ErrDuplicate = errors.New("datapath: duplicate frontend or backend")
	// ErrNotFound reports a frontend that is not programmed.
	ErrNotFound = errors.New("datapath: not found")
	// ErrMap reports a failed map operation; it wraps the kernel's error too.
	ErrMap = errors.New("datapath: map operation failed")
	// ErrInvalidMaglevSize reports a Maglev table size that is not a prime in range.
	ErrInvalidMaglevSize = errors.New("datapath: invalid Maglev table size")
	// ErrTooManyBackends reports more Maglev backends than table slots.
	ErrTooManyBackends = errors.New("datapath: more backends than Maglev table slots")
)
