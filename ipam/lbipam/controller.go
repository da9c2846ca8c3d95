package lbipam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	ciliuminformers "github.com/cilium/cilium/pkg/k8s/client/informers/externalversions"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/ciliumkit/ciliumkit/internal/apply"
)

// LB IPAM condition types, as Cilium's operator writes them.
const (
	// ConditionRequestSatisfied is the Service condition that says whether LB IPAM
	// satisfied the Service: status True or False, reason a Reason.
	ConditionRequestSatisfied = "cilium.io/IPAMRequestSatisfied"
	// ConditionIPsTotal is the pool condition whose message is the number of addresses
	// the pool hands out (PoolStatus.Total; status Unknown, reason "noreason").
	ConditionIPsTotal = "cilium.io/IPsTotal"
	// ConditionIPsUsed is the pool condition whose message is the number of its addresses
	// held by Services (PoolStatus.Used; status Unknown, reason "noreason").
	ConditionIPsUsed = "cilium.io/IPsUsed"
	// ConditionIPsAvailable is the pool condition whose message is the number of its
	// addresses still obtainable (PoolStatus.Available; status Unknown, reason "noreason").
	ConditionIPsAvailable = "cilium.io/IPsAvailable"
	// ConditionPoolConflict is True (reason cidr_overlap) while the pool conflicts, False
	// (reason resolved) otherwise.
	ConditionPoolConflict = "cilium.io/PoolConflict"
	// ConditionPoolValid is False (reason invalid_spec) while ValidatePool fails for
	// the pool, True (reason valid) otherwise; Cilium has no such condition.
	ConditionPoolValid = "ciliumkit.io/PoolValid"
)

// ControllerOptions configure a Controller. The zero value is usable.
type ControllerOptions struct {
	// Logger receives the controller's logs; default: discarded.
	Logger *slog.Logger
	// FieldManager is the server-side apply field manager for status writes; default
	// "ciliumkit", the field manager of every write ciliumkit makes.
	FieldManager string
	// RetryInterval is the wait before a failed status write is retried; default 200ms.
	RetryInterval time.Duration
}

// Controller runs an Allocator against an API server: it watches
// CiliumLoadBalancerIPPools and Services, writes status.loadBalancer.ingress and the
// ConditionRequestSatisfied condition of each managed Service, and the count and
// conflict conditions of each pool, all by server-side apply with one field manager.
// On start it rebuilds the allocator from the cluster: pools first, then every Service's
// current ingress addresses (oldest Service first), and only then allocates, so no held
// address moves across restarts.
type Controller struct {
	kube   kubernetes.Interface
	cilium ciliumclient.Interface
	log    *slog.Logger
	fm     string
	retry  time.Duration
	alloc  *Allocator

	mu         sync.Mutex
	pending    map[types.NamespacedName]struct{}
	poolsDirty bool
	notify     chan struct{}
}

// NewController returns a controller on the given clients; opts may be nil.
func NewController(kube kubernetes.Interface, cilium ciliumclient.Interface, opts *ControllerOptions) *Controller {
	if opts == nil {
		opts = &ControllerOptions{}
	}
	c := &Controller{
		kube: kube, cilium: cilium, log: opts.Logger, fm: opts.FieldManager, retry: opts.RetryInterval,
		alloc: NewAllocator(), pending: map[types.NamespacedName]struct{}{}, notify: make(chan struct{}, 1),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.fm == "" {
		c.fm = apply.FieldManager
	}
	if c.retry <= 0 {
		c.retry = 200 * time.Millisecond
	}
	return c
}

// Run watches and reconciles until ctx ends, then stops its watches and returns nil. It
// returns an error only when it cannot register its event handlers or the informer
// caches do not sync before ctx ends. Run may be called once.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	kf := informers.NewSharedInformerFactory(c.kube, 0)
	cf := ciliuminformers.NewSharedInformerFactory(c.cilium, 0)
	defer func() { cancel(); kf.Shutdown(); cf.Shutdown() }()

	svcInf := kf.Core().V1().Services()
	poolInf := cf.Cilium().V2().CiliumLoadBalancerIPPools()
	if _, err := svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onService,
		UpdateFunc: func(_, obj any) { c.onService(obj) },
		DeleteFunc: c.onService,
	}); err != nil {
		return fmt.Errorf("lbipam: controller: service event handler: %w", err)
	}
	poolChanged := func(any) { c.mark(nil, true) }
	if _, err := poolInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poolChanged, UpdateFunc: func(_, o any) { poolChanged(o) }, DeleteFunc: poolChanged,
	}); err != nil {
		return fmt.Errorf("lbipam: controller: pool event handler: %w", err)
	}
	kf.Start(ctx.Done())
	cf.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), svcInf.Informer().HasSynced, poolInf.Informer().HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("lbipam: controller: informer caches did not sync")
	}
	svcs, poolLister := svcInf.Lister(), poolInf.Lister()

	// Rebuild: pools, then adopt every Service's addresses, then allocate.
	c.syncPools(poolLister.List)
	all, _ := svcs.List(labels.Everything())
	slices.SortFunc(all, func(a, b *corev1.Service) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, s := range all {
		if err := c.alloc.Adopt(s); err != nil {
			c.log.Warn("address not adopted", "service", s.Namespace+"/"+s.Name, "error", err)
		}
	}
	c.mu.Lock()
	c.poolsDirty = true
	c.mu.Unlock()
	c.signal()
	c.log.Info("lb ipam controller started", "pools", len(c.alloc.pools), "services", len(all))

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.notify:
		}
		c.mu.Lock()
		keys, poolsDirty := c.pending, c.poolsDirty
		c.pending, c.poolsDirty = map[types.NamespacedName]struct{}{}, false
		c.mu.Unlock()
		if poolsDirty {
			c.syncPools(poolLister.List)
			all, _ := svcs.List(labels.Everything())
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
			svc, err := svcs.Services(k.Namespace).Get(k.Name)
			if err != nil {
				c.alloc.Release(k.Namespace, k.Name)
				continue
			}
			if err := c.reconcileService(ctx, svc); err != nil && ctx.Err() == nil {
				c.log.Warn("service status write failed, retrying", "service", k.String(), "error", err)
				c.mark(&k, false)
				time.AfterFunc(c.retry, c.signal)
			}
		}
		if err := c.writePoolStatuses(ctx, poolLister.Get); err != nil && ctx.Err() == nil {
			c.log.Warn("pool status write failed, retrying", "error", err)
			time.AfterFunc(c.retry, c.signal)
		}
	}
}

func (c *Controller) onService(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if s, ok := obj.(*corev1.Service); ok {
		c.mark(&types.NamespacedName{Namespace: s.Namespace, Name: s.Name}, false)
	}
}

func (c *Controller) mark(k *types.NamespacedName, pools bool) {
	c.mu.Lock()
	if k != nil {
		c.pending[*k] = struct{}{}
	}
	c.poolsDirty = c.poolsDirty || pools
	c.mu.Unlock()
	c.signal()
}

func (c *Controller) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
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
