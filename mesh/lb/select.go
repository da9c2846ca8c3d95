package lb

// SelectedBackend is one backend a service load-balances to, with where it runs and
// whether the service's affinity prefers it.
type SelectedBackend struct {
	Backend
	// Remote is true for a backend of another cluster.
	Remote bool
	// Preferred is true when the affinity prefers the backend's side: local backends for
	// AffinityLocal, remote ones for AffinityRemote; never for AffinityNone.
	Preferred bool
}

// Selection is the outcome of Select.
type Selection struct {
	// Backends are the backends the service uses, in every state: local ones first, then
	// remote ones, each in input order. Only active ones take new connections (see Active);
	// terminating ones keep their existing connections.
	Backends []SelectedBackend
	// UsesLocal and UsesRemote tell which sides were selected.
	UsesLocal, UsesRemote bool
}

// Active returns the selected backends in state active: those that take new connections.
func (s Selection) Active() []Backend {
	var out []Backend
	for _, b := range s.Backends {
		if b.State == BackendActive {
			out = append(out, b.Backend)
		}
	}
	return out
}

// Select chooses the backends of a service, from those of the local cluster and
// those of remote clusters, with Cilium's ClusterMesh semantics:
//
//   - g == nil (the service is not global): local backends only, never remote ones.
//   - AffinityNone: local and remote backends.
//   - AffinityLocal: local backends; remote backends too while no local backend is active
//     and some remote backend is active or terminating.
//   - AffinityRemote: the mirror, remote backends; local backends too while no remote
//     backend is active and some local backend is active or terminating.
//
// Quarantined and maintenance backends never count as available, but the preferred side
// is kept in the selection in every state, as Cilium does. Unlike Cilium 1.18.6 and 1.19.3,
// which drop remote backends when the annotation holds the literal "none", AffinityNone
// always uses both sides. Both inputs are read, not kept.
func Select(g *Global, local, remote []Backend) Selection {
	var s Selection
	switch {
	case g == nil:
		s.UsesLocal = true
	case g.Affinity == AffinityLocal:
		s.UsesLocal = true
		s.UsesRemote = countActive(local) == 0 && countAvailable(remote) > 0
	case g.Affinity == AffinityRemote:
		s.UsesRemote = true
		s.UsesLocal = countActive(remote) == 0 && countAvailable(local) > 0
	default:
		s.UsesLocal, s.UsesRemote = true, true
	}
	var aff Affinity
	if g != nil {
		aff = g.Affinity
	}
	if s.UsesLocal {
		for _, b := range local {
			s.Backends = append(s.Backends, SelectedBackend{Backend: b, Preferred: aff == AffinityLocal})
		}
	}
	if s.UsesRemote {
		for _, b := range remote {
			s.Backends = append(s.Backends, SelectedBackend{Backend: b, Remote: true, Preferred: aff == AffinityRemote})
		}
	}
	return s
}

func countActive(bs []Backend) int {
	n := 0
	for _, b := range bs {
		if b.State == BackendActive {
			n++
		}
	}
	return n
}

// countAvailable counts backends that serve traffic: active, or terminating (which still
// serve their existing connections).
func countAvailable(bs []Backend) int {
	n := 0
	for _, b := range bs {
		if b.State == BackendActive || b.State == BackendTerminating {
			n++
		}
	}
	return n
}

// SelectLikeCilium is Select as Cilium 1.18.6 to 1.19.3 select: the same, except that a
// service whose affinity annotation holds the literal "none" (Global.LiteralNone) uses
// local backends only, never remote ones. Use it to show what those releases do with
// such a service; Select gives the documented semantics.
func SelectLikeCilium(g *Global, local, remote []Backend) Selection {
	if g != nil && g.LiteralNone && g.Affinity == AffinityNone {
		s := Selection{UsesLocal: true}
		for _, b := range local {
			s.Backends = append(s.Backends, SelectedBackend{Backend: b})
		}
		return s
	}
	return Select(g, local, remote)
}
