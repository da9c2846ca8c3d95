package kvstore

import (
	"encoding/json"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/global"
)

func ptr[T any](v T) *T { return &v }

func userlist(ann map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "song", Name: "userlist-svc", Annotations: ann, Labels: map[string]string{"app": "userlist"}},
		Spec: corev1.ServiceSpec{
			Selector:   map[string]string{"app": "userlist"},
			ClusterIP:  "10.43.112.141",
			ClusterIPs: []string{"10.43.112.141", "fd00:43::8d"},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
}

func userlistSlice() *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "song", Name: "userlist-svc-abc", Labels: map[string]string{discoveryv1.LabelServiceName: "userlist-svc"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8181)), Protocol: ptr(corev1.ProtocolTCP)}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.245.2.249"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}, Zone: ptr("ap-east-1a"),
				Hints: &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "ap-east-1a"}}}, Hostname: ptr("userlist-0")},
			{Addresses: []string{"10.245.2.250"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false), Serving: ptr(true), Terminating: ptr(true)}},
			{Addresses: []string{"10.245.2.251"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
			{Addresses: []string{"10.245.2.252"}},
		},
	}
}

func TestFromService(t *testing.T) {
	hk := mesh.Cluster{Name: "hk", ID: 2}
	globalAnn := map[string]string{"service.cilium.io/global": "true"}
	other := userlistSlice()
	other.Labels[discoveryv1.LabelServiceName] = "other"
	other.Endpoints[0].Addresses = []string{"10.9.9.9"}

	cs, ok, err := FromService(hk, userlist(globalAnn), []*discoveryv1.EndpointSlice{userlistSlice(), other})
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	got, _ := json.Marshal(cs)
	want := `{"cluster":"hk","namespace":"song","name":"userlist-svc",` +
		`"frontends":{"10.43.112.141":{"http":{"Protocol":"TCP","Port":80}},"fd00:43::8d":{"http":{"Protocol":"TCP","Port":80}}},` +
		`"backends":{"10.245.2.249":{"http":{"Protocol":"TCP","Port":8181}},"10.245.2.250":{"http":{"Protocol":"TCP","Port":8181}},"10.245.2.252":{"http":{"Protocol":"TCP","Port":8181}}},` +
		`"hostnames":{"10.245.2.249":"userlist-0"},"zones":{"10.245.2.249":{"zone":"ap-east-1a","forZones":[{"name":"ap-east-1a"}]}},` +
		`"labels":{"app":"userlist"},"selector":{"app":"userlist"},"includeExternal":true,"shared":true,"clusterID":2}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}

	for name, ann := range map[string]map[string]string{
		"not global":   nil,
		"global false": {"service.cilium.io/global": "false"},
		"unshared":     {"service.cilium.io/global": "true", "service.cilium.io/shared": "false"},
	} {
		if cs, ok, err := FromService(hk, userlist(ann), nil); ok || cs != nil || err != nil {
			t.Errorf("%s: exported %v, %v", name, cs, err)
		}
	}
	if _, _, err := FromService(hk, userlist(map[string]string{"service.cilium.io/global": "yes"}), nil); !errors.Is(err, global.ErrInvalidAnnotation) {
		t.Errorf("invalid annotation: %v", err)
	}

	headless := userlist(globalAnn)
	headless.Spec.ClusterIP, headless.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
	cs, ok, err = FromService(hk, headless, []*discoveryv1.EndpointSlice{userlistSlice()})
	if err != nil || !ok || len(cs.Frontends) != 0 || len(cs.Backends) != 3 {
		t.Fatalf("headless: %+v %v %v", cs, ok, err)
	}

	bad := userlistSlice()
	bad.Endpoints[0].Addresses = []string{"10.245.2"}
	if _, _, err := FromService(hk, userlist(globalAnn), []*discoveryv1.EndpointSlice{bad}); !errors.Is(err, ErrBadIP) {
		t.Fatalf("bad endpoint address: %v", err)
	}
}

// TestFromServiceKeepsAddressesAsStored: Cilium exports addresses in the text form the API
// server stored, so FromService does too (an IPv4-mapped IPv6 endpoint address, an
// uncompressed IPv6 clusterIP); the importer accepts them.
func TestFromServiceKeepsAddressesAsStored(t *testing.T) {
	hk := mesh.Cluster{Name: "hk", ID: 2}
	svc := userlist(map[string]string{"service.cilium.io/global": "true"})
	svc.Spec.ClusterIPs = []string{"10.43.112.141", "2001:db8:0:0::a"}
	sl := userlistSlice()
	sl.AddressType = discoveryv1.AddressTypeIPv6
	sl.Endpoints = sl.Endpoints[:1]
	sl.Endpoints[0].Addresses = []string{"::ffff:10.245.2.249"}
	cs, ok, err := FromService(hk, svc, []*discoveryv1.EndpointSlice{sl})
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	if _, ok := cs.Frontends["2001:db8:0:0::a"]; !ok {
		t.Errorf("frontends %v: want the clusterIP as stored", cs.Frontends)
	}
	if _, ok := cs.Backends["::ffff:10.245.2.249"]; !ok {
		t.Errorf("backends %v: want the endpoint address as stored", cs.Backends)
	}
	if _, ok := cs.Hostnames["::ffff:10.245.2.249"]; !ok {
		t.Errorf("hostnames %v: keyed as the backend", cs.Hostnames)
	}
	b, _ := json.Marshal(cs)
	back, notes, err := DecodeClusterService("hk", ServiceKey("hk", "song", "userlist-svc"), b, nil)
	if err != nil || back == nil || len(notes) != 1 || notes[0] != NoteNonCanonicalIP {
		t.Fatalf("decoded %v, notes %v, err %v", back, notes, err)
	}
}
