// Command quickstart shows ciliumkit doing its job on one machine, with no cluster and no
// root, in a few seconds. It replays what the seed runbooks do by hand:
//
//  1. plans the mesh tokyo (ID 1, VPC 10.13.0.0/16) and hk (ID 2, VPC 10.14.0.0/16,
//     pods 10.245.0.0/16) and prints each cluster's Cilium Helm values;
//  2. starts a two-cluster mesh on loopback: one embedded etcd per cluster, serving with
//     mutual TLS and the clustermesh-apiserver certificates ciliumkit issues, exports the
//     global service echoserver/echoserver (one backend per cluster) from both, imports
//     each side's view from the other, and prints per cluster the merged service table
//     as `cilium service list --clustermesh-affinity` shows it, for affinity none, local
//     and remote, and what Cilium 1.19.3 does with a literal "none";
//  3. assigns LoadBalancer IPs from the seed's /29 pool to three Services (.1, .2, .3) and
//     shows which nodes the seed's L2 policy lets announce them, its failover window and
//     its load on the API server;
//  4. checks the seed's egress gateway policies against the mesh plan and prints the
//     verdict;
//  5. writes a Mermaid diagram of the mesh to a file and prints where;
//  6. says which steps need root or a cluster, and how to run them.
//
// Usage:
//
//	go run ./examples/quickstart [-out FILE]
//
// -out is where the Mermaid diagram goes; by default a new file ciliumkit-mesh-*.mmd in
// the system's temporary directory (os.TempDir: $TMPDIR on Unix), so that a fresh clone
// stays clean. Progress and results go to stdout, errors to stderr. Exit status: 0 done,
// 1 failed, 2 usage error. The etcd servers listen on 127.0.0.1 only, on ports the
// kernel picks, keep their data in a temporary directory and are gone when the program
// exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program, for tests: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to write the Mermaid diagram of the mesh to (default: a new ciliumkit-mesh-*.mmd in the temporary directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "quickstart: unexpected arguments:", strings.Join(fs.Args(), " "))
		fs.Usage()
		return 2
	}
	if err := quickstart(ctx, *out, stdout); err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	return 0
}

// steps is how many numbered steps quickstart prints.
const steps = 6

func quickstart(ctx context.Context, out string, w io.Writer) error {
	start := time.Now()
	p := &progress{w: w}
	fmt.Fprintln(w, "ciliumkit quickstart: the seed runbooks' mesh, planned and run on this machine (no cluster, no root)")

	p.step("Plan the mesh from the seeds (tokyo ID 1, hk ID 2)")
	spec, plan, err := planMesh(p)
	if err != nil {
		return err
	}
	p.done()

	p.step("Two-cluster mesh on loopback: etcd with mTLS, global service echoserver")
	if err := runMesh(ctx, p, plan); err != nil {
		return err
	}
	p.done()

	p.step("LB IPAM and L2 announcements (the seed's cilium-pool and policy1)")
	if err := lbAndL2(p); err != nil {
		return err
	}
	p.done()

	p.step("Egress gateway policy check (the seed's egress-sample)")
	if err := egressCheck(p, plan, spec.Pools.Pods); err != nil {
		return err
	}
	p.done()

	p.step("Mermaid diagram of the mesh")
	if err := writeDiagram(p, plan, out); err != nil {
		return err
	}
	p.done()

	p.step("What needs root or a cluster")
	nextSteps(p)
	p.done()

	fmt.Fprintf(w, "\nquickstart: done in %s\n", round(time.Since(start)))
	return nil
}
