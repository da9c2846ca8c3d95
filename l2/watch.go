package l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	ciliuminformers "github.com/cilium/cilium/pkg/k8s/client/informers/externalversions/cilium.io/v2alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// DefaultWatchRetry is how long Watch waits before handing a refused set to update again.
const DefaultWatchRetry = 5 * time.Second

// WatchOptions are the optional settings of Watch. Nil or zero fields mean the defaults.
type WatchOptions struct {
	// Retry is the pause before calling update again after it returned an error, > 0;
	// zero means DefaultWatchRetry.
	Retry time.Duration
	// Logger receives Watch's and the informers' logs; nil discards them.
	Logger *slog.Logger
}

// Watch computes, from informers on CiliumL2AnnouncementPolicies, Services and the Node
// named nodeName, the desired set of node nodeName — for every Service and policy that
// Select matches on a Node with the Node object's labels (none while it does not exist)
// and the given interfaces, every announced address on every matching interface — and
// hands it to update (typically (*Announcer).Update) after the caches synced and whenever
// it changes, sorted by Service, IP and interface. Invalid policies are logged and
// skipped; an update error is logged and the set handed again after WatchOptions.Retry
// or at the next change. Watch needs list and watch on the three kinds and returns nil
// when ctx ends, or an error for bad arguments.
func Watch(ctx context.Context, kube kubernetes.Interface, cilium ciliumclient.Interface, nodeName string, interfaces []string,
	update func([]Announcement) error, opts *WatchOptions) error {
	var o WatchOptions
	if opts != nil {
		o = *opts
	}
	if o.Retry == 0 {
		o.Retry = DefaultWatchRetry
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("watch node %q: %s: %w", nodeName, fmt.Sprintf(format, args...), ErrInvalidAnnouncer))
	}
	if kube == nil || cilium == nil {
		bad("nil Kubernetes or Cilium client")
	}
	if nodeName == "" {
		bad("empty node name")
	}
	if len(interfaces) == 0 || slices.Contains(interfaces, "") {
		bad("interfaces %q: want at least one, none empty", interfaces)
	}
	if update == nil {
		bad("nil update function")
	}
	if o.Retry < 0 {
		bad("Retry %s is negative", o.Retry)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log := o.Logger.With("node", nodeName)
	ctx = withKlogLogger(ctx, log)

	policies := ciliuminformers.NewCiliumL2AnnouncementPolicyInformer(cilium, 0, cache.Indexers{})
	services := coreinformers.NewServiceInformer(kube, metav1.NamespaceAll, 0, cache.Indexers{})
	nodes := coreinformers.NewFilteredNodeInformer(kube, 0, cache.Indexers{}, func(lo *metav1.ListOptions) {
		lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", nodeName).String()
	})
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	informers := []cache.SharedIndexInformer{policies, services, nodes}
	synced := make([]cache.InformerSynced, len(informers))
	for i, inf := range informers {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("watch node %q: %w", nodeName, err)
		}
		synced[i] = inf.HasSynced
		go inf.RunWithContext(ctx)
	}
	if !cache.WaitForNamedCacheSyncWithContext(ctx, synced...) {
		return nil // ctx ended
	}

	var last []Announcement
	applied := false
	var retry <-chan time.Time
	for {
		set, selErr := desiredSet(policies.GetStore(), services.GetStore(), nodes.GetStore(), nodeName, interfaces)
		if selErr != nil {
			log.Warn("L2 announcement policies skipped", "error", selErr)
		}
		if !applied || !slices.Equal(set, last) {
			if err := update(set); err != nil {
				log.Error("L2 desired set refused; retrying", "announcements", len(set), "retry", o.Retry, "error", err)
				retry = time.After(o.Retry)
			} else {
				last, applied, retry = set, true, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-retry:
			applied = false
		}
	}
}

// desiredSet is the set Watch hands on, computed from the informers' stores.
func desiredSet(policyStore, serviceStore, nodeStore cache.Store, nodeName string, interfaces []string) ([]Announcement, error) {
	var policies []*ciliumv2alpha1.CiliumL2AnnouncementPolicy
	for _, o := range policyStore.List() {
		if p, ok := o.(*ciliumv2alpha1.CiliumL2AnnouncementPolicy); ok {
			policies = append(policies, p)
		}
	}
	node := Node{Name: nodeName, Interfaces: interfaces}
	for _, o := range nodeStore.List() {
		if n, ok := o.(*corev1.Node); ok && n.Name == nodeName {
			node.Labels = n.Labels
		}
	}
	var set []Announcement
	var errs []error
	for _, o := range serviceStore.List() {
		svc, ok := o.(*corev1.Service)
		if !ok {
			continue
		}
		matches, err := Select(policies, svc, node)
		if err != nil {
			errs = append(errs, err)
		}
		key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
		for _, m := range matches {
			for _, ip := range m.IPs {
				for _, dev := range m.Interfaces {
					set = append(set, Announcement{Service: key, IP: ip, Interface: dev})
				}
			}
		}
	}
	slices.SortFunc(set, compareAnnouncements)
	return slices.Compact(set), errors.Join(errs...)
}
