package resolve

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	ciliuminformers "github.com/cilium/cilium/pkg/k8s/client/informers/externalversions"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// DefaultRetry is WatchOptions.Retry's default.
const DefaultRetry = time.Second

// WatchOptions configure Watch. The zero value (or nil) selects the defaults.
type WatchOptions struct {
	// Options are Resolve's options (LeaseNamespace).
	Options
	// Retry is how long Watch waits before calling a failed sync again, > 0; zero means
	// DefaultRetry.
	Retry time.Duration
	// Logger receives failed syncs; nil discards them.
	Logger *slog.Logger
}

// Watch keeps the state Resolve needs in informer caches (one LIST and WATCH per
// resource, no polling) and calls sync with a new Result each time its Entries, or the
// Down state of a gateway, change, starting with the first Result once the caches are
// filled. Lease expiry is a change too: Watch re-resolves when the earliest Lease of an
// up node expires. A sync that returns an error is called again, with the latest
// Result, after opts.Retry. Calls are sequential. Watch returns ctx's error when ctx
// ends, or an error wrapping ErrInvalidOptions for bad options.
func Watch(ctx context.Context, kube kubernetes.Interface, cilium ciliumclient.Interface, opts *WatchOptions, sync func(context.Context, Result) error) error {
	var o WatchOptions
	if opts != nil {
		o = *opts
	}
	if o.Retry == 0 {
		o.Retry = DefaultRetry
	}
	if o.Retry < 0 {
		return fmt.Errorf("%w: watch Retry %v: want > 0", ErrInvalidOptions, o.Retry)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	kick := make(chan struct{}, 1)
	notify := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}
	kf := informers.NewSharedInformerFactory(kube, 0)
	cf := ciliuminformers.NewSharedInformerFactory(cilium, 0)
	nodes := kf.Core().V1().Nodes()
	pols := cf.Cilium().V2().CiliumEgressGatewayPolicies()
	eps := cf.Cilium().V2().CiliumEndpoints()
	for _, inf := range []cache.SharedIndexInformer{nodes.Informer(), pols.Informer(), eps.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("resolve: add informer handler: %w", err)
		}
	}
	var listLeases func() ([]*coordinationv1.Lease, error)
	if o.LeaseNamespace != "" {
		lf := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(o.LeaseNamespace))
		leases := lf.Coordination().V1().Leases()
		if _, err := leases.Informer().AddEventHandler(handler); err != nil {
			return fmt.Errorf("resolve: add informer handler: %w", err)
		}
		listLeases = func() ([]*coordinationv1.Lease, error) { return leases.Lister().List(labels.Everything()) }
		lf.Start(ctx.Done())
		defer lf.Shutdown()
		for typ, ok := range lf.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("resolve: %v informer did not sync: %w", typ, context.Cause(ctx))
			}
		}
	}
	kf.Start(ctx.Done())
	cf.Start(ctx.Done())
	defer kf.Shutdown()
	defer cf.Shutdown()
	for typ, ok := range kf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("resolve: %v informer did not sync: %w", typ, context.Cause(ctx))
		}
	}
	for typ, ok := range cf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("resolve: %v informer did not sync: %w", typ, context.Cause(ctx))
		}
	}

	state := func() (*State, error) {
		var s State
		var err error
		if s.Nodes, err = nodes.Lister().List(labels.Everything()); err != nil {
			return nil, err
		}
		if s.Policies, err = pols.Lister().List(labels.Everything()); err != nil {
			return nil, err
		}
		if s.Endpoints, err = eps.Lister().List(labels.Everything()); err != nil {
			return nil, err
		}
		if listLeases != nil {
			if s.Leases, err = listLeases(); err != nil {
				return nil, err
			}
		}
		return &s, nil
	}

	var last *Result
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-kick:
		case <-timer.C:
		}
		s, err := state()
		if err != nil {
			return fmt.Errorf("resolve: read informer caches: %w", err)
		}
		now := time.Now()
		res := Resolve(s, now, &o.Options)
		wait := time.Duration(-1)
		if next := nextExpiry(s, res, o.LeaseNamespace, now); !next.IsZero() {
			wait = next.Sub(now)
		}
		if last == nil || changed(*last, res) {
			if err := sync(ctx, res); err != nil {
				o.Logger.Warn("egress gateway entries not synced; retrying", "retry", o.Retry, "error", err)
				if wait < 0 || wait > o.Retry {
					wait = o.Retry
				}
			} else {
				last = &res
			}
		}
		timer.Stop()
		if wait >= 0 {
			timer.Reset(wait)
		}
	}
}

// nextExpiry returns the earliest Lease expiry after now of a node that res uses as an
// up gateway, or the zero Time.
func nextExpiry(s *State, res Result, ns string, now time.Time) time.Time {
	if ns == "" {
		return time.Time{}
	}
	var next time.Time
	for _, p := range res.Policies {
		for _, g := range p.Gateways {
			if g.Down || g.Node == "" {
				continue
			}
			if e := leaseExpiry(s.Leases, ns, g.Node); e.After(now) && (next.IsZero() || e.Before(next)) {
				next = e
			}
		}
	}
	return next
}

// changed reports whether b differs from a in its entries or its gateways' state.
func changed(a, b Result) bool {
	if !slices.Equal(a.Entries, b.Entries) || len(a.Policies) != len(b.Policies) {
		return true
	}
	for i := range a.Policies {
		pa, pb := a.Policies[i], b.Policies[i]
		if pa.Name != pb.Name || !slices.EqualFunc(pa.Gateways, pb.Gateways, func(x, y Gateway) bool {
			return x.Gateway == y.Gateway && x.Node == y.Node
		}) {
			return true
		}
	}
	return false
}
