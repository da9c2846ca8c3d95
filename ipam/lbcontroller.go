package ipam

import (
	"cmp"
	"context"
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
)

// LB IPAM condition types, as Cilium's operator writes them.
const (
	// LBConditionRequestSatisfied is the Service condition that says whether LB IPAM
	// satisfied the Service; its reason is an LBReason.
	LBConditionRequestSatisfied = "cilium.io/IPAMRequestSatisfied"
	// LBConditionIPsTotal, LBConditionIPsUsed and LBConditionIPsAvailable are pool
	// conditions whose message is the count (status Unknown, reason "noreason").
	LBConditionIPsTotal     = "cilium.io/IPsTotal"
	LBConditionIPsUsed      = "cilium.io/IPsUsed"
	LBConditionIPsAvailable = "cilium.io/IPsAvailable"
	// LBConditionPoolConflict is True (reason cidr_overlap) while the pool conflicts.
	LBConditionPoolConflict = "cilium.io/PoolConflict"
	// LBConditionPoolValid is False (reason invalid_spec) while ValidateLBPool fails for
	// the pool; Cilium has no such condition.
	LBConditionPoolValid = "ciliumkit.io/PoolValid"
)

// LBDefaultFieldManager is the server-side apply field manager of LBController.
const LBDefaultFieldManager = "ciliumkit"

// LBControllerOptions configure an LBController. The zero value is usable.
type LBControllerOptions struct {
	// Logger receives the controller's logs; default: discarded.
	Logger *slog.Logger
	// FieldManager is the server-side apply field manager for status writes; default
	// LBDefaultFieldManager.
	FieldManager string
	// RetryInterval is the wait before a failed status write is retried; default 200ms.
	RetryInterval time.Duration
}

// LBController runs an LBAllocator against an API server: it watches
// CiliumLoadBalancerIPPools and Services, writes status.loadBalancer.ingress and the
// LBConditionRequestSatisfied condition of each managed Service, and the count and
// conflict conditions of each pool, all by server-side apply with one field manager.
// On start it rebuilds the allocator from the cluster: pools first, then every Service's
// current ingress addresses (oldest Service first), and only then allocates, so no held
// address moves across restarts.
type LBController struct {
	kube   kubernetes.Interface
	cilium ciliumclient.Interface
	log    *slog.Logger
	fm     string
	retry  time.Duration
	alloc  *LBAllocator

	mu         sync.Mutex
	pending    map[types.NamespacedName]struct{}
	poolsDirty bool
	notify     chan struct{}
}

// NewLBController returns a controller on the given clients; opts may be nil.
func NewLBController(kube kubernetes.Interface, cilium ciliumclient.Interface, opts *LBControllerOptions) *LBController {
	if opts == nil {
		opts = &LBControllerOptions{}
	}
	c := &LBController{
		kube: kube, cilium: cilium, log: opts.Logger, fm: opts.FieldManager, retry: opts.RetryInterval,
		alloc: NewLBAllocator(), pending: map[types.NamespacedName]struct{}{}, notify: make(chan struct{}, 1),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.fm == "" {
		c.fm = LBDefaultFieldManager
	}
	if c.retry <= 0 {
		c.retry = 200 * time.Millisecond
	}
	return c
}

// Run watches and reconciles until ctx ends, then stops its watches and returns nil. It
// returns an error only when the informer caches cannot sync. Run may be called once.
func (c *LBController) Run(ctx context.Context) error {
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
		return fmt.Errorf("lb ipam controller: service handler: %w", err)
	}
	poolChanged := func(any) { c.mark(nil, true) }
	if _, err := poolInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poolChanged, UpdateFunc: func(_, o any) { poolChanged(o) }, DeleteFunc: poolChanged,
	}); err != nil {
		return fmt.Errorf("lb ipam controller: pool handler: %w", err)
	}
	kf.Start(ctx.Done())
	cf.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), svcInf.Informer().HasSynced, poolInf.Informer().HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("lb ipam controller: informer caches did not sync")
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

func (c *LBController) onService(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if s, ok := obj.(*corev1.Service); ok {
		c.mark(&types.NamespacedName{Namespace: s.Namespace, Name: s.Name}, false)
	}
}

func (c *LBController) mark(k *types.NamespacedName, pools bool) {
	c.mu.Lock()
	if k != nil {
		c.pending[*k] = struct{}{}
	}
	c.poolsDirty = c.poolsDirty || pools
	c.mu.Unlock()
	c.signal()
}

func (c *LBController) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// syncPools makes the allocator's pools equal to the cluster's, rebuilding the allocator
// once rather than once per pool.
func (c *LBController) syncPools(list func(labels.Selector) ([]*ciliumv2.CiliumLoadBalancerIPPool, error)) {
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
