package l2_test

import (
	"context"
	"os"
	"os/signal"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/l2"
)

// An agent announces the LB IPs its node is selected for: Watch computes the desired set,
// the Announcer holds leases and drives the responder. (Not run: it needs a cluster and
// CAP_NET_RAW.)
func ExampleNewAnnouncer() {
	cfg := &rest.Config{Host: "https://10.0.0.1:6443"} // e.g. rest.InClusterConfig()
	kube := kubernetes.NewForConfigOrDie(cfg)
	cilium := ciliumclient.NewForConfigOrDie(cfg)
	responder := l2.ResponderFunc(func(ctx context.Context, entries []l2.ResponderEntry) error {
		// Write entries (address, ifindex, MAC) to the ARP responder, e.g. the datapath's
		// L2 responder map.
		return nil
	})
	a, err := l2.NewAnnouncer(kube, "worker-1", responder, &l2.AnnouncerOptions{
		Timing: l2.DefaultTiming(),
		OnTransition: func(tr l2.Transition) {
			// Count tr.Leading per tr.Service, e.g. in a Prometheus counter vector.
		},
	})
	if err != nil {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx) }() // on interrupt: clear the responder, release the leases
	_ = l2.Watch(ctx, kube, cilium, "worker-1", []string{"eth0"}, a.Update, nil)
	<-ran
}
