package datapath_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func backend(addr string, cluster uint32, st mesh.BackendState) mesh.Backend {
	return mesh.Backend{Addr: netip.MustParseAddrPort(addr), Protocol: mesh.TCP, State: st, ClusterID: cluster}
}

func addrs(bs []mesh.Backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Addr.String())
	}
	return out
}

func TestServiceFromSelection(t *testing.T) {
	fe := mesh.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: mesh.TCP}
	local := []mesh.Backend{backend("10.240.0.5:8080", 1, mesh.BackendActive), backend("10.240.0.6:8080", 1, mesh.BackendTerminating)}
	localDown := []mesh.Backend{backend("10.240.0.6:8080", 1, mesh.BackendTerminating)}
	remote := []mesh.Backend{backend("10.245.0.7:8080", 2, mesh.BackendActive), backend("10.245.0.8:8080", 2, mesh.BackendActive)}
	for _, tc := range []struct {
		name          string
		g             *mesh.Global
		local, remote []mesh.Backend
		programmed    []string // every backend written to the maps
		newFlows      []string // the backends that fill the Maglev table
	}{
		{"not global", nil, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080"}, []string{"10.240.0.5:8080"}},
		{"affinity none", &mesh.Global{}, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080", "10.245.0.7:8080", "10.245.0.8:8080"},
			[]string{"10.240.0.5:8080", "10.245.0.7:8080", "10.245.0.8:8080"}},
		{"affinity local", &mesh.Global{Affinity: mesh.AffinityLocal}, local, remote,
			[]string{"10.240.0.5:8080", "10.240.0.6:8080"}, []string{"10.240.0.5:8080"}},
		{"affinity local, no active local", &mesh.Global{Affinity: mesh.AffinityLocal}, localDown, remote,
			[]string{"10.240.0.6:8080", "10.245.0.7:8080", "10.245.0.8:8080"},
			[]string{"10.245.0.7:8080", "10.245.0.8:8080"}},
		{"affinity remote", &mesh.Global{Affinity: mesh.AffinityRemote}, local, remote,
			[]string{"10.245.0.7:8080", "10.245.0.8:8080"}, []string{"10.245.0.7:8080", "10.245.0.8:8080"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := datapath.ServiceFromSelection(fe, mesh.SelectBackends(tc.g, tc.local, tc.remote))
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

// A global service: with affinity none new flows spread over both clusters; with affinity
// local they stay in the local cluster while it has an active backend.
func ExampleServiceFromSelection() {
	fe := mesh.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: mesh.TCP}
	local := []mesh.Backend{backend("10.240.0.5:8080", 1, mesh.BackendActive)}
	remote := []mesh.Backend{backend("10.245.0.7:8080", 2, mesh.BackendActive)}

	sel := mesh.SelectBackends(&mesh.Global{Affinity: mesh.AffinityNone}, local, remote)
	svc := datapath.ServiceFromSelection(fe, sel)
	fmt.Println("none:", addrs(svc.MaglevBackends()))

	sel = mesh.SelectBackends(&mesh.Global{Affinity: mesh.AffinityLocal}, local, remote)
	svc = datapath.ServiceFromSelection(fe, sel)
	fmt.Println("local:", addrs(svc.MaglevBackends()))
	// Output:
	// none: [10.240.0.5:8080 10.245.0.7:8080]
	// local: [10.240.0.5:8080]
}
