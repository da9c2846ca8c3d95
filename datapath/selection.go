package datapath

import "github.com/ciliumkit/ciliumkit/mesh"

// ServiceFromSelection returns the datapath Service for frontend fe from the backends
// mesh.SelectBackends chose for it. Every selected backend is programmed (so replies of
// terminating ones keep their frontend), and the backends the service's affinity prefers
// become Preferred, so they alone take new flows while any of them is active.
func ServiceFromSelection(fe mesh.Frontend, sel mesh.Selection) Service {
	s := Service{Frontend: fe, Backends: make([]mesh.Backend, 0, len(sel.Backends))}
	for _, b := range sel.Backends {
		s.Backends = append(s.Backends, b.Backend)
		if b.Preferred {
			s.Preferred = append(s.Preferred, b.Addr)
		}
	}
	return s
}
