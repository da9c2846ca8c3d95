package datapath

import "errors"

// Sentinel errors of the datapath package. Returned errors wrap one of them with %w and
// name the offending object and value. Errors of package maglev (maglev.ErrInvalidSize,
// maglev.ErrTooManyBackends) are wrapped as they are. Off Linux, Load, Attach and every
// method that needs the kernel return an error wrapping errors.ErrUnsupported.
var (
	// ErrInvalidOptions reports an Options field out of range (Load); for
	// MaglevTableSize it also wraps maglev.ErrInvalidSize.
	ErrInvalidOptions = errors.New("datapath: invalid options")
	// ErrUnsupported reports input the programs cannot serve: a frontend or backend with
	// port 0, a protocol other than TCP and UDP (or, for a backend, other than its
	// frontend's), an address family other than its frontend's or an unknown state; a
	// frontend address that is unspecified (0.0.0.0/8, ::), 255.255.255.255, multicast or
	// loopback, a backend address that is unspecified, 255.255.255.255 or multicast, or
	// an IPv4-mapped IPv6 or zoned address for either (Service.Validate); an egress entry
	// that fails egress.Entry.Validate or an egress lookup that is not IPv4; an egress
	// node IP that is not IPv4 (SetEgressNodeIP); a prune of egress connections with an
	// idle time of at most 0; an L2 responder without a unicast address, an ifindex or a
	// 6-byte MAC; an Attach to an ifindex below 1 or of an unknown Hook.
	ErrUnsupported = errors.New("datapath: unsupported address or protocol")
	// ErrCapacity reports that a write would exceed a map's capacity, or a service with
	// more than MaxBackendsPerService backends. Nothing is truncated: the write is
	// refused before any map is touched.
	ErrCapacity = errors.New("datapath: map capacity exceeded")
	// ErrDuplicate reports the same frontend twice in one desired set, the same backend
	// twice under one frontend, or the same backend (address, port, protocol) under two
	// frontends: the stateless reverse NAT maps each backend to exactly one frontend. It
	// also reports an egress entry (source and destination) listed twice.
	ErrDuplicate = errors.New("datapath: duplicate frontend or backend")
	// ErrNotFound reports a frontend that is not programmed (Service, DeleteService), a
	// link that is not pinned (Detach), an interface that does not exist in the calling
	// thread's network namespace (Attach, CheckAttach) or no PinDir (PruneLinks).
	ErrNotFound = errors.New("datapath: not found")
	// ErrMap reports a failed map operation; it wraps the kernel's error too.
	ErrMap = errors.New("datapath: map operation failed")
)
