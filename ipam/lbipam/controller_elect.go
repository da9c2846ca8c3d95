package lbipam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// electionConfig is the leader election part of ControllerOptions, defaults applied.
type electionConfig struct {
	disabled                                  bool
	name, namespace, identity                 string
	leaseDuration, renewDeadline, retryPeriod time.Duration
}

func newElectionConfig(o *ControllerOptions) electionConfig {
	e := electionConfig{
		disabled: o.DisableLeaderElection, name: o.LeaseName, namespace: o.LeaseNamespace, identity: o.Identity,
		leaseDuration: o.LeaseDuration, renewDeadline: o.RenewDeadline, retryPeriod: o.RetryPeriod,
	}
	if e.name == "" {
		e.name = DefaultLeaseName
	}
	if e.namespace == "" {
		e.namespace = DefaultLeaseNamespace
	}
	if e.identity == "" {
		e.identity = defaultIdentity()
	}
	if e.leaseDuration <= 0 {
		e.leaseDuration = DefaultLeaseDuration
	}
	if e.renewDeadline <= 0 {
		e.renewDeadline = DefaultRenewDeadline
	}
	if e.retryPeriod <= 0 {
		e.retryPeriod = DefaultRetryPeriod
	}
	return e
}

// defaultIdentity is the host name, "_" and 8 random hex digits: unique per process even
// when two replicas share a host name.
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "lbipam"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "_" + hex.EncodeToString(b[:])
}

// withKlogLogger makes client-go's leader election log through l instead of klog's global
// logger, which writes to the process's stderr.
func withKlogLogger(ctx context.Context, l *slog.Logger) context.Context {
	return klog.NewContext(ctx, logr.FromSlogHandler(l.Handler()))
}

// runElection stands for election until ctx ends, leading whenever it wins.
func (c *Controller) runElection(ctx context.Context, l listers) error {
	e := c.elect
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: e.name, Namespace: e.namespace},
		Client:     c.kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.identity},
	}
	cfg := leaderelection.LeaderElectionConfig{
		Lock: lock, Name: e.namespace + "/" + e.name,
		LeaseDuration: e.leaseDuration, RenewDeadline: e.renewDeadline, RetryPeriod: e.retryPeriod,
		// Released by release below, once the term's writes have finished: client-go's
		// own release runs as soon as renewing stops, possibly before the last write.
		ReleaseOnCancel: false,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				// Terms never overlap: a term that starts while the previous one is still
				// finishing waits, and one whose lease is already lost does nothing.
				c.leadMu.Lock()
				defer c.leadMu.Unlock()
				if lctx.Err() != nil {
					return
				}
				c.log.Info("lb ipam: leading", "lease", e.namespace+"/"+e.name, "identity", e.identity)
				c.lead(lctx, l)
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(id string) {
				if id != e.identity {
					c.log.Info("lb ipam: following", "leader", id, "lease", e.namespace+"/"+e.name)
				}
			},
		},
	}
	lctx := withKlogLogger(ctx, c.log)
	for {
		le, err := leaderelection.NewLeaderElector(cfg)
		if err != nil {
			return fmt.Errorf("lbipam: controller: leader election on lease %s/%s: %w", e.namespace, e.name, err)
		}
		le.Run(lctx) // returns when ctx ends or the lease is lost
		// Wait for the term (if one started) to stop writing, and drop its allocator: the
		// next term rebuilds from the API server.
		c.leadMu.Lock()
		c.alloc = nil
		c.leadMu.Unlock()
		if ctx.Err() != nil {
			c.release(lock)
			return nil
		}
		c.log.Warn("lb ipam: lost the lease; standing again", "lease", e.namespace+"/"+e.name, "identity", e.identity)
	}
}

// release gives the lease up when this controller still holds it, as client-go's
// ReleaseOnCancel would, but only after the last write of the term.
func (c *Controller) release(lock *resourcelock.LeaseLock) {
	ctx, cancel := context.WithTimeout(context.Background(), c.elect.renewDeadline)
	defer cancel()
	rec, _, err := lock.Get(ctx)
	if err != nil || rec.HolderIdentity != c.elect.identity {
		return
	}
	now := metav1.NewTime(time.Now())
	if err := lock.Update(ctx, resourcelock.LeaderElectionRecord{
		LeaderTransitions: rec.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now,
	}); err != nil {
		c.log.Warn("lb ipam: lease not released", "lease", c.elect.namespace+"/"+c.elect.name, "error", err)
		return
	}
	c.log.Info("lb ipam: lease released", "lease", c.elect.namespace+"/"+c.elect.name)
}
