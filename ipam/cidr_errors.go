package ipam

import "errors"

// Sentinel errors of CIDR planning. Errors returned by the CIDR functions wrap them with the
// offending pool, prefix or length; test with errors.Is.
var (
	// ErrPoolExhausted: no pool of the requested family holds a free aligned block of the
	// requested length.
	ErrPoolExhausted = errors.New("ipam: CIDR pool exhausted")
	// ErrInvalidCIDR: a prefix ValidateCIDR refuses: zero (invalid), with host bits set,
	// IPv4-mapped IPv6, or zoned.
	ErrInvalidCIDR = errors.New("ipam: invalid CIDR")
	// ErrInvalidPrefixLength: a requested block length outside 0-32 (IPv4) or 0-128 (IPv6).
	ErrInvalidPrefixLength = errors.New("ipam: invalid prefix length")
)
