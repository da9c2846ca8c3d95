package l2

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// leaderElectionJitter is client-go leader election's JitterFactor: renewDeadline must
// exceed retryPeriod times this factor.
const leaderElectionJitter = 1.2

// Timing holds the per-Service lease timings of Cilium's L2 announcer (Helm values
// l2announcements.leaseDuration, leaseRenewDeadline and leaseRetryPeriod).
type Timing struct {
	// LeaseDuration is how long a lease stays valid without renewal; Cilium default 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the holder keeps trying to renew before giving up; it must
	// be below LeaseDuration. Cilium default 5s.
	RenewDeadline time.Duration
	// RetryPeriod is the wait between attempts; RenewDeadline must exceed 1.2 times it
	// (client-go's jitter factor). Cilium default 2s.
	RetryPeriod time.Duration
}

// DefaultTiming returns Cilium's defaults: 15s, 5s, 2s.
func DefaultTiming() Timing {
	return Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 5 * time.Second, RetryPeriod: 2 * time.Second}
}

// Validate returns every rule t breaks, joined, each wrapping ErrInvalidTiming: a zero or
// negative value, RenewDeadline >= LeaseDuration, RetryPeriod >= RenewDeadline, or
// RenewDeadline <= 1.2 * RetryPeriod (client-go refuses that).
func (t Timing) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("lease timing %s: %s: %w", t, fmt.Sprintf(format, args...), ErrInvalidTiming))
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"leaseDuration", t.LeaseDuration}, {"renewDeadline", t.RenewDeadline}, {"retryPeriod", t.RetryPeriod}} {
		if f.d <= 0 {
			bad("%s %s is not positive", f.name, f.d)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	switch {
	case t.RenewDeadline >= t.LeaseDuration:
		bad("renewDeadline %s is not below leaseDuration %s", t.RenewDeadline, t.LeaseDuration)
	case t.RetryPeriod >= t.RenewDeadline:
		bad("retryPeriod %s is not below renewDeadline %s", t.RetryPeriod, t.RenewDeadline)
	case float64(t.RenewDeadline) <= leaderElectionJitter*float64(t.RetryPeriod):
		bad("renewDeadline %s is not above 1.2 x retryPeriod %s", t.RenewDeadline, t.RetryPeriod)
	}
	return errors.Join(errs...)
}

// String formats t as "leaseDuration/renewDeadline/retryPeriod", e.g. "15s/5s/2s".
func (t Timing) String() string {
	return fmt.Sprintf("%s/%s/%s", t.LeaseDuration, t.RenewDeadline, t.RetryPeriod)
}

// Default client rate limits of the Cilium agent (Helm k8sClientRateLimit) in chart 1.19.
const (
	// DefaultClientQPS is the agent's default sustained API request rate, per second.
	DefaultClientQPS = 10
	// DefaultClientBurst is the agent's default API request burst.
	DefaultClientBurst = 20
)

// Estimate is what a timing means for a cluster: how long failover takes, how much lease
// traffic the API server sees, and the agent rate limit that carries it.
type Estimate struct {
	// FailoverMin and FailoverMax bound the time from an announcing node's failure to
	// another node taking over: LeaseDuration - RenewDeadline .. LeaseDuration + RenewDeadline.
	FailoverMin, FailoverMax time.Duration
	// LeaseRequestsPerSecond is the lease renewal load on the API server, about
	// services / RenewDeadline (in seconds), as Cilium's documentation estimates it: the
	// rate each lease needs to be renewed within its deadline.
	LeaseRequestsPerSecond float64
	// UnthrottledRenewalsPerSecond is services / RetryPeriod: client-go's leader election
	// attempts a renewal every RetryPeriod, so an agent leading every Service asks for this
	// rate when its rate limit does not hold it back. ClientQPS is sized on
	// LeaseRequestsPerSecond; the limiter delays the surplus without losing leases.
	UnthrottledRenewalsPerSecond float64
	// ClientQPS is the k8sClientRateLimit.qps to set: the base rate plus the lease load,
	// rounded up. ClientBurst is k8sClientRateLimit.burst: at least the base burst and
	// twice ClientQPS, so that renewals after a stall fit in one burst.
	ClientQPS, ClientBurst int
}

// EstimateOptions are the optional inputs of Calculate. Nil means the defaults.
type EstimateOptions struct {
	// BaseQPS and BaseBurst are the agent's API traffic besides leases; default
	// DefaultClientQPS and DefaultClientBurst.
	BaseQPS, BaseBurst int
}

// Calculate returns the Estimate for t with services announced Services (0 or more). It
// returns an error wrapping ErrInvalidTiming or ErrInvalidServiceCount for bad input.
func Calculate(t Timing, services int, opts *EstimateOptions) (Estimate, error) {
	if err := t.Validate(); err != nil {
		return Estimate{}, err
	}
	if services < 0 {
		return Estimate{}, fmt.Errorf("services %d: %w", services, ErrInvalidServiceCount)
	}
	baseQPS, baseBurst := DefaultClientQPS, DefaultClientBurst
	if opts != nil && opts.BaseQPS > 0 {
		baseQPS = opts.BaseQPS
	}
	if opts != nil && opts.BaseBurst > 0 {
		baseBurst = opts.BaseBurst
	}
	load := float64(services) / t.RenewDeadline.Seconds()
	qps := baseQPS + int(math.Ceil(load))
	return Estimate{
		FailoverMin:                  t.LeaseDuration - t.RenewDeadline,
		FailoverMax:                  t.LeaseDuration + t.RenewDeadline,
		LeaseRequestsPerSecond:       load,
		UnthrottledRenewalsPerSecond: float64(services) / t.RetryPeriod.Seconds(),
		ClientQPS:                    qps,
		ClientBurst:                  max(baseBurst, 2*qps),
	}, nil
}
