package main

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// TestKvstoreOnly runs the agent binary with one remote kvstore and no API server, as on
// a VM outside every cluster: hk's global services are programmed at the frontends hk
// exports. A desired set the datapath refuses (more services than its maps hold)
// leaves the maps exactly as they were and makes the agent unready until it fits
// again; without a pin directory SIGTERM detaches the programs; a missing interface is
// a runtime failure (exit code 1).
func TestKvstoreOnly(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "iproute2 (ip) not installed")
	}
	bin := agentBinary(t)
	ctx := context.Background()
	ca, err := pki.NewCA(pki.Options{CommonName: "kv CA"})
	if err != nil {
		t.Fatal(err)
	}
	kv := startKVCluster(t, hk, ca)
	client, err := ca.Issue(pki.Options{CommonName: "remote", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := writeFile(t, dir, "ca.crt", ca.CertPEM), writeFile(t, dir, "tls.crt", client.CertPEM), writeFile(t, dir, "tls.key", client.KeyPEM)
	node := newNetns(t, "vm")
	endpoint := node.forward(t, strings.TrimPrefix(kv.etcd.Endpoint, "https://"))
	config := func(pin string, extra string) string {
		return writeFile(t, dir, fmt.Sprintf("config-%d.yaml", time.Now().UnixNano()), fmt.Appendf(nil, `cluster: {name: tokyo}
clusters: [{name: hk, endpoints: ["https://%s"], tls: {ca: %s, cert: %s, key: %s}}]
datapath: {pinDir: %q, maglevTableSize: 251, maxServices: 1, maxBackends: 16%s}
sync: {timeout: 30s}
`, endpoint, caFile, certFile, keyFile, pin, extra))
	}
	svc := func(i int) *kvstore.ClusterService {
		s := kvstore.NewClusterService(hk, "default", fmt.Sprintf("svc-%d", i))
		s.AddFrontend(lb.Frontend{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 97, 0, byte(i)}), 80), Protocol: lb.TCP}, "")
		s.AddBackend(lb.Backend{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 245, 0, byte(i)}), 8080), Protocol: lb.TCP}, "")
		return s
	}
	if err := kv.ex.Upsert(ctx, svc(1)); err != nil {
		t.Fatal(err)
	}
	if err := kv.ex.MarkSynced(ctx); err != nil {
		t.Fatal(err)
	}

	pin := mountBPFFS(t)
	frontends := func() []string {
		d, err := datapath.Load(&datapath.Options{PinDir: pin, MaglevTableSize: 251, MaxServices: 1, MaxBackends: 16})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		fes, err := d.Frontends()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fes {
			out = append(out, f.String())
		}
		return out
	}
	a := startAgentProc(t, bin, node, "-config", config(pin, ""))
	a.waitReady(t)
	if got := frontends(); !slices.Equal(got, []string{"10.97.0.1:80/TCP"}) {
		t.Fatalf("maps hold %q, want hk's svc-1", got)
	}

	// A second service does not fit: nothing is written, the agent is not ready.
	if err := kv.ex.Upsert(ctx, svc(2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a refused write", func() bool { return a.metric(t, `ciliumkit_thin_agent_syncs_total{result="error"}`) >= 1 })
	if code, body, _ := a.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "write failed") {
		t.Errorf("/readyz after a refused write: %d %q, want 503", code, body)
	}
	if got := frontends(); !slices.Equal(got, []string{"10.97.0.1:80/TCP"}) {
		t.Errorf("after the refused write the maps hold %q, want svc-1 only", got)
	}
	if err := kv.ex.Delete(ctx, types.NamespacedName{Namespace: "default", Name: "svc-2"}); err != nil {
		t.Fatal(err)
	}
	a.waitReady(t)
	if code := a.stop(t); code != 0 {
		t.Errorf("exit code %d, want 0\n%s", code, a.logs)
	}

	// Without pinning the programs are detached on SIGTERM.
	xdpOnLo := func() bool {
		out, err := exec.Command("ip", "-n", node.name, "-d", "link", "show", "dev", "lo").CombinedOutput()
		if err != nil {
			t.Fatalf("ip link show: %v: %s", err, out)
		}
		return strings.Contains(string(out), "xdp")
	}
	a = startAgentProc(t, bin, node, "-config", config("", ""), "-iface", "lo")
	a.waitReady(t)
	if !xdpOnLo() {
		t.Error("no XDP program on lo while the agent runs")
	}
	if code := a.stop(t); code != 0 {
		t.Errorf("exit code %d, want 0\n%s", code, a.logs)
	}
	if xdpOnLo() {
		t.Error("XDP program still attached after an unpinned agent stopped")
	}

	// A runtime failure: exit code 1, naming the interface.
	a = startAgentProc(t, bin, node, "-config", config("", ""), "-iface", "nosuch0")
	if code := a.exitCode(t); code != 1 || !strings.Contains(a.logs.String(), "nosuch0") {
		t.Errorf("missing interface: exit code %d, want 1, and a message naming it:\n%s", code, a.logs)
	}
}
