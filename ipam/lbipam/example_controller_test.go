package lbipam_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/ipam/lbipam"
)

// ExampleNewController wires the LB IPAM controller to a cluster: both clientsets come
// from one *rest.Config (here the in-cluster one; clientcmd.BuildConfigFromFlags gives
// one from a kubeconfig), and Run reconciles until the context ends. Every replica of
// the Deployment runs the same code: they elect a leader on the Lease
// kube-system/ciliumkit-lbipam, named here explicitly, and only the leader writes; the
// pod name makes a readable holder identity. It needs a cluster, so it is compiled but
// not run.
func ExampleNewController() {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		slog.Error("no cluster config", "error", err)
		return
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		slog.Error("kubernetes client", "error", err)
		return
	}
	cilium, err := ciliumclient.NewForConfig(cfg)
	if err != nil {
		slog.Error("cilium client", "error", err)
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	identity, _ := os.Hostname() // the pod name; the default adds a random suffix to it
	c := lbipam.NewController(kube, cilium, &lbipam.ControllerOptions{
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
		LeaseName:      lbipam.DefaultLeaseName,
		LeaseNamespace: lbipam.DefaultLeaseNamespace,
		Identity:       identity,
	})
	if err := c.Run(ctx); err != nil {
		slog.Error("lb ipam controller", "error", err)
	}
}
