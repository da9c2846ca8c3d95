package l2

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// withKlogLogger makes client-go (leader election, informers) log through l instead of
// klog's global logger, which writes to the process's stderr.
func withKlogLogger(ctx context.Context, l *slog.Logger) context.Context {
	return klog.NewContext(ctx, logr.FromSlogHandler(l.Handler()))
}

// startService starts s's election; a.mu must be held and Run running.
func (a *Announcer) startService(s *service) {
	ctx, cancel := context.WithCancel(a.electCtx)
	s.cancel, s.done = cancel, make(chan struct{})
	prev := a.stopping[s.key]
	delete(a.stopping, s.key)
	a.electors.Add(1)
	go func() {
		defer a.electors.Done()
		defer close(s.done)
		if prev != nil {
			// A previous election for the same lease may still be releasing it; starting
			// now could see that release overwrite this election's lease.
			select {
			case <-prev:
			case <-ctx.Done():
				return
			}
		}
		a.elect(ctx, s)
	}()
}

// stopService removes s from the desired set and cancels its election, which releases
// the lease if held; a.mu must be held.
func (a *Announcer) stopService(s *service) {
	delete(a.services, s.key)
	if s.cancel != nil {
		s.cancel()
		a.stopping[s.key] = s.done
	}
}

// elect competes for s's lease until ctx ends, again after every loss.
func (a *Announcer) elect(ctx context.Context, s *service) {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: a.opts.LeaseNamespace, Name: s.lease},
		Client:     a.kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: a.node},
	}
	t := a.opts.Timing
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			Name:            s.lease,
			LeaseDuration:   t.LeaseDuration,
			RenewDeadline:   t.RenewDeadline,
			RetryPeriod:     t.RetryPeriod,
			ReleaseOnCancel: true,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) { a.setLeading(s, true, lctx.Done()) },
				OnStoppedLeading: func() { a.setLeading(s, false, nil) },
			},
		})
		if err != nil {
			// Timing was validated by NewAnnouncer; nothing else can be refused.
			a.log.Error("leader election refused its configuration", "service", s.key, "lease", s.lease, "error", err)
			return
		}
		le.Run(ctx)
	}
}

// setLeading records a transition of s. OnStartedLeading runs in its own goroutine and may
// come after the election already ended: its context's done channel, closed by then
// (checked under a.mu, which the stop also takes), tells.
func (a *Announcer) setLeading(s *service, leading bool, ended <-chan struct{}) {
	a.mu.Lock()
	stale := false
	select {
	case <-ended:
		stale = true
	default:
	}
	if s.leading == leading || stale {
		a.mu.Unlock()
		return
	}
	s.leading = leading
	// Taking a.tmu before letting go of a.mu reports transitions in the order they happened.
	a.tmu.Lock()
	defer a.tmu.Unlock()
	a.mu.Unlock()
	a.poke()
	a.log.Info("L2 lease transition", "service", s.key, "lease", s.lease, "leading", leading)
	if a.opts.OnTransition != nil {
		a.opts.OnTransition(Transition{Service: s.key, Lease: s.lease, Leading: leading, Time: time.Now()})
	}
}
