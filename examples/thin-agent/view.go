package main

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// svcData is what one source says about one service: its frontends and backends, each
// with the Service port name that pairs them (ClusterMesh matches a frontend port with
// the backend ports of the same name and protocol).
type svcData struct {
	frontends []portFrontend
	backends  []portBackend
	// global is the service's ClusterMesh policy: for the local cluster its
	// annotations (nil: not global, local backends only); for a remote cluster
	// &lb.Global{} when it exports the service as global (includeExternal), else nil.
	global *lb.Global
	// shared: the cluster offers the backends to other clusters. Remote backends of a
	// service that is not shared are not used, as in Cilium.
	shared bool
}

type portFrontend struct {
	fe   lb.Frontend
	port string
}

type portBackend struct {
	b    lb.Backend
	port string
}

// view merges every source into one set of desired datapath services, keyed by
// namespace/name. The local cluster's entry decides a service's frontends and policy;
// remote clusters add backends to global services (and, for a service the local
// cluster does not define, which only a remote cluster exports as global, provide its
// frontends too: the node then reaches it like any mesh member would). It is safe for
// concurrent use: sources write, the syncer reads.
type view struct {
	mu     sync.Mutex
	local  map[types.NamespacedName]*svcData
	remote map[string]map[types.NamespacedName]*svcData // by cluster name
	// computed caches each key's services; dirty keys are recomputed on snapshot.
	computed map[types.NamespacedName]computed
	dirty    map[types.NamespacedName]struct{}
	// since is when the oldest change not yet taken by snapshot arrived.
	since  time.Time
	notify chan struct{}
}

func newView() *view {
	return &view{
		local:    map[types.NamespacedName]*svcData{},
		remote:   map[string]map[types.NamespacedName]*svcData{},
		computed: map[types.NamespacedName]computed{},
		dirty:    map[types.NamespacedName]struct{}{},
		notify:   make(chan struct{}, 1),
	}
}

// setLocal records the local cluster's data for k; nil removes it.
func (v *view) setLocal(k types.NamespacedName, d *svcData) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d == nil {
		delete(v.local, k)
	} else {
		v.local[k] = d
	}
	v.markLocked(k)
}

// setRemote records remote cluster's data for k; nil removes it.
func (v *view) setRemote(cluster string, k types.NamespacedName, d *svcData) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := v.remote[cluster]
	if m == nil {
		m = map[types.NamespacedName]*svcData{}
		v.remote[cluster] = m
	}
	if d == nil {
		delete(m, k)
	} else {
		m[k] = d
	}
	v.markLocked(k)
}

func (v *view) markLocked(k types.NamespacedName) {
	if len(v.dirty) == 0 {
		v.since = time.Now()
	}
	v.dirty[k] = struct{}{}
	select {
	case v.notify <- struct{}{}:
	default:
	}
}

// skipCounts counts what the datapath cannot program, by reason (see skip*).
type skipCounts map[string]int

// Reasons a frontend or backend is left out of the maps.
const (
	skipFamily        = "family"         // a backend whose address family none of its service's frontends has
	skipProtocol      = "protocol"       // SCTP, or a backend of another protocol
	skipPort          = "port"           // port 0
	skipDupFrontend   = "dup-frontend"   // a frontend two services (or ports) claim
	skipSharedBackend = "shared-backend" // a backend two frontends claim (stateless reverse NAT)
)

// snapshot is one consistent desired state.
type snapshot struct {
	services []datapath.Service
	// changed is how many keys changed since the previous snapshot.
	changed int
	// since is when the oldest of those changes arrived (zero when none did).
	since time.Time
	// skips counts what was left out, over the whole set.
	skips skipCounts
}

// computed is one key's merged services and what its merge left out.
type computed struct {
	services []datapath.Service
	skips    skipCounts
}

// snapshot recomputes the changed keys and returns the full desired set, in a
// deterministic order (by namespace/name, then frontend). Conflicts between services are
// settled in that order: the first keeps a frontend or backend another one also claims.
func (v *view) snapshot() snapshot {
	v.mu.Lock()
	s := snapshot{changed: len(v.dirty), skips: skipCounts{}}
	if len(v.dirty) > 0 {
		s.since = v.since
	}
	clusters := slices.Sorted(maps.Keys(v.remote))
	for k := range v.dirty {
		if c := v.computeLocked(k, clusters); len(c.services) > 0 || len(c.skips) > 0 {
			v.computed[k] = c
		} else {
			delete(v.computed, k)
		}
	}
	clear(v.dirty)
	keys := make([]types.NamespacedName, 0, len(v.computed))
	n := 0
	for k, c := range v.computed {
		keys = append(keys, k)
		n += len(c.services)
		for r, c := range c.skips {
			s.skips[r] += c
		}
	}
	slices.SortFunc(keys, func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	all := make([][]datapath.Service, len(keys))
	for i, k := range keys {
		all[i] = v.computed[k].services
	}
	v.mu.Unlock()

	s.services = make([]datapath.Service, 0, n)
	fes := make(map[lb.Frontend]struct{}, n)
	owners := make(map[backendKey]struct{}, 2*n)
	for _, svcs := range all {
		for _, sv := range svcs {
			if _, dup := fes[sv.Frontend]; dup {
				s.skips[skipDupFrontend]++
				continue
			}
			fes[sv.Frontend] = struct{}{}
			kept := sv.Backends
			for i, b := range sv.Backends {
				bk := backendKey{b.Addr, b.Protocol}
				if _, taken := owners[bk]; !taken {
					owners[bk] = struct{}{}
					if len(kept) < i {
						kept = append(kept, b)
					}
					continue
				}
				s.skips[skipSharedBackend]++
				if len(kept) == len(sv.Backends) {
					kept = slices.Clone(sv.Backends[:i])
				}
			}
			sv.Backends = kept
			s.services = append(s.services, sv)
		}
	}
	return s
}

type backendKey struct {
	addr  netip.AddrPort
	proto lb.Protocol
}

// computeLocked merges the sources' data for k into datapath services: one per usable
// frontend, its backends chosen by lb.Select from the local and the remote side.
// clusters are the remote clusters' names, sorted.
// Addresses are normalised (IPv4-mapped IPv6 as IPv4, zones dropped); each frontend takes
// the backends of its own address family; what the datapath cannot carry is counted and
// left out.
func (v *view) computeLocked(k types.NamespacedName, clusters []string) computed {
	var c computed
	skip := func(reason string) {
		if c.skips == nil {
			c.skips = skipCounts{}
		}
		c.skips[reason]++
	}
	loc := v.local[k]
	var remotes []*svcData
	for _, name := range clusters {
		if d := v.remote[name][k]; d != nil && d.shared {
			remotes = append(remotes, d)
		}
	}
	var (
		fes []portFrontend
		g   *lb.Global
	)
	if loc != nil {
		fes, g = loc.frontends, loc.global
	} else {
		for _, r := range remotes {
			if r.global != nil && len(r.frontends) > 0 {
				fes, g = r.frontends, &lb.Global{}
				break
			}
		}
	}
	for _, pf := range fes {
		fe := lb.Frontend{Addr: normal(pf.fe.Addr), Protocol: pf.fe.Protocol}
		switch {
		case fe.Addr.Port() == 0:
			skip(skipPort)
			continue
		case fe.Protocol != lb.TCP && fe.Protocol != lb.UDP:
			skip(skipProtocol)
			continue
		case slices.ContainsFunc(c.services, func(s datapath.Service) bool { return s.Frontend == fe }):
			skip(skipDupFrontend)
			continue
		}
		var local, remote []lb.Backend
		// dup reports whether a backend address is already taken for this frontend; a
		// linear scan, as services have few backends, then a set.
		var seen map[netip.AddrPort]struct{}
		dup := func(a netip.AddrPort) bool {
			if n := len(local) + len(remote); n < 16 {
				return slices.ContainsFunc(local, func(b lb.Backend) bool { return b.Addr == a }) ||
					slices.ContainsFunc(remote, func(b lb.Backend) bool { return b.Addr == a })
			}
			if seen == nil {
				seen = make(map[netip.AddrPort]struct{}, 2*(len(local)+len(remote)))
				for _, b := range local {
					seen[b.Addr] = struct{}{}
				}
				for _, b := range remote {
					seen[b.Addr] = struct{}{}
				}
			}
			_, ok := seen[a]
			seen[a] = struct{}{}
			return ok
		}
		pick := func(dst *[]lb.Backend, d *svcData) {
			for _, pb := range d.backends {
				if pb.port != pf.port {
					continue
				}
				b := pb.b
				b.Addr = normal(b.Addr)
				switch {
				case b.Protocol != fe.Protocol:
					skip(skipProtocol)
					continue
				case b.Addr.Addr().Is4() != fe.Addr.Addr().Is4():
					// The frontend of b's family takes it; with none, it is left out.
					if !slices.ContainsFunc(fes, func(o portFrontend) bool {
						return o.port == pf.port && normal(o.fe.Addr).Addr().Is4() == b.Addr.Addr().Is4()
					}) {
						skip(skipFamily)
					}
					continue
				case b.Addr.Port() == 0:
					skip(skipPort)
					continue
				}
				if dup(b.Addr) {
					continue
				}
				*dst = append(*dst, b)
			}
		}
		if loc != nil {
			pick(&local, loc)
		}
		if g != nil {
			for _, r := range remotes {
				pick(&remote, r)
			}
		}
		c.services = append(c.services, datapath.Service{Frontend: fe, Backends: lb.Select(g, local, remote).Backends})
	}
	return c
}

// normal returns a with an IPv4-mapped IPv6 address as IPv4 and without zone.
func normal(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap().WithZone(""), a.Port())
}
