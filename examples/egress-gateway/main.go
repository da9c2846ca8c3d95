// Command egress-gateway is an egress gateway node agent built on ciliumkit: it loads
// ciliumkit's egress programs, attaches the steering program to the pod interfaces and,
// on a node that can be a gateway, the SNAT programs to the uplink, then keeps the egress
// map equal to what resolve computes from the cluster's CiliumEgressGatewayPolicies,
// CiliumEndpoints, Nodes and agents' heartbeat Leases.
//
//	egress-gateway -node k8s-w2 -node-ip 192.168.10.102 -pod-ifaces lxc0,lxc1 \
//	    [-uplink ens5] [-lease-namespace kube-system] [-lease-duration 15s] \
//	    [-pin-dir /sys/fs/bpf/ciliumkit] [-kubeconfig FILE]
//
// The node must forward IPv4, reach every gateway on-link, route the pod ranges of the
// other nodes (native routing), and, on a gateway, own its egress IP on the uplink and
// not send ICMP redirects. It needs root (CAP_BPF, CAP_NET_ADMIN). It runs until SIGINT
// or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	fs := flag.NewFlagSet("egress-gateway", flag.ExitOnError)
	node := fs.String("node", "", "this node's name; required")
	nodeIP := fs.String("node-ip", "", "this node's IPv4 InternalIP; required")
	pods := fs.String("pod-ifaces", "", "comma-separated interfaces pod traffic enters the node by")
	uplink := fs.String("uplink", "", "uplink interface: attach the gateway's SNAT programs to it")
	leaseNS := fs.String("lease-namespace", "", "namespace of the agents' heartbeat Leases; empty: judge gateways by node readiness only")
	leaseDur := fs.Duration("lease-duration", 0, "heartbeat Lease duration, whole seconds (default 15s)")
	pin := fs.String("pin-dir", "", "bpffs directory to pin maps and links in")
	prune := fs.Duration("prune-idle", 10*time.Minute, "prune connection table entries idle this long; 0 disables")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fs.Parse(os.Args[1:])

	ip, err := netip.ParseAddr(*nodeIP)
	if *node == "" || err != nil || !ip.Is4() {
		fmt.Fprintln(os.Stderr, "egress-gateway: -node and an IPv4 -node-ip are required")
		os.Exit(2)
	}
	cfg := config{Node: *node, NodeIP: ip, Uplink: *uplink, LeaseNamespace: *leaseNS,
		LeaseDuration: *leaseDur, PinDir: *pin, PruneIdle: *prune}
	if *pods != "" {
		cfg.PodInterfaces = strings.Split(*pods, ",")
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "egress-gateway:", err)
		os.Exit(1)
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "egress-gateway:", err)
		os.Exit(1)
	}
	cilium, err := ciliumclient.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "egress-gateway:", err)
		os.Exit(1)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := newAgent(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "egress-gateway:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a.run(ctx, kube, cilium)
	<-ctx.Done()
	a.close()
}
