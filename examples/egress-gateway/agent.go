package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"github.com/cilium/ebpf/link"
	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/egress/resolve"
)

// config is one node agent's setup.
type config struct {
	// Node is the node's name (its Node object and heartbeat Lease).
	Node string
	// NodeIP is the node's IPv4 InternalIP, the gateway IP other nodes steer to.
	NodeIP netip.Addr
	// PodInterfaces are the host-side interfaces pod traffic enters the node by; the
	// steering program is attached to their TC ingress.
	PodInterfaces []string
	// Uplink, when set, makes the node able to act as a gateway: the SNAT programs are
	// attached to its TC egress and ingress.
	Uplink string
	// LeaseNamespace, when set, makes the agent renew its heartbeat Lease there and
	// judge gateways by theirs too.
	LeaseNamespace string
	// LeaseDuration is the heartbeat Lease's duration; zero means
	// resolve.DefaultLeaseDuration.
	LeaseDuration time.Duration
	// PinDir, when set, pins maps and links there: the programs keep working after the
	// agent stops.
	PinDir string
	// MaxEgressConnections sizes the connection table; zero means the datapath default.
	MaxEgressConnections uint32
	// PruneIdle, when > 0, prunes connection table entries idle that long, checked every
	// PruneIdle/4.
	PruneIdle time.Duration
}

// agent is a running node agent: the datapath, its links and the control loops.
type agent struct {
	cfg    config
	log    *slog.Logger
	dp     *datapath.Datapath
	links  []link.Link
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
	// mu serialises the use of dp (its methods are not safe for concurrent use).
	mu sync.Mutex
}

// newAgent loads the datapath and attaches the programs. It must run in the node's
// network namespace (interface names and the attachment are per namespace).
func newAgent(cfg config, log *slog.Logger) (*agent, error) {
	// The agent does no load balancing: the service maps are kept small.
	dp, err := datapath.Load(&datapath.Options{PinDir: cfg.PinDir, MaxEgressConnections: cfg.MaxEgressConnections,
		MaglevTableSize: 251, MaxServices: 16, MaxBackends: 16})
	if err != nil {
		return nil, err
	}
	a := &agent{cfg: cfg, log: log, dp: dp}
	if err := dp.SetEgressNodeIP(cfg.NodeIP); err != nil {
		a.close()
		return nil, err
	}
	attach := func(name string, hooks ...datapath.Hook) error {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return fmt.Errorf("interface %q: %w", name, err)
		}
		for _, h := range hooks {
			l, err := dp.Attach(h, ifi.Index)
			if err != nil {
				return fmt.Errorf("attach %v to %s: %w", h, name, err)
			}
			a.links = append(a.links, l)
		}
		return nil
	}
	for _, p := range cfg.PodInterfaces {
		if err := attach(p, datapath.HookEgressSteer); err != nil {
			a.close()
			return nil, err
		}
	}
	if cfg.Uplink != "" {
		if err := attach(cfg.Uplink, datapath.HookEgressSNAT, datapath.HookEgressRevSNAT); err != nil {
			a.close()
			return nil, err
		}
	}
	return a, nil
}

// run starts the heartbeat (with a LeaseNamespace), the policy watch that programs the
// egress map, and the connection table pruner; they stop when ctx ends or on stop.
func (a *agent) run(ctx context.Context, kube kubernetes.Interface, cilium ciliumclient.Interface) {
	ctx, a.cancel = context.WithCancel(ctx)
	if ns := a.cfg.LeaseNamespace; ns != "" {
		a.wg.Go(func() {
			err := resolve.Heartbeat(ctx, kube, ns, a.cfg.Node, &resolve.HeartbeatOptions{Duration: a.cfg.LeaseDuration, Logger: a.log})
			if !errors.Is(err, context.Canceled) {
				a.log.Error("heartbeat stopped", "error", err)
			}
		})
	}
	a.wg.Go(func() {
		opts := &resolve.WatchOptions{Options: resolve.Options{LeaseNamespace: a.cfg.LeaseNamespace}, Logger: a.log}
		err := resolve.Watch(ctx, kube, cilium, opts, a.sync)
		if !errors.Is(err, context.Canceled) {
			a.log.Error("policy watch stopped", "error", err)
		}
	})
	if a.cfg.PruneIdle > 0 {
		a.wg.Go(func() {
			t := time.NewTicker(a.cfg.PruneIdle / 4)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					var n int
					err := a.withDatapath(func(d *datapath.Datapath) (err error) {
						n, err = d.PruneEgressConnections(a.cfg.PruneIdle)
						return err
					})
					if err != nil {
						a.log.Warn("prune egress connections", "error", err)
					} else if n > 0 {
						a.log.Info("pruned egress connections", "entries", n)
					}
				}
			}
		})
	}
}

// sync programs a new resolution into the egress map.
func (a *agent) sync(_ context.Context, res resolve.Result) error {
	var st datapath.SyncStats
	err := a.withDatapath(func(d *datapath.Datapath) (err error) {
		st, err = d.SyncEgress(res.Entries)
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range res.Policies {
		if p.Err != nil {
			a.log.Warn("egress gateway policy", "policy", p.Name, "error", p.Err)
		}
		for i, g := range p.Gateways {
			if g.Down {
				a.log.Info("egress gateway down", "policy", p.Name, "gateway", i, "node", g.Node, "reason", g.Reason)
			}
		}
	}
	a.log.Info("egress entries synced", "entries", len(res.Entries), "written", st.EgressWritten, "deleted", st.EgressDeleted)
	return nil
}

// withDatapath calls f with the datapath, serialised with the agent's own use of it.
func (a *agent) withDatapath(f func(*datapath.Datapath) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return f(a.dp)
}

// stop ends the control loops (the programs keep their last entries).
func (a *agent) stop() {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
}

// close stops the agent and releases its objects: without PinDir this detaches the
// programs; with it they stay attached, pinned.
func (a *agent) close() {
	a.closed.Do(func() {
		a.stop()
		for _, l := range a.links {
			l.Close()
		}
		a.dp.Close()
	})
}
