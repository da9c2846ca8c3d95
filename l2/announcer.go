package l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Announcer is a node's L2 announcer, as Cilium's agent runs it: for every Service of the
// desired set (Update) it competes for the Service's lease (LeaseName, in
// AnnouncerOptions.LeaseNamespace, holder identity = the node name) with client-go leader
// election; while it holds a lease, its Responder answers for the Service's addresses on
// their interfaces. On taking a lease over it sends gratuitous ARP requests (IPv4) or
// unsolicited Neighbor Advertisements (IPv6) so that neighbours repoint their caches; on
// losing it the addresses leave the Responder at once; when Run's context ends it clears
// the Responder and releases its leases, so that another node takes over within one
// RetryPeriod instead of waiting for the lease to expire.
//
// The interfaces are those of the network namespace NewAnnouncer was called in (its
// packet socket is opened there); the API traffic goes wherever the client dials.
type Announcer struct {
	kube kubernetes.Interface
	node string
	resp Responder
	opts AnnouncerOptions
	link link
	log  *slog.Logger

	// tmu orders OnTransition calls; mu guards the rest below.
	tmu      sync.Mutex
	mu       sync.Mutex
	services map[types.NamespacedName]*service
	// state is idle (Run not called), running or stopped.
	state    int
	electCtx context.Context
	// electors tracks the election goroutines; stopping holds the done channel of an
	// election that was cancelled and may still be releasing its lease, so that a
	// re-added Service waits for it.
	electors sync.WaitGroup
	stopping map[types.NamespacedName]chan struct{}
	kick     chan struct{}
}

const (
	stateIdle = iota
	stateRunning
	stateStopped
)

// service is one Service of the desired set.
type service struct {
	key     types.NamespacedName
	lease   string
	entries []ResponderEntry
	leading bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewAnnouncer returns the announcer of node nodeName (the lease holder identity) that
// keeps leases through kube (coordination.k8s.io/v1 Leases: get, create, update) and
// answers through r. It opens a packet socket in the calling thread's network namespace
// (CAP_NET_RAW); off Linux it returns an error wrapping errors.ErrUnsupported. Nothing is
// announced until Run is running and Update has handed in a desired set.
func NewAnnouncer(kube kubernetes.Interface, nodeName string, r Responder, opts *AnnouncerOptions) (*Announcer, error) {
	var errs []error
	if kube == nil {
		errs = append(errs, fmt.Errorf("announcer for node %q: nil Kubernetes client: %w", nodeName, ErrInvalidAnnouncer))
	}
	if nodeName == "" {
		errs = append(errs, fmt.Errorf("announcer: empty node name: %w", ErrInvalidAnnouncer))
	}
	if r == nil {
		errs = append(errs, fmt.Errorf("announcer for node %q: nil Responder: %w", nodeName, ErrInvalidAnnouncer))
	}
	o, err := opts.withDefaults()
	if err != nil {
		errs = append(errs, fmt.Errorf("node %q: %w", nodeName, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l, err := newLink()
	if err != nil {
		return nil, fmt.Errorf("announcer for node %q: %w", nodeName, err)
	}
	return &Announcer{
		kube: kube, node: nodeName, resp: r, opts: o, link: l,
		log:      o.Logger.With("node", nodeName),
		services: map[types.NamespacedName]*service{},
		stopping: map[types.NamespacedName]chan struct{}{},
		kick:     make(chan struct{}, 1),
	}, nil
}

// Update replaces the desired set: the addresses this node may announce, per Service and
// interface (duplicates are ignored). Services that leave the set have their leases
// released and their addresses removed from the Responder; new ones start competing
// (once Run runs). Invalid entries are all reported, joined, each wrapping
// ErrInvalidAnnouncement, and then nothing changes. Update may be called before and
// while Run runs; after Run returned it returns ErrStopped.
func (a *Announcer) Update(set []Announcement) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == stateStopped {
		return fmt.Errorf("update node %s: %w", a.node, ErrStopped)
	}
	// Under a.mu: Run closes the packet socket only after marking the announcer stopped.
	want, err := a.resolve(set)
	if err != nil {
		return err
	}
	changed := false
	for key, s := range a.services {
		if _, ok := want[key]; !ok {
			changed = changed || s.leading
			a.stopService(s)
		}
	}
	for key, entries := range want {
		if s, ok := a.services[key]; ok {
			if !slices.EqualFunc(s.entries, entries, sameEntry) {
				s.entries = entries
				changed = changed || s.leading
			}
			continue
		}
		s := &service{key: key, lease: LeaseName(key.Namespace, key.Name), entries: entries}
		a.services[key] = s
		if a.state == stateRunning {
			a.startService(s)
		}
	}
	if changed {
		a.poke()
	}
	return nil
}

// resolve validates set and groups it by Service, with each interface's index and MAC.
func (a *Announcer) resolve(set []Announcement) (map[types.NamespacedName][]ResponderEntry, error) {
	type dev struct {
		ifindex int
		mac     net.HardwareAddr
		err     error
	}
	devs := map[string]dev{}
	want := map[types.NamespacedName][]ResponderEntry{}
	var errs []error
	for _, an := range set {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("node %s announcement %s: %s: %w", a.node, an, fmt.Sprintf(format, args...), ErrInvalidAnnouncement))
		}
		switch {
		case an.Service.Namespace == "" || an.Service.Name == "":
			bad("service namespace and name must both be set")
			continue
		case !an.IP.IsValid() || an.IP.IsUnspecified() || an.IP.IsMulticast() || an.IP.Zone() != "":
			bad("address %q is not a unicast address without zone", an.IP)
			continue
		case an.Interface == "":
			bad("empty interface name")
			continue
		}
		d, ok := devs[an.Interface]
		if !ok {
			d.ifindex, d.mac, d.err = a.link.resolve(an.Interface)
			devs[an.Interface] = d
		}
		if d.err != nil {
			bad("interface %q: %v", an.Interface, d.err)
			continue
		}
		want[an.Service] = append(want[an.Service], ResponderEntry{IP: an.IP.Unmap(), Interface: an.Interface, Ifindex: d.ifindex, MAC: d.mac})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for key, es := range want {
		sortEntries(es)
		want[key] = slices.CompactFunc(es, sameEntry)
	}
	return want, nil
}

func sameEntry(a, b ResponderEntry) bool {
	return a.IP == b.IP && a.Ifindex == b.Ifindex && a.Interface == b.Interface && slices.Equal(a.MAC, b.MAC)
}

// Held returns the desired addresses of the Services whose leases this node holds now,
// sorted by Service, IP and interface.
func (a *Announcer) Held() []Announcement {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Announcement
	for _, s := range a.services {
		if s.leading {
			for _, e := range s.entries {
				out = append(out, Announcement{Service: s.key, IP: e.IP, Interface: e.Interface})
			}
		}
	}
	slices.SortFunc(out, compareAnnouncements)
	return out
}

// heldEntries returns the Responder entries of the leading Services; a.mu must be held.
func (a *Announcer) heldEntries() []ResponderEntry {
	var out []ResponderEntry
	for _, s := range a.services {
		if s.leading {
			out = append(out, s.entries...)
		}
	}
	sortEntries(out)
	return slices.CompactFunc(out, func(x, y ResponderEntry) bool { return x.IP == y.IP && x.Ifindex == y.Ifindex })
}

// isHeld reports whether e is among the held entries.
func (a *Announcer) isHeld(e ResponderEntry) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.ContainsFunc(a.heldEntries(), func(h ResponderEntry) bool { return sameEntry(h, e) })
}

// poke asks the Run loop to push the held set to the Responder.
func (a *Announcer) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run runs the elections and keeps the Responder in step until ctx ends (its first push,
// of the still empty held set, clears entries a previous process left); then it clears
// the Responder, releases the leases this node holds (each attempt bounded by
// RenewDeadline), waits for its goroutines and closes the packet socket. It returns
// ErrStopped when called twice, and otherwise the error of the final clearing, if any.
// A Responder failure while running is logged and retried every RetryPeriod.
func (a *Announcer) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.state != stateIdle {
		a.mu.Unlock()
		return fmt.Errorf("run node %s: %w", a.node, ErrStopped)
	}
	a.state = stateRunning
	electCtx, cancelElect := context.WithCancel(withKlogLogger(context.WithoutCancel(ctx), a.log))
	a.electCtx = electCtx
	for _, s := range a.services {
		a.startService(s)
	}
	a.mu.Unlock()

	var garps sync.WaitGroup
	var pushed []ResponderEntry
	var retry <-chan time.Time
	dirty := true
	for ctx.Err() == nil {
		if dirty {
			a.mu.Lock()
			want := a.heldEntries()
			a.mu.Unlock()
			if err := a.resp.SetResponders(ctx, want); err != nil {
				if ctx.Err() == nil {
					a.log.Error("L2 responder update failed; retrying", "entries", len(want), "retry", a.opts.Timing.RetryPeriod, "error", err)
				}
				retry = time.After(a.opts.Timing.RetryPeriod)
			} else {
				var added []ResponderEntry
				for _, e := range want {
					if !slices.ContainsFunc(pushed, func(p ResponderEntry) bool { return sameEntry(p, e) }) {
						added = append(added, e)
					}
				}
				pushed, retry, dirty = want, nil, false
				if len(added) > 0 {
					garps.Add(1)
					go func() {
						defer garps.Done()
						a.gratuitous(ctx, added)
					}()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-a.kick:
			dirty = true
		case <-retry:
			dirty = true
		}
	}

	// Stop answering before giving the leases away, so that two nodes never answer at once.
	a.mu.Lock()
	a.state = stateStopped
	a.mu.Unlock()
	clearCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.Timing.RenewDeadline)
	err := a.resp.SetResponders(clearCtx, nil)
	cancel()
	if err != nil {
		err = fmt.Errorf("node %s: clear L2 responders: %w", a.node, err)
		a.log.Error("clearing L2 responders failed", "error", err)
	}
	cancelElect()
	a.electors.Wait()
	garps.Wait()
	return errors.Join(err, a.link.close())
}
