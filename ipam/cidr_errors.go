package ipam

import "errors"

// Sentinel errors of CIDR planning. Errors returned by the CIDR functions wrap them with the
// offending pool, prefix or length; test with errors.Is.
var (
	// ErrPoolExhausted: no pool of the requested family holds a free aligned block of the
	// requested length.
	ErrPoolExhausted = errors.New("CIDR pool exhausted")
	// ErrInvalidCIDR: a zero, unparsable or non-canonical prefix (host bits set).
	ErrInvalidCIDR = errors.New("invalid CIDR")
	// ErrInvalidPrefixLength: a requested block length outside 0-32 (IPv4) or 0-128 (IPv6).
	ErrInvalidPrefixLength = errors.New("invalid prefix length")
)
