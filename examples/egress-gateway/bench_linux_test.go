package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/resolve"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// staticLab is the lab with the seed policy programmed from objects held in memory (no
// API server): the worker steers, k8s-w2 SNATs.
func staticLab(b *testing.B) *lab {
	b.Helper()
	testenv.RequirePrivileged(b)
	l := newLab(b)
	node := func(name string, ip netip.Addr) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip.String()}},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	}
	st := &resolve.State{
		Policies: []*ciliumv2.CiliumEgressGatewayPolicy{seedPolicy(b)},
		Nodes:    []*corev1.Node{node("k8s-w1", w1IP), node("k8s-w2", w2IP), node("k8s-w3", w3IP)},
		Endpoints: []*ciliumv2.CiliumEndpoint{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "net-pod", UID: "6f2c1d9e-0000-4000-8000-000000000001"},
			Status: ciliumv2.EndpointStatus{
				Identity:   &ciliumv2.EndpointIdentity{Labels: []string{"k8s:class=mediabot", "k8s:org=empire", "k8s:io.kubernetes.pod.namespace=default"}},
				Networking: &ciliumv2.EndpointNetworking{NodeIP: w1IP.String(), Addressing: ciliumv2.AddressPairList{{IPV4: podIP.String()}}},
			},
		}},
	}
	res := resolve.Resolve(st, time.Now(), nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, n := range []struct {
		ns  *netns
		cfg config
	}{
		{l.w1, config{Node: "k8s-w1", NodeIP: w1IP, PodInterfaces: []string{"pod0"}}},
		{l.w2, config{Node: "k8s-w2", NodeIP: w2IP, Uplink: "eth0"}},
	} {
		var a *agent
		if err := n.ns.do(func() (err error) { a, err = newAgent(n.cfg, log); return err }); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(a.close)
		if err := a.sync(context.Background(), res); err != nil {
			b.Fatal(err)
		}
	}
	if src, err := l.whoami(extHost, 2*time.Second); err != nil || src.Addr() != egressW2 {
		b.Fatalf("through the gateway: %v, %v", src, err)
	}
	if src, err := l.whoami(exclHost, 2*time.Second); err != nil || src.Addr() != podIP {
		b.Fatalf("direct: %v, %v", src, err)
	}
	return l
}

// BenchmarkEgressPath measures, from the pod, a 1-byte TCP echo round trip (rtt) and a
// whole connection (connect, one line, close) to a destination reached directly (an
// excluded CIDR) and to one reached through the gateway (k8s-w2, SNAT to the egress IP).
// The difference is the gateway path's extra latency: one more veth and bridge hop, the
// steering redirect and the SNAT and reverse SNAT lookups.
func BenchmarkEgressPath(b *testing.B) {
	l := staticLab(b)
	for _, p := range []struct {
		name string
		dst  netip.Addr
	}{{"direct", exclHost}, {"gateway", extHost}} {
		b.Run("rtt/"+p.name, func(b *testing.B) {
			c, err := l.dial(netip.AddrPortFrom(p.dst, 7), 2*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			buf := []byte{'x'}
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("connect/"+p.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := l.whoami(p.dst, 2*time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
