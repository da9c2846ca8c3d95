package interop

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/global"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// fieldManager is the server-side apply field manager of the tests.
const fieldManager = "ciliumkit-interop"

// svcCase is one Service of osaka and its EndpointSlices.
type svcCase struct {
	name string
	// spec builds the Service; global, when set, is applied with global.Set.
	spec   func(*corev1ac.ServiceApplyConfiguration)
	global *lb.Global
	// slices are the Service's EndpointSlices (name, namespace and labels are filled in).
	slices []*discoveryv1.EndpointSlice
	// alt are replacements tried in turn when the API server refuses a slice, e.g. an
	// IPv4-mapped address in an IPv4 slice.
	alt [][]*discoveryv1.EndpointSlice
}

func port(name string, p int32, proto corev1.Protocol) *corev1ac.ServicePortApplyConfiguration {
	return corev1ac.ServicePort().WithName(name).WithPort(p).WithProtocol(proto)
}

func slicePort(name string, p int32, proto corev1.Protocol) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ref(name), Port: ref(p), Protocol: ref(proto)}
}

func endpoint(ready, serving, terminating *bool, addrs ...string) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: addrs, Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}}
}

func slice(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{AddressType: family, Ports: ports, Endpoints: eps}
}

// serviceCases are the Services testAPIServerExport creates: the edge cases of issue 11 and
// the plain ones.
func serviceCases() []svcCase {
	yes, no := ref(true), ref(false)
	tcp80 := []discoveryv1.EndpointPort{slicePort("http", 8080, corev1.ProtocolTCP)}
	zoned := endpoint(yes, yes, no, "10.244.1.1")
	zoned.Zone = ref("zone-a")
	zoned.Hints = &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "zone-a"}, {Name: "zone-b"}}}
	unhinted := endpoint(nil, nil, nil, "10.244.1.4")
	unhinted.Zone = ref("zone-b")
	headless := endpoint(yes, nil, nil, "10.244.4.1")
	headless.Hostname = ref("db-0")
	g := &lb.Global{}
	return []svcCase{
		{name: "web", global: g, spec: func(s *corev1ac.ServiceApplyConfiguration) {
			s.WithLabels(map[string]string{"app": "web", "tier": "front"}).WithSpec(corev1ac.ServiceSpec().
				WithSelector(map[string]string{"app": "web"}).
				WithPorts(port("http", 80, corev1.ProtocolTCP), port("metrics", 9090, corev1.ProtocolTCP)))
		}, slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{slicePort("http", 8080, corev1.ProtocolTCP), slicePort("metrics", 9090, corev1.ProtocolTCP)},
			zoned, endpoint(no, no, no, "10.244.1.2"), endpoint(no, yes, yes, "10.244.1.3"), unhinted)}},
		{name: "mapped", global: g, spec: func(s *corev1ac.ServiceApplyConfiguration) {
			s.WithSpec(corev1ac.ServiceSpec().WithSelector(map[string]string{"app": "mapped"}).WithPorts(port("http", 80, corev1.ProtocolTCP)))
		}, slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "::ffff:10.244.2.1"), endpoint(yes, nil, nil, "10.244.2.2"))},
			alt: [][]*discoveryv1.EndpointSlice{{slice(discoveryv1.AddressTypeIPv6, tcp80, endpoint(yes, nil, nil, "::ffff:10.244.2.1"))}}},
		{name: "dual", global: g, spec: func(s *corev1ac.ServiceApplyConfiguration) {
			s.WithSpec(corev1ac.ServiceSpec().WithSelector(map[string]string{"app": "dual"}).
				WithIPFamilyPolicy(corev1.IPFamilyPolicyRequireDualStack).
				WithIPFamilies(corev1.IPv4Protocol, corev1.IPv6Protocol).
				WithClusterIP("10.96.200.10").WithClusterIPs("10.96.200.10", "2001:db8:0:0::a").
				WithPorts(port("http", 80, corev1.ProtocolTCP)))
		}, slices: []*discoveryv1.EndpointSlice{
			slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.3.1")),
			slice(discoveryv1.AddressTypeIPv6, tcp80, endpoint(yes, nil, nil, "2001:db8:0:0::3:1"), endpoint(yes, nil, nil, "fd00:244::3:2")),
		}, alt: [][]*discoveryv1.EndpointSlice{{
			slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.3.1")),
			slice(discoveryv1.AddressTypeIPv6, tcp80, endpoint(yes, nil, nil, "fd00:244::3:2")),
		}}},
		{name: "headless", global: g, spec: func(s *corev1ac.ServiceApplyConfiguration) {
			s.WithSpec(corev1ac.ServiceSpec().WithClusterIP(corev1.ClusterIPNone).WithSelector(map[string]string{"app": "db"}).
				WithPorts(port("pg", 5432, corev1.ProtocolTCP)))
		}, slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{slicePort("pg", 5432, corev1.ProtocolTCP)}, headless)}},
		{name: "affinity-local", global: &lb.Global{Affinity: lb.AffinityLocal}, spec: simple("local"),
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.5.1"))}},
		{name: "affinity-remote", global: &lb.Global{Affinity: lb.AffinityRemote}, spec: simple("remote"),
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.6.1"))}},
		{name: "protocols", global: g, spec: func(s *corev1ac.ServiceApplyConfiguration) {
			s.WithSpec(corev1ac.ServiceSpec().WithSelector(map[string]string{"app": "dns"}).
				WithPorts(port("dns", 53, corev1.ProtocolUDP), port("dns-tcp", 53, corev1.ProtocolTCP), port("sctp", 9999, corev1.ProtocolSCTP)))
		}, slices: []*discoveryv1.EndpointSlice{
			slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("dns", 53, corev1.ProtocolUDP), slicePort("dns-tcp", 53, corev1.ProtocolTCP)},
				endpoint(yes, nil, nil, "10.244.7.1")),
			slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("sctp", 9999, corev1.ProtocolSCTP)},
				endpoint(yes, nil, nil, "10.244.7.2")),
		}},
		{name: "unshared", global: &lb.Global{Unshared: true}, spec: simple("unshared"),
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.8.1"))}},
		{name: "plain", spec: simple("plain"),
			slices: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, tcp80, endpoint(yes, nil, nil, "10.244.9.1"))}},
	}
}

// simple is a ClusterIP Service on port 80 selecting app=app.
func simple(app string) func(*corev1ac.ServiceApplyConfiguration) {
	return func(s *corev1ac.ServiceApplyConfiguration) {
		s.WithSpec(corev1ac.ServiceSpec().WithSelector(map[string]string{"app": app}).WithPorts(port("http", 80, corev1.ProtocolTCP)))
	}
}

// createCase applies the Service of c (annotated with global.Set) and creates its slices,
// falling back to c.alt when the API server refuses them. It returns the objects as the API
// server stores them.
func createCase(t *testing.T, ctx context.Context, f *fixture, ns string, c svcCase) (*corev1.Service, []*discoveryv1.EndpointSlice) {
	t.Helper()
	kube := f.kube.Kube
	ac := corev1ac.Service(c.name, ns)
	c.spec(ac)
	if c.global != nil {
		if _, err := global.Set(ac, *c.global); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := kube.CoreV1().Services(ns).Apply(ctx, ac, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		t.Fatalf("apply Service %s/%s: %v", ns, c.name, err)
	}
	sets := append([][]*discoveryv1.EndpointSlice{c.slices}, c.alt...)
	for i, set := range sets {
		var out []*discoveryv1.EndpointSlice
		var failed error
		for j, sl := range set {
			sl = sl.DeepCopy()
			sl.Name = fmt.Sprintf("%s-%d-%d", c.name, i, j)
			sl.Namespace = ns
			sl.Labels = map[string]string{discoveryv1.LabelServiceName: c.name, discoveryv1.LabelManagedBy: fieldManager}
			got, err := kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, sl, metav1.CreateOptions{})
			if err != nil {
				failed = err
				break
			}
			out = append(out, got)
		}
		if failed == nil {
			if i > 0 {
				t.Logf("Service %s: the API server refused the first slices; using alternative %d", c.name, i)
			}
			return svc, out
		}
		t.Logf("Service %s: EndpointSlices %d refused: %v", c.name, i, failed)
		for _, sl := range out {
			kube.DiscoveryV1().EndpointSlices(ns).Delete(ctx, sl.Name, metav1.DeleteOptions{})
		}
	}
	t.Fatalf("Service %s: every EndpointSlice variant refused", c.name)
	return nil, nil
}

// testAPIServerExport: Cilium's clustermesh subcommand of osaka exports Services that
// ciliumkit annotated; kvstore.FromService of the same objects (as the API server stores
// them) equals byte for byte what Cilium wrote, and ciliumkit's Importer accepts every one,
// both from osaka's etcd and from hk's kvstoremesh cache.
func testAPIServerExport(t *testing.T, f *fixture) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := f.kube.Namespace(t)
	want := map[string]string{} // etcd key -> FromService JSON
	for _, c := range serviceCases() {
		svc, sls := createCase(t, ctx, f, ns, c)
		t.Logf("Service %s as stored: clusterIPs %v, slice addresses %v", c.name, svc.Spec.ClusterIPs, sliceAddrs(sls))
		cs, ok, err := kvstore.FromService(osaka, svc, sls)
		if err != nil {
			t.Errorf("FromService(%s): %v", c.name, err)
			continue
		}
		exported := c.global != nil && !c.global.Unshared
		if ok != exported {
			t.Errorf("FromService(%s) ok = %v, want %v", c.name, ok, exported)
		}
		if ok {
			want[kvstore.ServiceKey(osaka.Name, ns, c.name)] = jsonOf(cs)
		}
	}

	cli, err := f.pod(osaka).EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	prefix := kvstore.ClusterServicesPrefix(osaka.Name) + ns + "/"
	var got map[string]string
	ctxWait, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	for {
		got, err = list(ctxWait, cli, prefix)
		if err == nil && equalMaps(got, want) {
			break
		}
		if ctxWait.Err() != nil {
			break
		}
		time.Sleep(pollInterval)
	}
	for _, k := range sortedKeys(want, got) {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			t.Errorf("Cilium did not export %s; FromService gives\n%s", k, w)
		case !inWant:
			t.Errorf("Cilium exported %s, which FromService does not:\n%s", k, g)
		case g != w:
			t.Errorf("%s: Cilium wrote\n%s\nFromService gives\n%s", k, g, w)
		default:
			t.Logf("%s: Cilium and FromService both write %s", strings.TrimPrefix(k, prefix), g)
		}
	}

	// The importer accepts every service Cilium wrote, from the state and from the cache.
	var cilium []*kvstore.ClusterService
	for k, v := range got {
		cs, _, err := kvstore.DecodeClusterService(osaka.Name, k, []byte(v), nil)
		if err != nil {
			t.Errorf("DecodeClusterService(%s) of Cilium's value: %v\n%s", k, err, v)
			continue
		}
		cilium = append(cilium, cs)
	}
	h := f.pod(hk)
	for name, cfg := range map[string]func(*testing.T) *kvstore.Importer{
		"state": func(t *testing.T) *kvstore.Importer {
			return importAll(t, peerConfig(t, h, clustermesh.SecretKVStoreMesh, osaka.Name, f.pod(osaka)), osaka.Name, len(got))
		},
		"cache": func(t *testing.T) *kvstore.Importer {
			return importAll(t, peerConfig(t, h, clustermesh.SecretClusterMesh, osaka.Name, h), osaka.Name, len(got))
		},
	} {
		t.Run("import-"+name, func(t *testing.T) {
			im := cfg(t)
			for _, cs := range cilium {
				if g, ok := im.Get(nsName(cs)); !ok {
					t.Errorf("importer (%s) dropped %s", name, cs)
				} else if jsonOf(g) != got[kvstore.ServiceKey(osaka.Name, cs.Namespace, cs.Name)] {
					t.Errorf("importer (%s) holds %s as\n%s\nCilium wrote\n%s", name, cs, jsonOf(g), got[kvstore.ServiceKey(osaka.Name, cs.Namespace, cs.Name)])
				}
			}
			if st := im.Stats(); len(st.Rejected) != 0 {
				t.Errorf("importer (%s) rejected: %s", name, jsonOf(st))
			} else {
				t.Logf("importer (%s) stats: %s", name, jsonOf(st))
			}
		})
	}
}

func sliceAddrs(sls []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, sl := range sls {
		for _, ep := range sl.Endpoints {
			out = append(out, ep.Addresses...)
		}
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sortedKeys(ms ...map[string]string) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// nsName returns the namespaced name of cs.
func nsName(cs *kvstore.ClusterService) k8stypes.NamespacedName {
	return k8stypes.NamespacedName{Namespace: cs.Namespace, Name: cs.Name}
}

// ref returns a pointer to v.
func ref[T any](v T) *T { return &v }
