package lbipam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	ciliuminformers "github.com/cilium/cilium/pkg/k8s/client/informers/externalversions"
	corev1 "k8s.io/api/core/v1"
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
	// ConditionIngressRestored is the Service condition the controller sets (status True)
	// when it refused an address another writer put into status.loadBalancer.ingress and
	// wrote the Service's own addresses back (see Allocator.Assign): reason the Reason of
	// the refusal (already_allocated, ip_not_in_pool, no_pool, pool_selector_mismatch,
	// not_requested, ...), message naming the refused address. It records the last such
	// refusal and stays until the Service is deleted; Cilium has no such condition.
	ConditionIngressRestored = "ciliumkit.io/IngressRestored"
)

// Leader election defaults, those of Cilium's operator (its --leader-election-* flags).
const (
	// DefaultLeaseName is the Lease the controllers of one cluster elect their leader on.
	DefaultLeaseName = "ciliumkit-lbipam"
	// DefaultLeaseNamespace is the namespace of that Lease.
	DefaultLeaseNamespace = "kube-system"
	// DefaultLeaseDuration is how long a lease holds without renewal: a follower takes
	// over at most this long after the leader stopped renewing.
	DefaultLeaseDuration = 15 * time.Second
	// DefaultRenewDeadline is how long the leader keeps trying to renew before it stops
	// leading (and writing).
	DefaultRenewDeadline = 10 * time.Second
	// DefaultRetryPeriod is the wait between tries to acquire or renew the lease.
	DefaultRetryPeriod = 2 * time.Second
)

// ControllerOptions configure a Controller. The zero value is usable: it elects a leader
// on the Lease kube-system/ciliumkit-lbipam with Cilium operator's timings.
type ControllerOptions struct {
	// Logger receives the controller's logs, and those of client-go's leader election;
	// default: discarded.
	Logger *slog.Logger
	// FieldManager is the server-side apply field manager for status writes; default
	// "ciliumkit", the field manager of every write ciliumkit makes.
	FieldManager string
	// RetryInterval is the wait before a failed status write is retried; default 200ms.
	RetryInterval time.Duration

	// LeaseName and LeaseNamespace name the coordination.k8s.io Lease on which the
	// controllers of one cluster elect the one that allocates and writes; default
	// DefaultLeaseName in DefaultLeaseNamespace. The namespace must exist.
	LeaseName, LeaseNamespace string
	// Identity is this controller's holder identity in the Lease, unique among the
	// replicas; default the host name, "_" and 8 random hex digits.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's leader election
	// timings (leaderelection.LeaderElectionConfig); defaults DefaultLeaseDuration,
	// DefaultRenewDeadline and DefaultRetryPeriod. LeaseDuration must exceed
	// RenewDeadline, which must exceed 1.2 x RetryPeriod; Run reports otherwise.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// DisableLeaderElection makes Run allocate and write at once, without a Lease. Use it
	// only where exactly one controller can ever run against the cluster (a single
	// process with no rollout overlap): two controllers without election each take the
	// other's writes for a foreign change and keep restoring their own addresses, so
	// Services' addresses change over and over (status writes carry resourceVersion
	// preconditions, so neither overwrites a state it has not seen, but that does not
	// stop the two from disagreeing).
	DisableLeaderElection bool
}

// Controller runs an Allocator against an API server: it watches
// CiliumLoadBalancerIPPools and Services, writes status.loadBalancer.ingress and the
// ConditionRequestSatisfied condition of each managed Service, and the count and
// conflict conditions of each pool, all by server-side apply with one field manager.
//
// Several replicas may run at once (a Deployment with replicas > 1, or the overlap of a
// rolling update): they elect a leader on a Lease (see ControllerOptions), and only the
// leader allocates and writes; followers keep their informer caches warm. Every write
// carries the resourceVersion the decision was made on, so a write based on a state that
// is no longer current fails with a conflict instead of overwriting it, and the
// controller re-reads the object and decides again. When it becomes leader the
// controller rebuilds its allocator from a fresh (quorum) list of pools and Services,
// not from its cache: pools first, then every Service's current ingress addresses
// (oldest Service first), and only then allocates, so no held address moves across a
// restart or a change of leader. A Service whose cached state disagrees with what the
// allocator holds is re-read from the API server before anything is decided for it.
//
// Addresses written into a Service's status by another writer are handled as
// Allocator.Assign says: adopted when valid and free, otherwise refused, recorded in
// ConditionIngressRestored and overwritten with the Service's own addresses.
type Controller struct {
	kube   kubernetes.Interface
	cilium ciliumclient.Interface
	log    *slog.Logger
	fm     string
	retry  time.Duration
	elect  electionConfig

	// alloc is the leader's allocator, made anew each time leadership starts; only the
	// lead goroutine touches it.
	alloc *Allocator
	// leadMu is held for as long as a term of leadership runs, so that two never overlap.
	leadMu  sync.Mutex
	leading atomic.Bool

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
		elect:   newElectionConfig(opts),
		pending: map[types.NamespacedName]struct{}{}, notify: make(chan struct{}, 1),
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

// Identity returns this controller's holder identity in the Lease.
func (c *Controller) Identity() string { return c.elect.identity }

// Leading reports whether this controller is the leader now, allocating and writing
// (always true while Run runs with DisableLeaderElection, once its caches synced).
func (c *Controller) Leading() bool { return c.leading.Load() }

// Run watches and, while it leads, reconciles until ctx ends; then it stops writing,
// gives up the Lease if it holds it (so that a follower takes over after one
// RetryPeriod instead of a whole LeaseDuration), stops its watches and returns nil.
// A controller that loses the lease (it could not renew it within RenewDeadline) stops
// writing at once and stands for election again, keeping its caches; it never writes
// while another holds the lease. Run returns an error only when the election settings
// are invalid, it cannot register its event handlers, or the informer caches do not
// sync before ctx ends. Run may be called once.
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
	l := listers{svcs: svcInf.Lister(), pools: poolInf.Lister()}
	if c.elect.disabled {
		c.leadMu.Lock()
		defer c.leadMu.Unlock()
		c.lead(ctx, l)
		return nil
	}
	return c.runElection(ctx, l)
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
