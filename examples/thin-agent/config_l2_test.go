package main

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

// l2Base is a valid config with the kubernetes source and two datapath interfaces.
const l2Base = `cluster: {name: tokyo, id: 1}
kubernetes: {}
datapath:
  interfaces: [{name: eth0}, {name: eth1, mode: tc}]
`

func TestL2ConfigDefaults(t *testing.T) {
	c, err := parseConfig([]byte(l2Base + "l2: {enabled: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	if err := d.validate(); err != nil {
		t.Fatalf("valid l2 config refused: %v", err)
	}
	host, _ := os.Hostname()
	if d.L2.NodeName != host || !slices.Equal(d.L2.Interfaces, []string{"eth0"}) || d.L2.LeaseNamespace != l2.DefaultLeaseNamespace {
		t.Errorf("l2 defaults %+v: want node %q, the xdp interface eth0, namespace %s", d.L2, host, l2.DefaultLeaseNamespace)
	}
	if d.L2.timing() != l2.DefaultTiming() {
		t.Errorf("timing %s, want %s", d.L2.timing(), l2.DefaultTiming())
	}
	// Disabled: nothing is filled in or checked.
	off := (config{Cluster: clusterRef{Name: "tokyo"}, Kubernetes: &kubeConfig{}, L2: l2Config{LeaseDuration: duration(-1)}}).withDefaults()
	if err := off.validate(); err != nil || off.L2.NodeName != "" {
		t.Errorf("disabled l2: %+v, %v", off.L2, err)
	}
}

func TestL2ConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want []string
	}{
		"no kubernetes": {"cluster: {name: tokyo}\nclusters: [{name: hk, endpoints: [\"http://10.0.0.1:2379\"]}]\n" +
			"datapath: {interfaces: [{name: eth0}]}\nl2: {enabled: true, nodeName: n1}\n",
			[]string{`kubernetes "": required by l2.enabled`}},
		"no xdp interface": {"cluster: {name: tokyo}\nkubernetes: {}\ndatapath: {interfaces: [{name: eth1, mode: tc}]}\nl2: {enabled: true, nodeName: n1}\n",
			[]string{`l2.interfaces "[]": at least one`}},
		"everything wrong": {l2Base + `l2:
  enabled: true
  nodeName: Node_1
  interfaces: [eth1, eth9, eth9, ""]
  leaseNamespace: Kube-System
  leaseDuration: 2s
  renewDeadline: 5s
  retryPeriod: 1s
`, []string{
			`l2.nodeName "Node_1": not a Node name`, `l2.interfaces[0] "eth1": datapath.interfaces[1] is in tc mode`,
			`l2.interfaces[1] "eth9": not a datapath interface`, `l2.interfaces[2] "eth9": listed twice (also l2.interfaces[1])`,
			`l2.interfaces[3] "": empty interface name`, `l2.leaseNamespace "Kube-System": not a namespace name`,
			`l2.leaseDuration/renewDeadline/retryPeriod "2s/5s/1s"`,
		}},
		"jitter": {l2Base + "l2: {enabled: true, nodeName: n1, leaseDuration: 4s, renewDeadline: 1s, retryPeriod: 900ms}\n",
			[]string{`renewDeadline 1s is not above 1.2 x retryPeriod 900ms`}},
	} {
		t.Run(name, func(t *testing.T) {
			checkInvalid(t, tc.in, tc.want)
		})
	}
}

func TestL2Flags(t *testing.T) {
	o, err := parseArgs([]string{"-cluster-name", "tokyo", "-kubernetes", "-iface", "veth1,veth2", "-l2", "-node-name", "n1",
		"-l2-iface", "veth2", "-l2-lease-namespace", "cilium", "-l2-lease-duration", "6s", "-l2-renew-deadline", "3s",
		"-l2-retry-period", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := l2Config{Enabled: true, NodeName: "n1", Interfaces: []string{"veth2"}, LeaseNamespace: "cilium",
		LeaseDuration: duration(6 * time.Second), RenewDeadline: duration(3 * time.Second), RetryPeriod: duration(time.Second)}
	if got := o.config.L2; got.Enabled != want.Enabled || got.NodeName != want.NodeName || !slices.Equal(got.Interfaces, want.Interfaces) ||
		got.LeaseNamespace != want.LeaseNamespace || got.timing() != want.timing() {
		t.Errorf("l2 from flags %+v, want %+v", got, want)
	}
	if err := o.config.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	if _, err := parseArgs([]string{"-l2-retry-period", "0s"}, io.Discard); !errors.Is(err, errConfig) || !strings.Contains(err.Error(), "-l2-retry-period") {
		t.Errorf("parseArgs(-l2-retry-period 0s) = %v, want a configuration error naming the flag", err)
	}
}

// TestL2ExitCode runs the binary: l2 without the kubernetes source exits 2 naming the
// field, before anything is loaded.
func TestL2ExitCode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	text := "cluster: {name: tokyo}\nclusters: [{name: hk, endpoints: [\"http://10.0.0.1:2379\"]}]\ndatapath: {interfaces: [{name: eth0}]}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runAgent(t, "-config", path, "-l2", "-node-name", "n1")
	if code != exitConfig || !strings.Contains(out, `kubernetes "": required by l2.enabled`) {
		t.Errorf("exit %d, want %d naming kubernetes:\n%s", code, exitConfig, out)
	}
	kc := filepath.Join(dir, "kubeconfig")
	kcText := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n" +
		"contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n"
	if err := os.WriteFile(kc, []byte(kcText), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runAgent(t, "-check", "-config", path, "-l2", "-node-name", "n1", "-kubeconfig", kc); code != exitOK {
		t.Errorf("-check with kubernetes: exit %d:\n%s", code, out)
	}
}

// TestLBFrontend checks the frontend rule of L2 announcements: a LoadBalancer Service
// with ingress addresses is programmed at its first IPv4 and first IPv6 one, with the
// Service's ports, and otherwise at its ClusterIPs.
func TestLBFrontend(t *testing.T) {
	svc, eps := kubeService(nil, endpoint("10.51.1.2", true, true, false))
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb.example"}, {IP: "fd00::100"}, {IP: "10.50.0.100"}, {IP: "10.50.0.101"}}
	addrs := func(d *svcData) []string {
		var out []string
		for _, f := range d.frontends {
			out = append(out, f.fe.Addr.String()+"/"+f.fe.Protocol.String())
		}
		return out
	}
	for _, tc := range []struct {
		name string
		lb   bool
		mod  func(*corev1.Service)
		want []string
	}{
		{"lb on", true, nil, []string{"10.50.0.100:80/TCP", "[fd00::100]:80/TCP"}},
		{"lb off", false, nil, []string{"10.96.0.10:80/TCP", "[fd00::10]:80/TCP"}},
		{"no IPv4 ingress", true, func(s *corev1.Service) { s.Status.LoadBalancer.Ingress = s.Status.LoadBalancer.Ingress[:2] },
			[]string{"[fd00::100]:80/TCP"}},
		{"no ingress address", true, func(s *corev1.Service) { s.Status.LoadBalancer.Ingress = s.Status.LoadBalancer.Ingress[:1] },
			[]string{"10.96.0.10:80/TCP", "[fd00::10]:80/TCP"}},
		{"not a LoadBalancer", true, func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP },
			[]string{"10.96.0.10:80/TCP", "[fd00::10]:80/TCP"}},
	} {
		s := svc.DeepCopy()
		if tc.mod != nil {
			tc.mod(s)
		}
		d, err := fromKube(s, eps, 1, tc.lb)
		if err != nil {
			t.Fatal(err)
		}
		if got := addrs(d); !slices.Equal(got, tc.want) {
			t.Errorf("%s: frontends %v, want %v", tc.name, got, tc.want)
		}
		if len(d.backends) != 1 || d.backends[0].b.Addr != netip.MustParseAddrPort("10.51.1.2:8080") {
			t.Errorf("%s: backends %v", tc.name, d.backends)
		}
	}
}
