package lbipam

import "errors"

// Sentinel errors of LB IPAM (pools, allocator and controller). Errors returned by this
// package wrap them with the offending object and value; test with errors.Is. Each text
// starts with "lbipam: ".
var (
	// ErrInvalidPool: a CiliumLoadBalancerIPPool name is not a DNS-1123 subdomain, or the
	// pool has no blocks.
	ErrInvalidPool = errors.New("lbipam: invalid pool")
	// ErrInvalidBlock: a pool block is not a valid CIDR or start/stop IP range.
	ErrInvalidBlock = errors.New("lbipam: invalid pool block")
	// ErrInvalidSelector: a pool's serviceSelector cannot be turned into a label selector.
	ErrInvalidSelector = errors.New("lbipam: invalid pool service selector")
	// ErrPoolConflict: blocks overlap, within one pool or with an older pool.
	ErrPoolConflict = errors.New("lbipam: pool conflict")
	// ErrInvalidRequest: a Service annotation, spec.loadBalancerIP or status ingress IP
	// cannot be parsed.
	ErrInvalidRequest = errors.New("lbipam: invalid request")
	// ErrNoPool: no enabled pool selects the Service or contains the requested IP.
	ErrNoPool = errors.New("lbipam: no pool")
	// ErrOutOfIPs: every enabled pool that selects the Service is full.
	ErrOutOfIPs = errors.New("lbipam: pools out of IPs")
	// ErrSelectorMismatch: the pool that contains the IP does not select the Service.
	ErrSelectorMismatch = errors.New("lbipam: pool does not select the service")
	// ErrAlreadyAllocated: the requested IP is held by another Service and cannot be shared.
	ErrAlreadyAllocated = errors.New("lbipam: IP already allocated")
	// ErrIncompatibleSharing: the requested IP is shared under the same key by a Service
	// that this one cannot share with (namespace, port and protocol, or traffic policy).
	ErrIncompatibleSharing = errors.New("lbipam: IP allocated to an incompatible service")
	// ErrNotInPool: the Service keeps an IP that no pool contains any more (a pool was
	// edited or deleted); the IP is kept, not reassigned.
	ErrNotInPool = errors.New("lbipam: IP no longer in any pool")
	// ErrConflictingPool: the Service keeps an IP that only a conflicting or invalid pool
	// contains.
	ErrConflictingPool = errors.New("lbipam: IP in a conflicting pool")
	// ErrNotRequested: another writer put an IP into a Service's status that the Service
	// does not ask for (not one of its lbipam.cilium.io/ips, of a family it does not
	// request, or a second address of one family).
	ErrNotRequested = errors.New("lbipam: IP not requested by the service")
)
