package main

import (
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

func testPEMs(t testing.TB) (ca, cert, key []byte) {
	t.Helper()
	c, err := pki.NewCA(pki.Options{CommonName: "test CA"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Issue(pki.Options{CommonName: "remote", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	return c.CertPEM, p.CertPEM, p.KeyPEM
}

var echo = types.NamespacedName{Namespace: "default", Name: "echo"}

// kubeService is tokyo's Service echo (ClusterIP 10.96.0.10, port http 80 -> 8080) with
// annotations and one EndpointSlice of the given addresses and conditions.
func kubeService(annotations map[string]string, eps ...discoveryv1.Endpoint) (*corev1.Service, []*discoveryv1.EndpointSlice) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "echo", Annotations: annotations},
		Spec: corev1.ServiceSpec{ClusterIPs: []string{"10.96.0.10", "fd00::10"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
	name, port, proto := "http", int32(8080), corev1.ProtocolTCP
	sl := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
		Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}}
	return svc, []*discoveryv1.EndpointSlice{sl}
}

func endpoint(addr string, ready, serving, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{addr},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating}}
}

// remoteService is cluster c's echo with one backend per address, port http 8080.
func remoteService(c mesh.Cluster, addrs ...string) *kvstore.ClusterService {
	s := kvstore.NewClusterService(c, "default", "echo")
	s.AddFrontend(lb.Frontend{Addr: netip.MustParseAddrPort("10.97.0.10:80"), Protocol: lb.TCP}, "http")
	for _, a := range addrs {
		s.AddBackend(lb.Backend{Addr: netip.AddrPortFrom(netip.MustParseAddr(a), 8080), Protocol: lb.TCP}, "http")
	}
	return s
}

// summary is "frontend: backend(state,cluster,preferred) ..." per service.
func summary(svcs []datapath.Service) []string {
	var out []string
	for _, s := range svcs {
		line := s.Frontend.String() + ":"
		for _, b := range s.Backends {
			line += " " + b.Addr.String() + "(" + b.State.String() + ",c" + string(rune('0'+b.ClusterID))
			if b.Preferred {
				line += ",pref"
			}
			line += ")"
		}
		out = append(out, line)
	}
	return out
}

// TestViewMerge follows one global service through the merge: local backends from
// Kubernetes (with their EndpointSlice conditions), remote ones from two kvstores, the
// affinity annotation, and each address family's frontend with its own family's backends.
func TestViewMerge(t *testing.T) {
	hk, osaka := mesh.Cluster{Name: "hk", ID: 2}, mesh.Cluster{Name: "osaka", ID: 3}
	v := newView()
	set := func(ann map[string]string) {
		svc, eps := kubeService(ann, endpoint("10.240.0.5", true, true, false), endpoint("10.240.0.6", false, true, true),
			endpoint("10.240.0.7", false, false, false), endpoint("fd00::5", true, true, false))
		d, err := fromKube(svc, eps, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		v.setLocal(echo, d)
	}
	set(map[string]string{"service.cilium.io/global": "true"})
	v.setRemote("osaka", echo, fromClusterService(remoteService(osaka, "10.245.0.9"), 3))
	v.setRemote("hk", echo, fromClusterService(remoteService(hk, "10.244.0.7", "::ffff:10.244.0.8"), 2))

	s := v.snapshot()
	want := []string{"10.96.0.10:80/TCP: 10.240.0.5:8080(active,c1) 10.240.0.6:8080(terminating,c1) " +
		"10.244.0.7:8080(active,c2) 10.244.0.8:8080(active,c2) 10.245.0.9:8080(active,c3)",
		"[fd00::10]:80/TCP: [fd00::5]:8080(active,c1)"}
	if got := summary(s.services); !slices.Equal(got, want) {
		t.Errorf("global service:\n got %q\nwant %q", got, want)
	}
	if s.changed != 1 || s.since.IsZero() {
		t.Errorf("changed %d since %v, want one key with a time", s.changed, s.since)
	}
	// The IPv6 ClusterIP takes the IPv6 endpoint (in an IPv4 slice, as written) and no
	// IPv4 backend; nothing is left out.
	if len(s.skips) != 0 {
		t.Errorf("skips %v, want none", s.skips)
	}

	set(map[string]string{"service.cilium.io/global": "true", "service.cilium.io/affinity": "local"})
	s = v.snapshot()
	if got := s.services[0].MaglevBackends(); len(got) != 1 || got[0].Addr.String() != "10.240.0.5:8080" {
		t.Errorf("affinity local: new flows to %v, want the active local backend only", got)
	}

	// Not global: remote backends are not used.
	set(nil)
	s = v.snapshot()
	if got := summary(s.services); len(got) != 2 || got[0] != "10.96.0.10:80/TCP: 10.240.0.5:8080(active,c1) 10.240.0.6:8080(terminating,c1)" {
		t.Errorf("local service: %q", got)
	}

	// No snapshot change without a change.
	if s = v.snapshot(); s.changed != 0 || !s.since.IsZero() {
		t.Errorf("second snapshot changed %d since %v", s.changed, s.since)
	}

	// The local Service goes: a remote global service is still reached, at the
	// frontend its cluster exports (hk comes first by name).
	v.setLocal(echo, nil)
	s = v.snapshot()
	want = []string{"10.97.0.10:80/TCP: 10.244.0.7:8080(active,c2) 10.244.0.8:8080(active,c2) 10.245.0.9:8080(active,c3)"}
	if got := summary(s.services); !slices.Equal(got, want) {
		t.Errorf("remote-only service:\n got %q\nwant %q", got, want)
	}
	if !s.services[0].Backends[0].Remote {
		t.Error("remote-only backends not marked remote")
	}

	// Unshared remote services give no backends.
	cs := remoteService(hk, "10.244.0.7")
	cs.Shared = false
	v.setRemote("hk", echo, fromClusterService(cs, 2))
	v.setRemote("osaka", echo, nil)
	if s = v.snapshot(); len(s.services) != 0 {
		t.Errorf("unshared remote service programmed: %q", summary(s.services))
	}
}

// TestViewConflicts checks that a backend or frontend two services claim goes to the
// first by namespace/name, so that the datapath (stateless reverse NAT) accepts the set.
func TestViewConflicts(t *testing.T) {
	v := newView()
	mk := func(fe, be string) *svcData {
		return &svcData{shared: true,
			frontends: []portFrontend{{lb.Frontend{Addr: netip.MustParseAddrPort(fe), Protocol: lb.TCP}, ""}},
			backends:  []portBackend{{lb.Backend{Addr: netip.MustParseAddrPort(be), Protocol: lb.TCP}, ""}, {lb.Backend{Addr: netip.MustParseAddrPort("10.1.0.9:80"), Protocol: lb.TCP}, ""}}}
	}
	v.setLocal(types.NamespacedName{Namespace: "b", Name: "x"}, mk("10.96.0.1:80", "10.1.0.1:80"))
	v.setLocal(types.NamespacedName{Namespace: "a", Name: "x"}, mk("10.96.0.2:80", "10.1.0.2:80"))
	v.setLocal(types.NamespacedName{Namespace: "c", Name: "x"}, mk("10.96.0.2:80", "10.1.0.3:80"))
	s := v.snapshot()
	want := []string{"10.96.0.2:80/TCP: 10.1.0.2:80(active,c0) 10.1.0.9:80(active,c0)", "10.96.0.1:80/TCP: 10.1.0.1:80(active,c0)"}
	if got := summary(s.services); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if s.skips[skipSharedBackend] != 1 || s.skips[skipDupFrontend] != 1 {
		t.Errorf("skips %v, want one shared backend and one duplicate frontend", s.skips)
	}
}

func TestEndpointState(t *testing.T) {
	tr, fa := true, false
	for _, tc := range []struct {
		c     discoveryv1.EndpointConditions
		state lb.BackendState
		ok    bool
	}{
		{discoveryv1.EndpointConditions{}, lb.BackendActive, true},
		{discoveryv1.EndpointConditions{Ready: &tr}, lb.BackendActive, true},
		{discoveryv1.EndpointConditions{Ready: &fa, Serving: &tr, Terminating: &tr}, lb.BackendTerminating, true},
		{discoveryv1.EndpointConditions{Ready: &fa, Serving: &fa, Terminating: &tr}, 0, false},
		{discoveryv1.EndpointConditions{Ready: &fa}, 0, false},
	} {
		st, ok := endpointState(tc.c)
		if st != tc.state || ok != tc.ok {
			t.Errorf("%+v: %v %v, want %v %v", tc.c, st, ok, tc.state, tc.ok)
		}
	}
}

// TestViewFamilies: a dual-stack service gives one frontend per family, each with its own
// family's backends; a backend of a family none of the service's frontends has is
// counted and left out.
func TestViewFamilies(t *testing.T) {
	v := newView()
	fe := func(a string) portFrontend {
		return portFrontend{lb.Frontend{Addr: netip.MustParseAddrPort(a), Protocol: lb.TCP}, "http"}
	}
	be := func(a string) portBackend {
		return portBackend{lb.Backend{Addr: netip.MustParseAddrPort(a), Protocol: lb.TCP}, "http"}
	}
	v.setLocal(types.NamespacedName{Namespace: "a", Name: "dual"}, &svcData{shared: true,
		frontends: []portFrontend{fe("10.96.0.1:80"), fe("[fd00:96::1]:80")},
		backends:  []portBackend{be("10.1.0.1:8080"), be("[fd00:1::1]:8080"), be("[::ffff:10.1.0.2]:8080")}})
	v.setLocal(types.NamespacedName{Namespace: "a", Name: "v4only"}, &svcData{shared: true,
		frontends: []portFrontend{fe("10.96.0.2:80")},
		backends:  []portBackend{be("10.1.0.3:8080"), be("[fd00:1::3]:8080")}})
	s := v.snapshot()
	want := []string{
		"10.96.0.1:80/TCP: 10.1.0.1:8080(active,c0) 10.1.0.2:8080(active,c0)",
		"[fd00:96::1]:80/TCP: [fd00:1::1]:8080(active,c0)",
		"10.96.0.2:80/TCP: 10.1.0.3:8080(active,c0)",
	}
	if got := summary(s.services); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(s.skips) != 1 || s.skips[skipFamily] != 1 {
		t.Errorf("skips %v, want the IPv6 backend of the IPv4-only service counted", s.skips)
	}
	for _, svc := range s.services {
		if err := svc.Validate(); err != nil {
			t.Errorf("datapath refuses %v: %v", svc.Frontend, err)
		}
	}
}
