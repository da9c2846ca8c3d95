package lbipam

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	ciliumlisters "github.com/cilium/cilium/pkg/k8s/client/listers/cilium.io/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// listers read the informer caches.
type listers struct {
	svcs  corelisters.ServiceLister
	pools ciliumlisters.CiliumLoadBalancerIPPoolLister
}

// maxConflictRetries bounds how often one reconcile re-reads a Service after a
// resourceVersion conflict before it leaves the Service for the next round.
const maxConflictRetries = 5

// lead runs one term of leadership: it rebuilds the allocator from the API server, then
// reconciles until ctx ends (the lease is lost, or Run is stopped). Every API call it
// makes uses ctx, so it stops writing as soon as ctx ends.
func (c *Controller) lead(ctx context.Context, l listers) {
	c.leading.Store(true)
	defer c.leading.Store(false)
	var listed []*corev1.Service
	for {
		var err error
		if listed, err = c.rebuild(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("lb ipam: rebuild from the API server failed, retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.retry):
		}
	}
	c.log.Info("lb ipam controller started", "pools", len(c.alloc.pools), "services", len(listed))
	// The fresh list first (its objects are current), then whatever the informers report.
	slices.SortFunc(listed, func(a, b *corev1.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, svc := range listed {
		if ctx.Err() != nil {
			return
		}
		if err := c.settle(ctx, svc); err != nil && ctx.Err() == nil {
			c.retryLater(types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, err)
		}
	}
	c.writePools(ctx, l)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.notify:
		}
		c.mu.Lock()
		keys, poolsDirty := c.pending, c.poolsDirty
		c.pending, c.poolsDirty = map[types.NamespacedName]struct{}{}, false
		c.mu.Unlock()
		if poolsDirty {
			c.syncPools(l.pools.List)
			all, _ := l.svcs.List(labels.Everything())
			for _, s := range all {
				keys[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}] = struct{}{}
			}
		}
		order := make([]types.NamespacedName, 0, len(keys))
		for k := range keys {
			order = append(order, k)
		}
		slices.SortFunc(order, func(a, b types.NamespacedName) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		for _, k := range order {
			if ctx.Err() != nil {
				return
			}
			if err := c.reconcileKey(ctx, l, k); err != nil && ctx.Err() == nil {
				c.retryLater(k, err)
			}
		}
		c.writePools(ctx, l)
	}
}

func (c *Controller) retryLater(k types.NamespacedName, err error) {
	c.log.Warn("service status write failed, retrying", "service", k.String(), "error", err)
	c.mark(&k, false)
	time.AfterFunc(c.retry, c.signal)
}

func (c *Controller) writePools(ctx context.Context, l listers) {
	if err := c.writePoolStatuses(ctx, l.pools.Get); err != nil && ctx.Err() == nil {
		c.log.Warn("pool status write failed, retrying", "error", err)
		time.AfterFunc(c.retry, c.signal)
	}
}

// rebuild makes a new allocator from a quorum list of pools and Services (the caches may
// not yet show the previous leader's last writes): pools, then every Service's current
// addresses, oldest Service first. It returns the listed Services.
func (c *Controller) rebuild(ctx context.Context) ([]*corev1.Service, error) {
	pools, err := c.cilium.CiliumV2().CiliumLoadBalancerIPPools().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	svcs, err := c.kube.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	a := NewAllocator()
	for i := range pools.Items {
		if err := a.setPool(&pools.Items[i]); err != nil {
			c.log.Warn("pool gives out nothing", "pool", pools.Items[i].Name, "error", err)
		}
	}
	a.rebuild()
	all := make([]*corev1.Service, len(svcs.Items))
	for i := range svcs.Items {
		all[i] = &svcs.Items[i]
	}
	slices.SortFunc(all, func(a, b *corev1.Service) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, s := range all {
		if err := a.Adopt(s); err != nil {
			c.log.Warn("address not adopted", "service", s.Namespace+"/"+s.Name, "error", err)
		}
	}
	c.alloc = a
	return all, nil
}

// reconcileKey reconciles the Service k as the cache shows it, re-reading it from the API
// server first when the cache disagrees with what the allocator holds for it (gone, no
// longer managed, or other ingress addresses): a stale cache must never release or move
// an address.
func (c *Controller) reconcileKey(ctx context.Context, l listers, k types.NamespacedName) error {
	svc, err := l.svcs.Services(k.Namespace).Get(k.Name)
	switch {
	case apierrors.IsNotFound(err):
		if !c.alloc.holdsAny(k.Namespace, k.Name) {
			c.alloc.Release(k.Namespace, k.Name)
			return nil
		}
	case err != nil:
		return err
	case !c.alloc.diverges(svc):
		return c.settle(ctx, svc)
	}
	fresh, err := c.kube.CoreV1().Services(k.Namespace).Get(ctx, k.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		c.alloc.Release(k.Namespace, k.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("service %s: get: %w", k, err)
	}
	return c.settle(ctx, fresh)
}

// settle reconciles svc; when the write meets a newer state (a resourceVersion
// conflict), it re-reads the Service and decides again.
func (c *Controller) settle(ctx context.Context, svc *corev1.Service) error {
	for attempt := 0; ; attempt++ {
		err := c.reconcileService(ctx, svc)
		if !apierrors.IsConflict(err) || attempt == maxConflictRetries {
			return err
		}
		fresh, gerr := c.kube.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(gerr) {
			c.alloc.Release(svc.Namespace, svc.Name)
			return nil
		}
		if gerr != nil {
			return fmt.Errorf("service %s/%s: get after conflict: %w", svc.Namespace, svc.Name, gerr)
		}
		c.log.Debug("service changed under a write; deciding again", "service", svc.Namespace+"/"+svc.Name)
		svc = fresh
	}
}

// syncPools makes the allocator's pools equal to the cluster's, rebuilding the allocator
// once rather than once per pool.
func (c *Controller) syncPools(list func(labels.Selector) ([]*ciliumv2.CiliumLoadBalancerIPPool, error)) {
	pools, _ := list(labels.Everything())
	seen := map[string]bool{}
	for _, p := range pools {
		seen[p.Name] = true
		if err := c.alloc.setPool(p); err != nil {
			c.log.Warn("pool gives out nothing", "pool", p.Name, "error", err)
		}
	}
	for name := range c.alloc.pools {
		if !seen[name] {
			delete(c.alloc.pools, name)
		}
	}
	c.alloc.rebuild()
}
