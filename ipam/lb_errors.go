package ipam

import "errors"

// Sentinel errors of LB IPAM (pools, allocator and controller). Errors returned by this
// package wrap them with the offending object and value; test with errors.Is.
var (
	// ErrLBInvalidPool: a CiliumLoadBalancerIPPool name or field is not valid.
	ErrLBInvalidPool = errors.New("invalid LB IP pool")
	// ErrLBInvalidBlock: a pool block is not a valid CIDR or start/stop IP range.
	ErrLBInvalidBlock = errors.New("invalid LB IP pool block")
	// ErrLBInvalidSelector: a pool's serviceSelector cannot be turned into a label selector.
	ErrLBInvalidSelector = errors.New("invalid LB IP pool service selector")
	// ErrLBPoolConflict: blocks overlap, within one pool or with an older pool.
	ErrLBPoolConflict = errors.New("LB IP pool conflict")
	// ErrLBInvalidRequest: a Service annotation or spec.loadBalancerIP cannot be parsed.
	ErrLBInvalidRequest = errors.New("invalid LB IPAM request")
	// ErrLBNoPool: no enabled pool selects the Service or contains the requested IP.
	ErrLBNoPool = errors.New("no LB IP pool")
	// ErrLBOutOfIPs: every enabled pool that selects the Service is full.
	ErrLBOutOfIPs = errors.New("LB IP pools out of IPs")
	// ErrLBSelectorMismatch: the pool that contains the IP does not select the Service.
	ErrLBSelectorMismatch = errors.New("LB IP pool does not select the service")
	// ErrLBAlreadyAllocated: the requested IP is held by another Service and cannot be shared.
	ErrLBAlreadyAllocated = errors.New("LB IP already allocated")
	// ErrLBIncompatibleSharing: the requested IP is shared under the same key by a Service
	// that this one cannot share with (namespace, port and protocol, or traffic policy).
	ErrLBIncompatibleSharing = errors.New("LB IP allocated to an incompatible service")
	// ErrLBNotInPool: the Service keeps an IP that no pool contains any more (a pool was
	// edited or deleted); the IP is kept, not reassigned.
	ErrLBNotInPool = errors.New("LB IP no longer in any pool")
	// ErrLBConflictingPool: the Service keeps an IP that only a conflicting pool contains.
	ErrLBConflictingPool = errors.New("LB IP in a conflicting pool")
)
