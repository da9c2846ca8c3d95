package datapath_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

func backend(addr string, cluster uint32, st lb.BackendState) lb.Backend {
	return lb.Backend{Addr: netip.MustParseAddrPort(addr), Protocol: lb.TCP, State: st, ClusterID: cluster}
}

func addrs(bs []lb.SelectedBackend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Addr.String())
	}
	return out
}

// TestServiceOfSelection programs lb.Select's result as is: every selected backend is
// programmed, and the preferred active ones alone take new flows while one exists.
func TestServiceOfSelection(t *testing.T) {
	fe := lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: lb.TCP}
	local := []lb.Backend{backend("10.240.0.5:8080", 1, lb.BackendActive), backend("10.240.0.6:8080", 1, lb.BackendTerminating)}
	localDown := []lb.Backend{backend("10.240.0.6:8080", 1, lb.BackendTerminating)}
	remote := []lb.Backend{backend("10.245.0.7:8080", 2, lb.BackendActive), backend("10.245.0.8:8080", 2, lb.BackendActive)}
	for _, tc := range []struct {
		name          string
		g             *lb.Global
		local, remote []lb.Backend
		programmed    []string // every backend written to the maps
		newFlows      []string // the backends that fill the Maglev table
	}{
		{"not global", nil, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080"}, []string{"10.240.0.5:8080"}},
		{"affinity none", &lb.Global{}, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080", "10.245.0.7:8080", "10.245.0.8:8080"},
			[]string{"10.240.0.5:8080", "10.245.0.7:8080", "10.245.0.8:8080"}},
		{"affinity local", &lb.Global{Affinity: lb.AffinityLocal}, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080"}, []string{"10.240.0.5:8080"}},
		{"affinity local, no active local", &lb.Global{Affinity: lb.AffinityLocal}, localDown, remote,
			[]string{"10.240.0.6:8080", "10.245.0.7:8080", "10.245.0.8:8080"},
			[]string{"10.245.0.7:8080", "10.245.0.8:8080"}},
		{"affinity remote", &lb.Global{Affinity: lb.AffinityRemote}, local, remote,
			[]string{"10.245.0.7:8080", "10.245.0.8:8080"}, []string{"10.245.0.7:8080", "10.245.0.8:8080"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := datapath.Service{Frontend: fe, Backends: lb.Select(tc.g, tc.local, tc.remote).Backends}
			if svc.Frontend != fe {
				t.Errorf("frontend %v, want %v", svc.Frontend, fe)
			}
			got := addrs(svc.Backends)
			slices.Sort(got)
			if !slices.Equal(got, tc.programmed) {
				t.Errorf("programmed %v, want %v", got, tc.programmed)
			}
			got = addrs(svc.MaglevBackends())
			slices.Sort(got)
			if !slices.Equal(got, tc.newFlows) {
				t.Errorf("new flows to %v, want %v", got, tc.newFlows)
			}
		})
	}
}

func TestMaglevBackends(t *testing.T) {
	sb := func(addr string, st lb.BackendState, preferred bool) lb.SelectedBackend {
		return lb.SelectedBackend{Backend: backend(addr, 1, st), Preferred: preferred}
	}
	for _, tc := range []struct {
		name string
		bs   []lb.SelectedBackend
		want []string
	}{
		{"no backends", nil, nil},
		{"no preference: every active one", []lb.SelectedBackend{sb("10.0.0.1:80", lb.BackendActive, false),
			sb("10.0.0.2:80", lb.BackendTerminating, false), sb("10.0.0.3:80", lb.BackendActive, false)},
			[]string{"10.0.0.1:80", "10.0.0.3:80"}},
		{"preferred active ones alone", []lb.SelectedBackend{sb("10.0.0.1:80", lb.BackendActive, false),
			sb("10.0.0.2:80", lb.BackendActive, true), sb("10.0.0.3:80", lb.BackendQuarantined, true)},
			[]string{"10.0.0.2:80"}},
		{"no preferred one active: every active one", []lb.SelectedBackend{sb("10.0.0.1:80", lb.BackendActive, false),
			sb("10.0.0.2:80", lb.BackendMaintenance, true), sb("10.0.0.3:80", lb.BackendTerminating, true)},
			[]string{"10.0.0.1:80"}},
		{"nothing active: drop", []lb.SelectedBackend{sb("10.0.0.1:80", lb.BackendTerminating, true)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := datapath.Service{Backends: tc.bs}
			if got := addrs(svc.MaglevBackends()); !slices.Equal(got, tc.want) {
				t.Errorf("MaglevBackends() = %v, want %v", got, tc.want)
			}
		})
	}
}
