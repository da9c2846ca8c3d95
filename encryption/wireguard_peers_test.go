package encryption_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/cilium/pkg/annotation"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/node/addressing"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/encryption"
)

// ciliumNode returns a CiliumNode named name; key "" leaves the annotation unset.
func ciliumNode(name, key string, podCIDRs []string, addrs ...ciliumv2.NodeAddress) ciliumv2.CiliumNode {
	n := ciliumv2.CiliumNode{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if key != "" {
		n.Annotations = map[string]string{annotation.WireguardPubKey: key}
	}
	n.Spec.Addresses = addrs
	n.Spec.IPAM.PodCIDRs = podCIDRs
	return n
}

func internalIP(ip string) ciliumv2.NodeAddress {
	return ciliumv2.NodeAddress{Type: addressing.NodeInternalIP, IP: ip}
}

func mustKey(t *testing.T) string {
	t.Helper()
	kp, err := encryption.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp.Public.String()
}

func TestPeers(t *testing.T) {
	kSelf, kB, kA, kLegacy := mustKey(t), mustKey(t), mustKey(t), mustKey(t)
	legacy := ciliumNode("tokyo-c", "", []string{"10.240.2.0/24"}, internalIP("10.13.0.12"))
	legacy.Annotations = map[string]string{annotation.WireguardPubKeyAlias: kLegacy}
	nodes := []ciliumv2.CiliumNode{
		ciliumNode("tokyo-self", kSelf, []string{"10.240.0.0/24"}, internalIP("10.13.0.10")),
		ciliumNode("tokyo-b", kB, []string{"10.240.1.0/24", "fd00:10:240:1::/64"},
			ciliumv2.NodeAddress{Type: addressing.NodeExternalIP, IP: "203.0.113.7"},
			internalIP("10.13.0.11"), internalIP("fd00:13::11")),
		ciliumNode("tokyo-nokey", "", []string{"10.240.9.0/24"}, internalIP("not-an-ip")),
		ciliumNode("tokyo-a", kA, nil, internalIP("10.13.0.13")),
		legacy,
	}
	peers, err := encryption.Peers("tokyo-self", nodes)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		node, key, endpoint string
		allowed             []string
	}{
		{"tokyo-a", kA, "10.13.0.13:51871", []string{"10.13.0.13/32"}},
		{"tokyo-b", kB, "10.13.0.11:51871", []string{"10.240.1.0/24", "fd00:10:240:1::/64", "10.13.0.11/32", "fd00:13::11/128"}},
		{"tokyo-c", kLegacy, "10.13.0.12:51871", []string{"10.240.2.0/24", "10.13.0.12/32"}},
	}
	if len(peers) != len(want) {
		t.Fatalf("got %d peers %v, want %d", len(peers), peers, len(want))
	}
	for i, w := range want {
		p := peers[i]
		var allowed []string
		for _, a := range p.AllowedIPs {
			allowed = append(allowed, a.String())
		}
		if p.Node != w.node || p.PublicKey.String() != w.key || p.Endpoint.String() != w.endpoint || !reflect.DeepEqual(allowed, w.allowed) {
			t.Errorf("peer %d = %s %s %s %v, want %s %s %s %v", i, p.Node, p.PublicKey, p.Endpoint, allowed, w.node, w.key, w.endpoint, w.allowed)
		}
	}

	cfg := peers[1].Config()
	if cfg.PublicKey != peers[1].PublicKey || cfg.Endpoint.String() != "10.13.0.11:51871" || !cfg.ReplaceAllowedIPs {
		t.Errorf("Config() = %+v", cfg)
	}
	var cfgAllowed []string
	for _, n := range cfg.AllowedIPs {
		cfgAllowed = append(cfgAllowed, n.String())
	}
	if !reflect.DeepEqual(cfgAllowed, want[1].allowed) {
		t.Errorf("Config().AllowedIPs = %v, want %v", cfgAllowed, want[1].allowed)
	}
	if len(cfg.AllowedIPs[0].IP) != 4 {
		t.Errorf("IPv4 allowed IP has %d bytes, want 4", len(cfg.AllowedIPs[0].IP))
	}
}

func TestPeersReportsEveryProblem(t *testing.T) {
	good, dup := mustKey(t), mustKey(t)
	nodes := []ciliumv2.CiliumNode{
		ciliumNode("ok", good, []string{"10.240.0.0/24"}, internalIP("10.13.0.10")),
		ciliumNode("badkey", "bm90LWEta2V5", nil, internalIP("10.13.0.11")),
		ciliumNode("badaddr", mustKey(t), nil, internalIP("10.13.0.300")),
		ciliumNode("noaddr", mustKey(t), nil, ciliumv2.NodeAddress{Type: addressing.NodeExternalIP, IP: "203.0.113.1"}),
		ciliumNode("badcidr", mustKey(t), []string{"10.240.3.1/24"}, internalIP("10.13.0.13")),
		ciliumNode("dup-1", dup, nil, internalIP("10.13.0.14")),
		ciliumNode("dup-2", dup, nil, internalIP("10.13.0.15")),
	}
	peers, err := encryption.Peers("self", nodes)
	if err == nil {
		t.Fatal("no error")
	}
	if len(peers) != 2 || peers[0].Node != "dup-1" || peers[1].Node != "ok" {
		t.Errorf("peers = %v, want dup-1 and ok", peers)
	}
	for _, sentinel := range []error{encryption.ErrPublicKey, encryption.ErrNodeAddress, encryption.ErrPodCIDR} {
		if !errors.Is(err, sentinel) {
			t.Errorf("error does not wrap %v", sentinel)
		}
	}
	msg := err.Error()
	for _, part := range []string{
		`node "badkey"`, `"bm90LWEta2V5"`,
		`node "badaddr"`, `"10.13.0.300"`,
		`node "noaddr"`, "no InternalIP",
		`node "badcidr"`, `"10.240.3.1/24"`,
		`node "dup-2"`, dup, `node "dup-1"`,
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q does not mention %s", msg, part)
		}
	}
	if strings.Contains(msg, `node "ok"`) {
		t.Errorf("error %q blames the good node", msg)
	}
}

func TestNodePublicKey(t *testing.T) {
	n := ciliumNode("n", "", nil)
	if _, ok, err := encryption.NodePublicKey(&n); ok || err != nil {
		t.Errorf("no annotation: ok=%v err=%v", ok, err)
	}
	n.Annotations = map[string]string{annotation.WireguardPubKey: ""}
	if _, ok, err := encryption.NodePublicKey(&n); !ok || !errors.Is(err, encryption.ErrPublicKey) {
		t.Errorf("empty annotation: ok=%v err=%v, want ok and ErrPublicKey", ok, err)
	}
	k := mustKey(t)
	n.Annotations[annotation.WireguardPubKey] = k
	got, ok, err := encryption.NodePublicKey(&n)
	if !ok || err != nil || got.String() != k {
		t.Errorf("NodePublicKey = %s, %v, %v; want %s", got, ok, err, k)
	}
}
