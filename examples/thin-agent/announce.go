package main

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/l2"
)

// sharedDatapath serialises the writers of one Datapath, which is not safe for
// concurrent use: the syncer's Sync and the L2 announcer's SyncL2Responders.
type sharedDatapath struct {
	mu sync.Mutex
	dp *datapath.Datapath
}

// Sync calls (*datapath.Datapath).Sync under the lock.
func (s *sharedDatapath) Sync(desired []datapath.Service) (datapath.SyncStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dp.Sync(desired)
}

// SyncL2Responders calls (*datapath.Datapath).SyncL2Responders under the lock.
func (s *sharedDatapath) SyncL2Responders(rs []datapath.L2Responder) (datapath.SyncStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dp.SyncL2Responders(rs)
}

// l2Responder is the announcer's Responder: it writes the addresses whose lease this
// node holds into the datapath's L2 responder maps, where the XDP program answers ARP
// (IPv4) and neighbour solicitations (IPv6) for them.
type l2Responder struct {
	a *agent
}

func (r l2Responder) SetResponders(_ context.Context, es []l2.ResponderEntry) error {
	rs := make([]datapath.L2Responder, 0, len(es))
	for _, e := range es {
		rs = append(rs, datapath.L2Responder{IP: e.IP, Ifindex: uint32(e.Ifindex), MAC: e.MAC})
	}
	st, err := r.a.shared.SyncL2Responders(rs)
	if err != nil {
		return fmt.Errorf("write %d L2 responders: %w", len(rs), err)
	}
	r.a.m.l2Responders.Set(float64(len(rs)))
	r.a.log.Info("L2 responders synced", "answering", len(rs), "written", st.L2Written, "deleted", st.L2Deleted)
	return nil
}

// newAnnouncer builds the L2 announcer of cfg.L2 (enabled) in the agent's network
// namespace.
func (a *agent) newAnnouncer(kube kubernetes.Interface) (*l2.Announcer, error) {
	c := a.cfg.L2
	ann, err := l2.NewAnnouncer(kube, c.NodeName, l2Responder{a: a}, &l2.AnnouncerOptions{
		Timing:         c.timing(),
		LeaseNamespace: c.LeaseNamespace,
		OnTransition: func(tr l2.Transition) {
			dir := "lost"
			if tr.Leading {
				dir = "acquired"
			}
			a.m.leaseTransitions.WithLabelValues(dir).Inc() // the announcer logs the transition
		},
		Logger: a.log.With("component", "l2"),
	})
	if err != nil {
		return nil, fmt.Errorf("l2 announcer: %w", err)
	}
	return ann, nil
}

// runL2 runs the announcer and the watch that feeds it until ctx ends; the announcer
// then clears the responder map and releases its leases before runL2 returns.
func (a *agent) runL2(ctx context.Context, wg *sync.WaitGroup) {
	if a.announcer == nil {
		return
	}
	wg.Go(func() {
		if err := a.announcer.Run(ctx); err != nil {
			a.log.Error("L2 announcer stopped with an error", "error", err)
		} else {
			a.log.Info("L2 announcer stopped: responders cleared, leases released")
		}
	})
	wg.Go(func() {
		c := a.cfg.L2
		err := l2.Watch(ctx, a.kube, a.cilium, c.NodeName, c.Interfaces, a.announcer.Update, &l2.WatchOptions{Logger: a.log.With("component", "l2")})
		if err != nil && ctx.Err() == nil {
			a.log.Error("L2 watch stopped", "error", err)
		}
	})
	a.log.Info("announcing L2", "node", a.cfg.L2.NodeName, "interfaces", a.cfg.L2.Interfaces,
		"leaseNamespace", a.cfg.L2.LeaseNamespace, "timing", a.cfg.L2.timing().String())
}
