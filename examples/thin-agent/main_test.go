package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

const sample = `localCluster: 1
services:
- frontend: 10.96.0.10:80
  protocol: TCP
  global: true
  affinity: local
  backends:
  - {addr: 10.240.0.5:8080, cluster: 1}
  - {addr: 10.240.0.6:8080, cluster: 1, state: terminating}
  - {addr: 10.245.0.7:8080, cluster: 2}
- frontend: 10.96.0.53:53
  protocol: UDP
  backends:
  - {addr: 10.240.0.9:53, cluster: 1}
`

func TestParseConfig(t *testing.T) {
	svcs, err := parseConfig([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 {
		t.Fatalf("%d services, want 2", len(svcs))
	}
	web := svcs[0]
	if web.Frontend.String() != "10.96.0.10:80/TCP" {
		t.Errorf("frontend %s", web.Frontend)
	}
	// Affinity local with an active local backend: the remote one is not used at all.
	if len(web.Backends) != 2 {
		t.Errorf("backends %v, want the two local ones", web.Backends)
	}
	if mb := web.MaglevBackends(); len(mb) != 1 || mb[0].Addr != netip.MustParseAddrPort("10.240.0.5:8080") {
		t.Errorf("new flows to %v, want only the active local backend", mb)
	}
	if svcs[1].Frontend.Protocol != lb.UDP || svcs[1].Backends[0].Protocol != lb.UDP {
		t.Errorf("dns service %+v, want UDP throughout", svcs[1])
	}
}

func TestParseConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"unknown field":  {"services: [{frontend: 10.0.0.1:80, weight: 3}]", "weight"},
		"bad frontend":   {"services: [{frontend: 10.0.0.300:80}]", `services[0] (10.0.0.300:80): frontend "10.0.0.300:80"`},
		"bad protocol":   {"services: [{frontend: 10.0.0.1:80, protocol: ICMP}]", `invalid protocol "ICMP"`},
		"bad affinity":   {"services: [{frontend: 10.0.0.1:80, global: true, affinity: near}]", "near"},
		"affinity local": {"services: [{frontend: 10.0.0.1:80, affinity: local}]", "not global"},
		"bad backend":    {"services: [{frontend: 10.0.0.1:80, backends: [{addr: nowhere}]}]", `backends[0] addr "nowhere"`},
		"bad state":      {"services: [{frontend: 10.0.0.1:80, backends: [{addr: 10.1.0.1:80, state: asleep}]}]", `"asleep"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseConfig([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"services":[{"frontend":"[::1]:80"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		svcs, err := parseConfig(data)
		if err != nil {
			return
		}
		for _, s := range svcs {
			if !s.Frontend.Addr.IsValid() {
				t.Fatalf("accepted invalid frontend %v", s.Frontend)
			}
		}
	})
}

// bpffsAndConfig mounts a fresh bpffs for pinning and writes the sample config; it
// returns both paths.
func bpffsAndConfig(t *testing.T) (pin, cfg string) {
	t.Helper()
	pin = t.TempDir()
	if err := unix.Mount("bpf", pin, "bpf", 0, "mode=0700"); err != nil {
		testenv.Unavailable(t, "mount bpffs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(pin, unix.MNT_DETACH) })
	cfg = filepath.Join(t.TempDir(), "services.yaml")
	if err := os.WriteFile(cfg, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	return pin, cfg
}

// TestRunPinned runs the agent twice against a real bpffs: the first run writes the
// services, the second finds them pinned and writes nothing, and a fresh Load reads them
// back.
func TestRunPinned(t *testing.T) {
	testenv.RequirePrivileged(t)
	pin, cfg := bpffsAndConfig(t)
	stats := func() map[string]int {
		var out bytes.Buffer
		if err := run(context.Background(), cfg, "", pin, &out); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		return m
	}
	first := stats()
	if first["servicesWritten"] != 2 || first["backendsWritten"] != 3 {
		t.Errorf("first run wrote %v, want 2 services and 3 backends", first)
	}
	if second := stats(); second["servicesWritten"] != 0 || second["syscalls"] != 0 {
		t.Errorf("second run wrote %v, want nothing", second)
	}
	d, err := datapath.Load(&datapath.Options{PinDir: pin})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fes, err := d.Frontends()
	if err != nil {
		t.Fatal(err)
	}
	if len(fes) != 2 {
		t.Errorf("pinned maps hold frontends %v, want 2", fes)
	}
}

// TestAttachInNamespace builds the agent and runs it in a fresh network namespace made
// by the test, attached to that namespace's loopback: its XDP and TC links stay pinned
// after the process exits, and a second run reuses them.
func TestAttachInNamespace(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "iproute2 (ip) not installed")
	}
	bin := filepath.Join(t.TempDir(), "thin-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := fmt.Sprintf("cik-agent-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	pin, cfg := bpffsAndConfig(t)
	agent := func() string {
		out, err := exec.Command("ip", "netns", "exec", ns, bin, "-config", cfg, "-iface", "lo", "-pin-dir", pin).CombinedOutput()
		if err != nil {
			t.Fatalf("thin-agent: %v\n%s", err, out)
		}
		return string(out)
	}
	agent()
	links, _ := filepath.Glob(filepath.Join(pin, "cik_link_*"))
	if len(links) != 3 {
		t.Fatalf("pinned links %v, want xdp, tc-ingress and tc-egress", links)
	}
	if out := agent(); !strings.Contains(out, `"syscalls":0`) {
		t.Errorf("second run: %s, want no map writes", out)
	}
	if again, _ := filepath.Glob(filepath.Join(pin, "cik_link_*")); len(again) != 3 {
		t.Errorf("after the second run: links %v, want the same three", again)
	}
}
