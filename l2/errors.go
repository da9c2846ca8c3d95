package l2

import "errors"

// Sentinel errors of the l2 package. Errors returned by this package wrap them with the
// offending object and value; test with errors.Is. Each text starts with "l2: ".
var (
	// ErrInvalidPolicy: a CiliumL2AnnouncementPolicy name is not valid or the policy
	// announces neither external IPs nor load-balancer IPs.
	ErrInvalidPolicy = errors.New("l2: invalid L2 announcement policy")
	// ErrInvalidSelector: a service or node selector does not convert to a label selector.
	ErrInvalidSelector = errors.New("l2: invalid L2 announcement policy selector")
	// ErrInvalidInterface: an interfaces entry is not a valid regular expression.
	ErrInvalidInterface = errors.New("l2: invalid L2 announcement interface regex")
	// ErrInvalidTiming: lease timings that leader election refuses (zero or negative,
	// renewDeadline >= leaseDuration, or retryPeriod too close to renewDeadline).
	ErrInvalidTiming = errors.New("l2: invalid L2 lease timing")
	// ErrInvalidServiceCount: a negative number of announced services.
	ErrInvalidServiceCount = errors.New("l2: invalid service count")
	// ErrInvalidAnnouncer: NewAnnouncer was given no client, no node name, no Responder
	// or options out of range.
	ErrInvalidAnnouncer = errors.New("l2: invalid announcer configuration")
	// ErrInvalidAnnouncement: an Announcement handed to Update names no Service, carries
	// an invalid address or names an interface the announcer's network namespace lacks.
	ErrInvalidAnnouncement = errors.New("l2: invalid announcement")
	// ErrStopped: the Announcer's Run has returned (or is running already, for a second
	// Run); it cannot be used again.
	ErrStopped = errors.New("l2: announcer stopped")
)
