package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"github.com/cilium/ebpf/link"
	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/l2"
)

// source is one producer of service data for the view.
type source interface {
	// name is the source's name in logs and metrics: "kubernetes" or "kvstore/<cluster>".
	name() string
	// run feeds the view until ctx ends.
	run(ctx context.Context) error
	// isSynced reports whether the initial list is complete.
	isSynced() bool
}

// agent is a running thin agent: the datapath and its links, the sources, the view
// they feed, the syncer that writes it, the HTTP server and, with l2 enabled, the L2
// announcer (announce.go), which writes the datapath's L2 responder map through the same
// lock as the syncer.
type agent struct {
	cfg     config
	log     *slog.Logger
	dp      *datapath.Datapath
	shared  *sharedDatapath // dp, for the writers that run concurrently
	links   []link.Link
	sources []source
	view    *view
	syncer  *syncer
	m       *metrics
	ln      net.Listener
	// kube and cilium are the API clients (nil without a kubernetes section); announcer
	// is nil unless l2 is enabled.
	kube      kubernetes.Interface
	cilium    ciliumclient.Interface
	announcer *l2.Announcer
}

// newAgent builds the sources (kube and cilium are nil without a kubernetes section),
// loads the datapath and attaches it, opens the HTTP listener and, with l2 enabled,
// builds the L2 announcer. cfg must be valid. On error nothing stays attached or open
// (pinned maps stay, untouched).
func newAgent(cfg config, log *slog.Logger, kube kubernetes.Interface, cilium ciliumclient.Interface) (a *agent, err error) {
	a = &agent{cfg: cfg, log: log, view: newView(), kube: kube, cilium: cilium}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if kube != nil {
		a.sources = append(a.sources, &kubeSource{kube: kube, view: a.view, clusterID: cfg.Cluster.ID, lbFrontends: cfg.L2.Enabled, log: log})
	}
	for _, k := range cfg.Clusters {
		src := &kvSource{cfg: k, local: k.Name == cfg.Cluster.Name, clusterID: cfg.Cluster.ID, view: a.view, log: log}
		if k.TLS != nil {
			if src.tls, err = k.TLS.load(); err != nil {
				return a, fmt.Errorf("cluster %s: tls: %w", k.Name, err)
			}
		}
		a.sources = append(a.sources, src)
	}
	a.m = newMetrics(a.sources)
	if cfg.Listen != "off" {
		if a.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return a, err
		}
	}
	t0 := time.Now()
	a.dp, err = datapath.Load(&datapath.Options{PinDir: cfg.Datapath.PinDir, MaglevTableSize: cfg.Datapath.MaglevTableSize,
		MaxServices: cfg.Datapath.MaxServices, MaxBackends: cfg.Datapath.MaxBackends})
	if err != nil {
		return a, fmt.Errorf("load datapath: %w", err)
	}
	fes, _ := a.dp.Frontends()
	log.Info("datapath loaded", "pinDir", cfg.Datapath.PinDir, "frontendsInMaps", len(fes), "took", time.Since(t0).Round(time.Millisecond))
	if cfg.Datapath.PinDir != "" {
		pruned, err := a.dp.PruneLinks()
		if err != nil {
			return a, fmt.Errorf("prune dead link pins in %s: %w", cfg.Datapath.PinDir, err)
		}
		if len(pruned) > 0 {
			log.Info("removed link pins whose interface is gone", "pins", pruned)
		}
	}
	// Every target is checked before the first attach, so a bad interface attaches nothing.
	for _, f := range cfg.Datapath.Interfaces {
		if err := a.checkAttach(f); err != nil {
			return a, err
		}
	}
	for _, f := range cfg.Datapath.Interfaces {
		if err := a.attach(f); err != nil {
			return a, err
		}
	}
	a.shared = &sharedDatapath{dp: a.dp}
	a.syncer = &syncer{view: a.view, dp: a.shared, m: a.m, log: log, sources: a.sources,
		debounce: time.Duration(cfg.Sync.Debounce), timeout: time.Duration(cfg.Sync.Timeout)}
	// Last: nothing after it can fail, so the announcer's socket never leaks.
	if cfg.L2.Enabled {
		if a.announcer, err = a.newAnnouncer(kube); err != nil {
			return a, err
		}
	}
	return a, nil
}

// hooks returns the hook that takes requests on interface f and the one of the other mode.
func hooks(f ifaceConfig) (in, other datapath.Hook) {
	if f.Mode == modeTC {
		return datapath.HookTCIngress, datapath.HookXDP
	}
	return datapath.HookXDP, datapath.HookTCIngress
}

// checkAttach reports whether both hooks of f can be attached, changing nothing.
func (a *agent) checkAttach(f ifaceConfig) error {
	ifi, err := net.InterfaceByName(f.Name)
	if err != nil {
		return fmt.Errorf("interface %q: %w", f.Name, err)
	}
	in, _ := hooks(f)
	for _, h := range []datapath.Hook{in, datapath.HookTCEgress} {
		if err := a.dp.CheckAttach(h, ifi.Index); err != nil {
			return fmt.Errorf("attach %v to %s: %w", h, f.Name, err)
		}
	}
	return nil
}

// attach attaches the load balancer to one interface: XDP or TC ingress for requests,
// TC egress for the reverse NAT of replies. With pinning, a link of the other mode
// left by an earlier run is detached.
func (a *agent) attach(f ifaceConfig) error {
	ifi, err := net.InterfaceByName(f.Name)
	if err != nil {
		return fmt.Errorf("interface %q: %w", f.Name, err)
	}
	in, other := hooks(f)
	for _, h := range []datapath.Hook{in, datapath.HookTCEgress} {
		l, err := a.dp.Attach(h, ifi.Index)
		if err != nil {
			return fmt.Errorf("attach %v to %s: %w", h, f.Name, err)
		}
		a.links = append(a.links, l)
	}
	if a.cfg.Datapath.PinDir != "" {
		if err := a.dp.Detach(other, ifi.Index); err != nil && !errors.Is(err, datapath.ErrNotFound) {
			return fmt.Errorf("detach %v from %s: %w", other, f.Name, err)
		}
	}
	a.log.Info("attached", "interface", f.Name, "ifindex", ifi.Index, "hooks", []string{in.String(), datapath.HookTCEgress.String()})
	return nil
}

// run runs the sources, the syncer, the L2 announcer and the HTTP server until ctx
// ends, then stops them (the announcer clears the L2 responder map and releases its
// leases) and closes the agent. With a pin directory the programs stay attached and the maps
// keep their contents, so traffic keeps flowing while no agent runs; without one the
// programs are detached. It returns nil after a clean stop.
func (a *agent) run(ctx context.Context) error {
	defer func() {
		a.close()
		if a.cfg.Datapath.PinDir != "" {
			a.log.Info("stopped; programs stay attached and maps pinned", "pinDir", a.cfg.Datapath.PinDir)
		} else {
			a.log.Info("stopped; programs detached")
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range a.sources {
		wg.Go(func() {
			if err := s.run(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("source stopped", "source", s.name(), "error", err)
			}
		})
	}
	wg.Go(func() { a.syncer.run(ctx) })
	a.runL2(ctx, &wg)
	var srv *http.Server
	srvErr := make(chan error, 1)
	if a.ln != nil {
		srv = &http.Server{Handler: a.handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { srvErr <- srv.Serve(a.ln) }()
		a.log.Info("serving", "address", a.ln.Addr().String(), "paths", []string{"/healthz", "/readyz", "/metrics"})
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-srvErr:
		err = fmt.Errorf("http server: %w", err)
	}
	a.log.Info("stopping")
	cancel()
	wg.Wait()
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		srv.Shutdown(sctx)
		scancel()
		a.ln = nil
	}
	return err
}

// close releases the links (detaching them unless pinned), the datapath objects and the
// listener.
func (a *agent) close() {
	for _, l := range a.links {
		l.Close()
	}
	a.links = nil
	if a.dp != nil {
		a.dp.Close()
		a.dp = nil
	}
	if a.ln != nil {
		a.ln.Close()
		a.ln = nil
	}
}
