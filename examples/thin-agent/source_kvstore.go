package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// kvSource imports one cluster's services from its ClusterMesh kvstore (or a
// kvstoremesh cache) with kvstore.Importer, over mutual TLS, and writes them into the
// view: as local data when the cluster is the node's own, else as remote data.
type kvSource struct {
	cfg       kvstoreConfig
	tls       *tls.Config
	local     bool
	clusterID uint32 // the local cluster's configured ID, for local backends without one
	view      *view
	log       *slog.Logger
	synced    atomic.Bool
	// importer is set once connected; metrics read its Stats.
	importer atomic.Pointer[kvstore.Importer]
}

func (s *kvSource) name() string { return "kvstore/" + s.cfg.Name }

func (s *kvSource) isSynced() bool { return s.synced.Load() }

// run connects (retrying with backoff up to 30 s until the kvstore answers) and imports
// until ctx ends. Once connected the importer itself survives etcd restarts.
func (s *kvSource) run(ctx context.Context) error {
	backoff := time.Second
	for {
		cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: s.cfg.Endpoints, TLS: s.tls, DialTimeout: 5 * time.Second})
		if err == nil {
			err = s.importFrom(ctx, cli)
			cli.Close()
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("kvstore unreachable, retrying", "cluster", s.cfg.Name, "endpoints", s.cfg.Endpoints, "in", backoff, "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (s *kvSource) importFrom(ctx context.Context, cli *clientv3.Client) error {
	im := kvstore.NewImporter(cli, s.cfg.Name, &kvstore.ImporterOptions{
		Logger:    s.log.With("cluster", s.cfg.Name),
		ClusterID: s.cfg.ID,
		OnEvent:   s.onEvent,
	})
	s.importer.Store(im)
	go func() {
		select {
		case <-im.Synced():
			s.synced.Store(true)
			s.log.Info("source synced", "source", s.name(), "services", im.Len(), "cached", im.Stats().Cached)
		case <-ctx.Done():
		}
	}()
	return im.Run(ctx)
}

func (s *kvSource) onEvent(e kvstore.Event) {
	var d *svcData
	if e.Kind == kvstore.EventUpsert {
		d = fromClusterService(e.Service, s.cfg.ID)
	}
	if s.local {
		if d != nil && d.backends != nil {
			for i := range d.backends {
				if d.backends[i].b.ClusterID == 0 {
					d.backends[i].b.ClusterID = s.clusterID
				}
			}
		}
		s.view.setLocal(e.Name, d)
		return
	}
	s.view.setRemote(s.cfg.Name, e.Name, d)
}
