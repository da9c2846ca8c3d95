// Command connect enables ClusterMesh in two or more clusters and connects them, like
// `cilium clustermesh enable` followed by `cilium clustermesh connect` and
// `cilium clustermesh status --wait`, but for any number of clusters at once.
//
//	connect -cluster tokyo=1@ctx-tokyo -cluster hk=2@ctx-hk [-chart DIR] [-dry-run] \
//	    [-kubeconfig FILE] [-service-type NodePort|LoadBalancer|ClusterIP] \
//	    [-topology full-mesh|pair|one-way] [-merge-cas] [-ca-cert F -ca-key F] [-wait 5m]
//
// Each -cluster names a cluster, its Cilium cluster ID and the kubeconfig context that
// reaches it. Cilium is installed or upgraded as Helm release "cilium" in kube-system,
// keeping every value the release already has; a cluster that already runs with another
// name or ID is refused. Every changed Helm value is printed, one line per value
// ("cluster<TAB>key: old -> new (owner)"): to stderr, or with -dry-run to stdout, and
// then nothing is written.
// Without -service-type the type is detected per cluster (GKE, EKS, AKS: LoadBalancer;
// kind: NodePort) and the run fails where it cannot be. Progress goes to stderr; the
// final status, one line per cluster, to stdout. Exit status: 0 connected (and ready,
// with -wait), 1 failed, 2 usage error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// clusterFlags collects repeated -cluster values.
type clusterFlags []clusterRef

func (c *clusterFlags) String() string { return fmt.Sprint(*c) }

func (c *clusterFlags) Set(s string) error {
	r, err := parseClusterRef(s)
	if err != nil {
		return err
	}
	*c = append(*c, r)
	return nil
}

// run is the whole program, for tests: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The logger and the progress callback both write to stderr, from the goroutines
	// Connect works on the clusters with.
	stderr = &lockedWriter{w: stderr}
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var clusters clusterFlags
	fs.Var(&clusters, "cluster", "NAME=ID@CONTEXT, repeated for every cluster (at least 2)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	chartPath := fs.String("chart", "", "Cilium Helm chart directory or .tgz (default: the chart of the Cilium version ciliumkit pins, from the Go module cache)")
	dryRun := fs.Bool("dry-run", false, "print every Helm value the run would change, and write nothing")
	allowOther := fs.Bool("allow-other-changes", false, "allow changing Helm values that are neither the mesh's nor given by you")
	serviceType := fs.String("service-type", "", "clustermesh-apiserver Service type: NodePort, LoadBalancer or ClusterIP (default: detect)")
	topology := fs.String("topology", "full-mesh", "full-mesh, pair or one-way (the first cluster connects to the others)")
	mergeCAs := fs.Bool("merge-cas", false, "when the clusters' Cilium CAs differ, trust all of them instead of failing")
	caCert := fs.String("ca-cert", "", "PEM CA certificate for clusters without a cilium-ca Secret (with -ca-key)")
	caKey := fs.String("ca-key", "", "PEM CA key for -ca-cert")
	wait := fs.Duration("wait", 0, "wait this long for every clustermesh-apiserver to be ready (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "connect:", msg)
		fs.Usage()
		return 2
	}
	if len(clusters) < 2 {
		return usage("give at least two -cluster NAME=ID@CONTEXT")
	}
	opts := &clustermesh.ConnectOptions{
		DryRun:            *dryRun,
		AllowOtherChanges: *allowOther,
		Logger:            slog.New(slog.NewTextHandler(stderr, nil)),
		Progress: func(p clustermesh.Progress) {
			fmt.Fprintf(stderr, "%-8s %-12s %s\n", p.Cluster, p.Step, p.Detail)
		},
	}
	if *mergeCAs {
		opts.CAMismatch = clustermesh.MergeCAs
	}
	switch *topology {
	case "full-mesh":
		opts.Topology = clustermesh.FullMesh
	case "pair":
		opts.Topology = clustermesh.Pair
	case "one-way":
		opts.Topology = clustermesh.OneWay
	default:
		return usage(fmt.Sprintf("unknown -topology %q", *topology))
	}
	if *serviceType != "" {
		st, err := clustermesh.ParseServiceType(*serviceType)
		if err != nil {
			return usage(err.Error())
		}
		opts.Enable.ServiceType = st
	}
	if (*caCert == "") != (*caKey == "") {
		return usage("-ca-cert and -ca-key go together")
	}
	if *caCert != "" {
		crt, err := os.ReadFile(*caCert)
		if err != nil {
			fmt.Fprintln(stderr, "connect:", err)
			return 1
		}
		key, err := os.ReadFile(*caKey)
		if err != nil {
			fmt.Fprintln(stderr, "connect:", err)
			return 1
		}
		if opts.CA, err = clustermesh.LoadCA(crt, key); err != nil {
			fmt.Fprintln(stderr, "connect:", err)
			return 1
		}
	}

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if *kubeconfig != "" {
		rules.ExplicitPath = *kubeconfig
	}
	var targets []clustermesh.Target
	for _, c := range clusters {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
			&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
		if err != nil {
			fmt.Fprintf(stderr, "connect: context %q: %v\n", c.Context, err)
			return 1
		}
		targets = append(targets, clustermesh.Target{Cluster: c.Cluster, Config: cfg, ChartPath: *chartPath})
	}

	if *chartPath == "" {
		ch, err := clustermesh.CiliumChart(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "connect:", err)
			return 1
		}
		for i := range targets {
			targets[i].Chart = ch
		}
	}

	start := time.Now()
	rep, err := clustermesh.Connect(ctx, targets, opts)
	if err != nil {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	changes := stderr // the status lines are the real run's output
	if *dryRun {
		changes = stdout
	}
	for _, c := range rep.Clusters {
		for _, ch := range c.Changes {
			fmt.Fprintf(changes, "%s\t%s\n", c.Cluster, ch)
		}
		for _, p := range c.Pending {
			fmt.Fprintf(changes, "%s\tclustermesh.config.clusters: peer %s: address known once it is enabled\n", c.Cluster, p)
		}
	}
	if *dryRun {
		return 0
	}
	fmt.Fprintf(stderr, "connected %d clusters in %s\n", len(targets), time.Since(start).Round(time.Millisecond))

	var st *clustermesh.State
	if *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		st, err = clustermesh.Wait(wctx, targets, &clustermesh.WaitOptions{Topology: opts.Topology,
			Progress: func(p clustermesh.Progress, _ *clustermesh.State) { fmt.Fprintf(stderr, "waiting: %s\n", p.Detail) }})
	} else {
		st, err = clustermesh.Check(ctx, targets, opts.Topology)
	}
	if st != nil {
		printStatus(stdout, st)
	}
	if err != nil {
		fmt.Fprintln(stderr, "connect:", err)
		return 1
	}
	return 0
}

// printStatus writes one line per cluster: name, service type, endpoints, apiserver
// readiness and peers.
func printStatus(w io.Writer, st *clustermesh.State) {
	for _, c := range st.Clusters {
		var eps []string
		if c.Access != nil {
			eps = c.Access.Endpoints()
		}
		var peers []string
		for _, p := range c.Peers {
			mark := ""
			if p.Mutual != nil && !*p.Mutual {
				mark = "(one-sided)"
			}
			peers = append(peers, p.Name+mark)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\tapiserver %d/%d ready\tpeers %s\n", c.Cluster, c.ServiceType,
			strings.Join(eps, ","), c.APIServer.Ready, c.APIServer.Desired, strings.Join(peers, ","))
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
