package l2

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Announcement is one address a node may announce for a Service on one interface: an
// entry of the desired set handed to (*Announcer).Update, as Watch computes it from the
// policies that select the node.
type Announcement struct {
	// Service is the Service's namespace and name; its lease (LeaseName) decides which
	// node announces all of its addresses.
	Service types.NamespacedName
	// IP is the address to answer for: an LB IP or external IP, without zone.
	IP netip.Addr
	// Interface is the device name (e.g. "eth0") in the announcer's network namespace.
	Interface string
}

// String returns "default/web 10.10.200.1 on eth0".
func (a Announcement) String() string {
	return fmt.Sprintf("%s %s on %s", a.Service, a.IP, a.Interface)
}

// compareAnnouncements orders by service, IP, then interface.
func compareAnnouncements(a, b Announcement) int {
	return cmp.Or(cmp.Compare(a.Service.Namespace, b.Service.Namespace), cmp.Compare(a.Service.Name, b.Service.Name),
		a.IP.Compare(b.IP), cmp.Compare(a.Interface, b.Interface))
}

// ResponderEntry is an address this node holds the lease for: neighbours asking for IP on
// the interface must be answered with MAC. IPv4 entries are answered with ARP, IPv6 ones
// with Neighbor Advertisements (the ciliumkit datapath's XDP program answers both from
// its L2 responder maps: datapath.L2Responder).
type ResponderEntry struct {
	// IP is the held address.
	IP netip.Addr
	// Interface and Ifindex name the device (Ifindex >= 1, in the announcer's network
	// namespace).
	Interface string
	Ifindex   int
	// MAC is the device's hardware address, which answers carry.
	MAC net.HardwareAddr
}

// String returns "10.10.200.1 on eth0 (ifindex 2) as 02:00:00:00:00:01".
func (e ResponderEntry) String() string {
	return fmt.Sprintf("%s on %s (ifindex %d) as %s", e.IP, e.Interface, e.Ifindex, e.MAC)
}

// Responder answers neighbour requests for the addresses an Announcer holds, typically by
// writing a datapath's L2 responder map.
type Responder interface {
	// SetResponders makes the responder answer for exactly entries (sorted by IP, then
	// ifindex; empty clears it). The Announcer calls it after every change of the held
	// set, from one goroutine at a time, and retries a failed call every RetryPeriod.
	SetResponders(ctx context.Context, entries []ResponderEntry) error
}

// ResponderFunc adapts a function to Responder.
type ResponderFunc func(ctx context.Context, entries []ResponderEntry) error

// SetResponders calls f.
func (f ResponderFunc) SetResponders(ctx context.Context, entries []ResponderEntry) error {
	return f(ctx, entries)
}

// Transition is a change of lease ownership seen by an Announcer, for metrics and events.
type Transition struct {
	// Service is the Service whose lease changed hands.
	Service types.NamespacedName
	// Lease is the lease's name (LeaseName).
	Lease string
	// Leading is true when this node acquired the lease, false when it lost or released it.
	Leading bool
	// Time is when the Announcer saw the change.
	Time time.Time
}

// Defaults of AnnouncerOptions.
const (
	// DefaultLeaseNamespace is where Cilium's agents keep their L2 leases in the
	// documented install: the namespace Cilium runs in (the agent's CILIUM_K8S_NAMESPACE,
	// the Helm release namespace).
	DefaultLeaseNamespace = "kube-system"
	// DefaultGratuitousCount is how many gratuitous ARP requests (or unsolicited Neighbor
	// Advertisements) an Announcer sends for each address it takes over.
	DefaultGratuitousCount = 3
	// DefaultGratuitousInterval is the pause between them.
	DefaultGratuitousInterval = 100 * time.Millisecond
)

// AnnouncerOptions are the optional settings of NewAnnouncer. Nil or zero fields mean the
// documented defaults.
type AnnouncerOptions struct {
	// Timing is the lease timing (Cilium's l2-announcements-lease-duration,
	// -renew-deadline and -retry-period); zero means DefaultTiming (15s/5s/2s). It must
	// pass Timing.Validate.
	Timing Timing
	// LeaseNamespace holds the per-Service leases; empty means DefaultLeaseNamespace. To
	// compete with Cilium agents, set it to the namespace Cilium runs in (Cilium itself
	// falls back to "default" when its namespace is unknown).
	LeaseNamespace string
	// GratuitousCount is the number of gratuitous ARP requests (IPv4) or unsolicited
	// Neighbor Advertisements (IPv6) sent from the interface for each address taken over,
	// in [1, 100]; zero means DefaultGratuitousCount.
	GratuitousCount int
	// GratuitousInterval is the pause between them, in (0, 10s]; zero means
	// DefaultGratuitousInterval.
	GratuitousInterval time.Duration
	// OnTransition, when set, is called for every lease this node acquires or loses, in
	// the order they happen, from the election's goroutine; it must not block (count or
	// queue, e.g. for Prometheus counters).
	OnTransition func(Transition)
	// Logger receives the announcer's and the leader election's logs; nil discards them.
	Logger *slog.Logger
}

// withDefaults returns a copy with defaults filled in, or an error naming the bad field.
func (o *AnnouncerOptions) withDefaults() (AnnouncerOptions, error) {
	var r AnnouncerOptions
	if o != nil {
		r = *o
	}
	if r.Timing == (Timing{}) {
		r.Timing = DefaultTiming()
	}
	if err := r.Timing.Validate(); err != nil {
		return r, fmt.Errorf("announcer: %w", err)
	}
	if r.LeaseNamespace == "" {
		r.LeaseNamespace = DefaultLeaseNamespace
	}
	if r.GratuitousCount == 0 {
		r.GratuitousCount = DefaultGratuitousCount
	}
	if r.GratuitousCount < 1 || r.GratuitousCount > 100 {
		return r, fmt.Errorf("announcer: GratuitousCount %d not in [1, 100]: %w", r.GratuitousCount, ErrInvalidAnnouncer)
	}
	if r.GratuitousInterval == 0 {
		r.GratuitousInterval = DefaultGratuitousInterval
	}
	if r.GratuitousInterval < 0 || r.GratuitousInterval > 10*time.Second {
		return r, fmt.Errorf("announcer: GratuitousInterval %s not in (0, 10s]: %w", r.GratuitousInterval, ErrInvalidAnnouncer)
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// sortEntries sorts by IP, then ifindex.
func sortEntries(es []ResponderEntry) {
	slices.SortFunc(es, func(a, b ResponderEntry) int {
		return cmp.Or(a.IP.Compare(b.IP), cmp.Compare(a.Ifindex, b.Ifindex))
	})
}
