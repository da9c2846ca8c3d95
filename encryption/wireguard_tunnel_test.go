package encryption_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/ciliumkit/ciliumkit/encryption"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// tunnelNode is one side of the tunnel test: a network namespace with a veth end and a
// userspace WireGuard device.
type tunnelNode struct {
	name, netns, wg, veth  string
	nodeIP, podCIDR, podIP string
	keys                   encryption.KeyPair
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// inNetns runs fn on an OS thread moved into netns; the thread is discarded afterwards.
func inNetns(t *testing.T, netns string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		f, err := os.Open("/var/run/netns/" + netns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", netns, err)
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// startWireGuard re-executes the test binary inside n's namespace as a wireguard-go helper
// and waits until its UAPI socket is served.
func startWireGuard(t *testing.T, n *tunnelNode) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.netns, os.Args[0])
	cmd.Env = append(os.Environ(), wgHelperEnv+"="+n.wg)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("wireguard helper %s: %q, %v; stderr: %s", n.wg, line, err, stderr.String())
	}
}

// TestWireGuardTunnelCarriesTCP builds two network namespaces joined by a veth pair, runs a
// userspace WireGuard device in each, configures keys and peers built by Peers from
// CiliumNode objects through wgctrl, and carries a TCP exchange between addresses that are
// routed only through the tunnel.
func TestWireGuardTunnelCarriesTCP(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "ip (iproute2) not installed")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testenv.Unavailable(t, "/dev/net/tun: "+err.Error())
	}
	id := os.Getpid() % 100000
	nodes := []*tunnelNode{
		{name: "node-a", netns: fmt.Sprintf("cik-wga-%d", id), wg: fmt.Sprintf("cwga%d", id), veth: "veth-a",
			nodeIP: "192.168.77.1", podCIDR: "10.99.1.0/24", podIP: "10.99.1.1"},
		{name: "node-b", netns: fmt.Sprintf("cik-wgb-%d", id), wg: fmt.Sprintf("cwgb%d", id), veth: "veth-b",
			nodeIP: "192.168.77.2", podCIDR: "10.99.2.0/24", podIP: "10.99.2.1"},
	}
	for _, n := range nodes {
		run(t, "ip", "netns", "add", n.netns)
		ns := n.netns
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		kp, err := encryption.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		n.keys = kp
	}
	a, b := nodes[0], nodes[1]
	run(t, "ip", "link", "add", a.veth, "netns", a.netns, "type", "veth", "peer", "name", b.veth, "netns", b.netns)
	for _, n := range nodes {
		run(t, "ip", "-n", n.netns, "link", "set", "lo", "up")
		run(t, "ip", "-n", n.netns, "addr", "add", n.nodeIP+"/24", "dev", n.veth)
		run(t, "ip", "-n", n.netns, "link", "set", n.veth, "up")
		startWireGuard(t, n)
	}

	// The CiliumNode objects each agent would see.
	var cns []ciliumv2.CiliumNode
	for _, n := range nodes {
		cns = append(cns, ciliumNode(n.name, n.keys.Public.String(), []string{n.podCIDR}, internalIP(n.nodeIP)))
	}
	wg, err := wgctrl.New()
	if err != nil {
		t.Fatal(err)
	}
	defer wg.Close()
	for i, n := range nodes {
		peers, err := encryption.Peers(n.name, cns)
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) != 1 || peers[0].Node != nodes[1-i].name {
			t.Fatalf("%s: peers %v, want only %s", n.name, peers, nodes[1-i].name)
		}
		cfg := wgtypes.Config{PrivateKey: &n.keys.Private, ListenPort: ptr(encryption.ListenPort), ReplacePeers: true}
		for _, p := range peers {
			cfg.Peers = append(cfg.Peers, p.Config())
		}
		if err := wg.ConfigureDevice(n.wg, cfg); err != nil {
			t.Fatalf("%s: configure %s: %v", n.name, n.wg, err)
		}
		other := nodes[1-i]
		run(t, "ip", "-n", n.netns, "addr", "add", n.podIP+"/32", "dev", n.wg)
		run(t, "ip", "-n", n.netns, "link", "set", n.wg, "up")
		run(t, "ip", "-n", n.netns, "route", "add", other.podCIDR, "dev", n.wg)
	}

	// TCP: listen on b's pod address, dial it from a's namespace, echo one message.
	var ln net.Listener
	inNetns(t, b.netns, func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(b.podIP, "7000"))
		return err
	})
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil {
			served <- err
			return
		}
		if host, _, _ := net.SplitHostPort(c.RemoteAddr().String()); host != a.podIP {
			served <- fmt.Errorf("connection from %s, want %s", host, a.podIP)
			return
		}
		_, err = c.Write([]byte(strings.ToUpper(string(buf))))
		served <- err
	}()
	var c net.Conn
	inNetns(t, a.netns, func() (err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(b.podIP, "7000"))
		return err
	})
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 5)
	if _, err := io.ReadFull(c, reply); err != nil {
		t.Fatal(err)
	}
	if string(reply) != "HELLO" {
		t.Errorf("reply %q, want %q", reply, "HELLO")
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}

	// The exchange went through WireGuard: a handshake happened and both sides counted traffic.
	for _, n := range nodes {
		d, err := wg.Device(n.wg)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Peers) != 1 {
			t.Fatalf("%s: %d peers", n.wg, len(d.Peers))
		}
		p := d.Peers[0]
		if p.LastHandshakeTime.IsZero() || p.ReceiveBytes == 0 || p.TransmitBytes == 0 {
			t.Errorf("%s: handshake %v, rx %d, tx %d bytes: traffic did not cross the tunnel", n.wg, p.LastHandshakeTime, p.ReceiveBytes, p.TransmitBytes)
		}
		if p.Endpoint == nil || p.Endpoint.Port != encryption.ListenPort {
			t.Errorf("%s: peer endpoint %v, want port %d", n.wg, p.Endpoint, encryption.ListenPort)
		}
	}
}

func ptr[T any](v T) *T { return &v }
