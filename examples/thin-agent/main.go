// Command thin-agent joins a plain Linux node (a VM, a bare-metal gateway) to a Cilium
// ClusterMesh without Kubernetes on the node: it loads ciliumkit's BPF load balancer,
// follows services and backends from ClusterMesh kvstores (several clusters at once,
// mutual TLS with the certificates the mesh issues) and/or from its cluster's API
// server (Services and EndpointSlices), chooses backends with the global-service
// policy and affinity (package mesh/lb), and keeps the maps equal to the result,
// writing only what changed.
//
//	thin-agent -config /etc/thin-agent/config.yaml [flags]
//	thin-agent -check -config FILE     # validate only
//
// The configuration format is documented on the config type (config.go); flags override
// single fields (thin-agent -h lists them). It serves /healthz, /readyz and /metrics on
// -listen (default 127.0.0.1:9877), logs with log/slog, and stops on SIGTERM or
// SIGINT: with a pin directory the programs stay attached and the maps pinned, so
// traffic keeps flowing and the next run resumes from them; without one they are
// detached.
//
// Exit codes: 0 after a clean stop (or a valid -check), 2 for bad flags or configuration
// (every problem is printed, naming the field and the value, before anything is
// touched), 1 for a runtime failure (loading or attaching the programs, the listener).
//
// With an l2 section (or -l2) it also announces LoadBalancer IPs on its segment, as
// Cilium's L2 announcements do (package l2): for every LB IP a CiliumL2AnnouncementPolicy
// selects for this node (-node-name, default the hostname) on one of its interfaces
// (-l2-iface, default the datapath interfaces in xdp mode; each must be one), it competes
// for the Service's lease in -l2-lease-namespace (default kube-system, timing
// -l2-lease-duration, -l2-renew-deadline, -l2-retry-period; Cilium's 15s/5s/2s by
// default), answers ARP for the IPv4 and neighbour solicitations for the IPv6 addresses
// it holds from its XDP program (the datapath's L2 responder maps), sends gratuitous ARP
// or an unsolicited neighbour advertisement when it takes one over, and on SIGTERM stops
// answering and releases its leases so that another node takes over within a retry
// period. While l2 is on, a LoadBalancer Service with an ingress address is programmed at
// its first IPv4 and first IPv6 ingress address instead of its ClusterIPs (the reverse
// NAT is stateless: a backend serves one frontend), so the announced addresses carry the
// traffic. It needs the kubernetes source; lease changes
// are counted in ciliumkit_thin_agent_lease_transitions_total{direction}.
//
// It needs root (CAP_BPF, CAP_NET_ADMIN; CAP_NET_RAW for l2). Frontends and backends of
// both address families are programmed, each frontend with the backends of its own
// family; what the datapath cannot carry (SCTP, port 0, a frontend or backend claimed
// twice, a backend of a family none of its service's frontends has) is counted in
// ciliumkit_thin_agent_skipped{reason} and left out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitConfig  = 2
)

func realMain(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "thin-agent:", err)
		return exitConfig
	}
	cfg := opts.config
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, "thin-agent: invalid configuration:")
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			fmt.Fprintln(stderr, "  "+e.Error())
		}
		return exitConfig
	}
	var kube kubernetes.Interface
	var cilium ciliumclient.Interface
	if cfg.Kubernetes != nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = cfg.Kubernetes.Kubeconfig
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
		if err == nil {
			kube, err = kubernetes.NewForConfig(rc)
		}
		if err == nil {
			cilium, err = ciliumclient.NewForConfig(rc)
		}
		if err != nil {
			fmt.Fprintf(stderr, "thin-agent: invalid configuration:\n  kubernetes.kubeconfig %q: %v\n", cfg.Kubernetes.Kubeconfig, err)
			return exitConfig
		}
	}
	if opts.check {
		fmt.Fprintln(stdout, "configuration ok")
		return exitOK
	}
	log := newLogger(cfg.Log, stderr)
	klog.SetSlogLogger(log.With("component", "client-go"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newAgent(cfg, log, kube, cilium)
	if err != nil {
		log.Error("start failed", "error", err)
		return exitRuntime
	}
	if err := a.run(ctx); err != nil {
		log.Error("stopped with an error", "error", err)
		return exitRuntime
	}
	return exitOK
}
