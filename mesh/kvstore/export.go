package kvstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// MaxTxnOps is how many keys an Exporter writes per etcd transaction: etcd's default
// --max-txn-ops.
const MaxTxnOps = 128

// Exporter writes one cluster's services, cluster config and sync canary into a ClusterMesh
// etcd. It is safe for concurrent use.
type Exporter struct {
	cli     *clientv3.Client
	cluster mesh.Cluster
	log     *slog.Logger

	mu   sync.Mutex
	caps Capabilities // as last written by PutClusterConfig
}

// NewExporter returns an exporter for cluster c (a valid name and an ID of 1-511) writing
// through cli. A nil logger discards logs.
func NewExporter(cli *clientv3.Client, c mesh.Cluster, log *slog.Logger) (*Exporter, error) {
	if err := c.Validate(mesh.MaxConnected511); err != nil {
		return nil, fmt.Errorf("kvstore: exporter: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Exporter{cli: cli, cluster: c, log: log}, nil
}

// PutClusterConfig writes ClusterConfigKey with the cluster's ID and caps. With
// caps.SyncedCanaries set, MarkSynced (and Sync) then write every canary those
// capabilities oblige a writer to write (see MarkSynced); Cilium's kvstoremesh never
// reports the cluster ready otherwise.
func (e *Exporter) PutClusterConfig(ctx context.Context, caps Capabilities) error {
	e.mu.Lock()
	e.caps = caps
	e.mu.Unlock()
	b, err := json.Marshal(ClusterConfig{ID: e.cluster.ID, Capabilities: caps})
	if err != nil {
		return err
	}
	if _, err := e.cli.Put(ctx, ClusterConfigKey(e.cluster.Name), string(b)); err != nil {
		return fmt.Errorf("kvstore: put cluster config of %s: %w", e.cluster.Name, err)
	}
	return nil
}

// Upsert writes services, MaxTxnOps keys per transaction, up to 4 transactions at once.
// Each service's Cluster and ClusterID are set to the exporter's cluster when empty; other
// values are an error. A service given twice is written once, the last one winning. Every
// service is validated as an importer would (names, IDs, addresses, ports, size) before
// anything is written; a failed write may leave other transactions applied, and writing
// again is safe. The caller's values are not modified.
func (e *Exporter) Upsert(ctx context.Context, svcs ...*ClusterService) error {
	ops := make([]clientv3.Op, 0, len(svcs))
	index := make(map[string]int, len(svcs)) // a key twice in one etcd transaction is refused
	for _, s := range svcs {
		c := *s
		if c.Cluster == "" {
			c.Cluster = e.cluster.Name
		}
		if c.ClusterID == 0 {
			c.ClusterID = e.cluster.ID
		}
		key := ServiceKey(c.Cluster, c.Namespace, c.Name)
		if c.Cluster != e.cluster.Name || c.ClusterID != e.cluster.ID {
			return fmt.Errorf("kvstore: %w: service %s: cluster %s/%d, exporter is %s/%d", ErrExport, s, c.Cluster, c.ClusterID, e.cluster.Name, e.cluster.ID)
		}
		if err := validateForWrite(&c, e.cluster.ID); err != nil {
			return fmt.Errorf("kvstore: %w: service %s: %w", ErrExport, s, err)
		}
		b, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("kvstore: %w: service %s: %v", ErrExport, s, err)
		}
		if len(b) > DefaultMaxValueSize {
			return fmt.Errorf("kvstore: %w: service %s: %w: %d bytes", ErrExport, s, ErrTooLarge, len(b))
		}
		if i, ok := index[key]; ok {
			ops[i] = clientv3.OpPut(key, string(b))
			continue
		}
		index[key] = len(ops)
		ops = append(ops, clientv3.OpPut(key, string(b)))
	}
	return e.commit(ctx, ops)
}

// Delete removes the named services, MaxTxnOps per transaction. Missing keys are not an
// error.
func (e *Exporter) Delete(ctx context.Context, names ...types.NamespacedName) error {
	ops := make([]clientv3.Op, 0, len(names))
	seen := make(map[types.NamespacedName]bool, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			ops = append(ops, clientv3.OpDelete(ServiceKey(e.cluster.Name, n.Namespace, n.Name)))
		}
	}
	return e.commit(ctx, ops)
}

// MarkSynced writes the sync canaries, each with the current time in RFC 3339 as Cilium
// writes them: call it once the initial set of services is written. It always writes the
// services canary (ServicesSyncedKey); when the cluster config announces syncedCanaries it
// also writes those of NodesPrefix, IdentitiesPrefix and IPPrefix (ciliumkit exports no
// nodes, identities or IPs: those sets are complete while empty), and of
// ServiceExportsPrefix when ServiceExportsEnabled is true, in one transaction.
func (e *Exporter) MarkSynced(ctx context.Context) error {
	now := time.Now().UTC().Format(time.RFC3339)
	ops := []clientv3.Op{clientv3.OpPut(ServicesSyncedKey(e.cluster.Name), now)}
	for _, p := range e.canaryPrefixes() {
		ops = append(ops, clientv3.OpPut(SyncedKey(e.cluster.Name, p), now))
	}
	if _, err := e.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
		return fmt.Errorf("kvstore: put %d sync canaries of %s: %w", len(ops), e.cluster.Name, err)
	}
	return nil
}

// canaryPrefixes returns the prefixes other than services whose canary the announced
// capabilities require.
func (e *Exporter) canaryPrefixes() []string {
	e.mu.Lock()
	caps := e.caps
	e.mu.Unlock()
	if !caps.SyncedCanaries {
		return nil
	}
	ps := []string{NodesPrefix, IdentitiesPrefix, IPPrefix}
	if caps.ServiceExportsEnabled != nil && *caps.ServiceExportsEnabled {
		ps = append(ps, ServiceExportsPrefix)
	}
	return ps
}

// Heartbeat writes HeartbeatKey once with the current time in RFC 3339. Cilium's remote
// clients (agents, kvstoremesh) drop a connection whose heartbeat has not changed for two
// minutes, so an exporter that owns its kvstore runs KeepAlive instead.
func (e *Exporter) Heartbeat(ctx context.Context) error {
	if _, err := e.cli.Put(ctx, HeartbeatKey, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("kvstore: put heartbeat: %w", err)
	}
	return nil
}

// KeepAlive writes the heartbeat at once and then every interval until ctx ends, and
// returns nil then; 0 means HeartbeatInterval (one minute, as Cilium), and interval must
// be below two minutes or remote clients drop the connection between writes. A failed
// write is logged and retried at the next tick; the first one is returned as an error
// only when ctx has not ended.
func (e *Exporter) KeepAlive(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = HeartbeatInterval
	}
	if interval >= 2*HeartbeatInterval {
		return fmt.Errorf("kvstore: %w: heartbeat interval %s, remote clients give up after %s", ErrExport, interval, 2*HeartbeatInterval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := e.Heartbeat(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			e.log.Warn("kvstore: heartbeat not written, retrying", "cluster", e.cluster.Name, "error", err, "in", interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync makes the exported set exactly svcs: it writes them all, deletes the cluster's
// other service keys (left over from before a restart, say), then writes the sync canary.
// It returns how many stale keys it deleted.
func (e *Exporter) Sync(ctx context.Context, svcs []*ClusterService) (deleted int, err error) {
	r, err := e.cli.Get(ctx, ClusterServicesPrefix(e.cluster.Name), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, fmt.Errorf("kvstore: list services of %s: %w", e.cluster.Name, err)
	}
	if err := e.Upsert(ctx, svcs...); err != nil {
		return 0, err
	}
	keep := make(map[string]bool, len(svcs))
	for _, s := range svcs {
		keep[ServiceKey(e.cluster.Name, s.Namespace, s.Name)] = true
	}
	var ops []clientv3.Op
	for _, kv := range r.Kvs {
		if !keep[string(kv.Key)] {
			ops = append(ops, clientv3.OpDelete(string(kv.Key)))
		}
	}
	if err := e.commit(ctx, ops); err != nil {
		return 0, err
	}
	return len(ops), e.MarkSynced(ctx)
}

func (e *Exporter) commit(ctx context.Context, ops []clientv3.Op) error {
	var batches [][]clientv3.Op
	for len(ops) > 0 {
		n := min(len(ops), MaxTxnOps)
		batches = append(batches, ops[:n])
		ops = ops[n:]
	}
	// Up to commitParallelism transactions in flight: etcd commits concurrent requests in
	// one disk sync. Keys are unique across batches, so their order does not matter.
	errs := make([]error, len(batches))
	sem := make(chan struct{}, commitParallelism)
	var wg sync.WaitGroup
	for i, b := range batches {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := e.cli.Txn(ctx).Then(b...).Commit(); err != nil {
				errs[i] = fmt.Errorf("kvstore: write %d keys of cluster %s: %w", len(b), e.cluster.Name, err)
				return
			}
			e.log.Debug("kvstore: wrote keys", "cluster", e.cluster.Name, "count", len(b))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// commitParallelism is how many transactions an Exporter keeps in flight.
const commitParallelism = 4
