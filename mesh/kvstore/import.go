package kvstore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"
)

// EventKind tells an upsert from a delete.
type EventKind uint8

// Event kinds.
const (
	// EventUpsert: a service was added or changed.
	EventUpsert EventKind = iota + 1
	// EventDelete: a service was deleted, or its new value was rejected.
	EventDelete
)

// String returns "upsert" or "delete".
func (k EventKind) String() string {
	if k == EventUpsert {
		return "upsert"
	}
	return "delete"
}

// Event is one change of the imported set of services.
type Event struct {
	// Kind is EventUpsert or EventDelete.
	Kind EventKind
	// Name is the service's namespace and name.
	Name types.NamespacedName
	// Service is the new value (upsert) or the last accepted value (delete). Read only.
	Service *ClusterService
	// Revision is the etcd revision of the change: the key's modification revision for an
	// upsert, the deletion's revision, or the revision of the re-list that found the key
	// gone.
	Revision int64
}

// ImporterOptions tune an Importer. The zero value applies the defaults.
type ImporterOptions struct {
	// Logger receives warnings about rejected values and reconnects; nil discards them.
	Logger *slog.Logger
	// OnEvent, when set, is called for every change, in order, from Run's goroutine, with no
	// lock held (it may call Get, Services, Len, Stats). It must not call Run; while it runs,
	// the import waits.
	OnEvent func(Event)
	// MaxValueSize limits one value, in bytes; 0 means DefaultMaxValueSize.
	MaxValueSize int
	// RetryInterval is the pause before re-listing after an error; 0 means 1 s.
	RetryInterval time.Duration
	// ClusterID, when not 0, pins the remote cluster's ID; 0 takes it from the cluster's
	// config key when present.
	ClusterID uint32
	// PageSize is how many keys one list request returns, 1-10000; 0 means
	// DefaultPageSize. The memory one list page can take is about PageSize times the
	// kvstore's largest value (etcd's default request limit is 1.5 MiB); a list holds
	// two pages at most, the one it decodes and the next one, requested meanwhile.
	PageSize int
	// CheckInterval is how often a running watch checks that the kvstore is still the one
	// it listed (its etcd cluster ID, a revision that never goes backwards, and the
	// cluster config key unchanged); 0 means 5 s. A kvstore that came back empty at the
	// same address (an etcd on an emptyDir restarted) is then listed again.
	CheckInterval time.Duration
}

// DefaultPageSize is the default ImporterOptions.PageSize.
const DefaultPageSize = 128

// Stats counts what an Importer did. Rejected is keyed by Reason.
type Stats struct {
	// Accepted counts accepted upserts; Deleted counts delete events.
	Accepted, Deleted uint64
	// Rejected counts rejected values by reason: each rejected key revision once.
	Rejected map[string]uint64
	// Lists counts full lists: the first, and one after each error or config change.
	Lists uint64
	// Notes counts accepted values by Note: each accepted key revision once per note.
	Notes map[string]uint64
	// Resets counts kvstores found replaced under a running watch (cluster ID changed,
	// revision gone backwards, config key rewritten unseen), each followed by a list.
	Resets uint64
	// Cached reports whether the last list read a kvstoremesh cache
	// (cilium/cache/services/v1/<cluster>/) rather than the cluster's own state.
	Cached bool
}

// entry is a held service: the revision it was accepted at, a hash of its value (with
// the importer's seed), and the list that last saw it.
type entry struct {
	rev int64
	sum uint64
	gen uint64
	svc *ClusterService
}

// rejection is a rejected key: the revision counted and the list that last saw it.
type rejection struct {
	rev int64
	gen uint64
}

// Importer imports the services one remote cluster exports into a ClusterMesh etcd. It
// lists them at one revision, watches from the next, and after any error (etcd restart,
// lost leader, compaction, config change) lists again and diffs against what it holds, so
// every change is reported once and none is lost. Get, Services, Len, Stats and Synced are
// safe to call while Run runs.
type Importer struct {
	cli     *clientv3.Client
	cluster string
	opts    ImporterOptions
	log     *slog.Logger

	running  atomic.Bool
	synced   chan struct{}
	syncOnce sync.Once

	mu       sync.RWMutex
	services map[types.NamespacedName]entry
	rejected map[string]rejection // key -> revision already counted as rejected
	gen      uint64               // counts lists, to tell what the last one saw
	stats    Stats
	lastID   uint32       // the ClusterID the held services were validated against
	cached   bool         // whether the held services came from the cache layout
	reset    bool         // the kvstore was found replaced: the next list replaces by value
	seed     maphash.Seed // of the held values' hashes (entry.sum)

	statePrefix, cachePrefix string // ClusterServicesPrefix and CachedServicesPrefix of cluster

	afterList func() // test hook: runs between the list and the watch
}

// NewImporter returns an importer of cluster's services read through cli. opts may be nil.
func NewImporter(cli *clientv3.Client, cluster string, opts *ImporterOptions) *Importer {
	var o ImporterOptions
	if opts != nil {
		o = *opts
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = time.Second
	}
	if o.PageSize <= 0 || o.PageSize > 10000 {
		o.PageSize = DefaultPageSize
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = 5 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{
		cli: cli, cluster: cluster, opts: o, log: log.With("cluster", cluster),
		synced:   make(chan struct{}),
		services: map[types.NamespacedName]entry{},
		rejected: map[string]rejection{},
		stats:    Stats{Rejected: map[string]uint64{}, Notes: map[string]uint64{}},
		seed:     maphash.MakeSeed(),

		statePrefix: ClusterServicesPrefix(cluster), cachePrefix: CachedServicesPrefix(cluster),
	}
}

// Synced is closed once the first list is done and, when the cluster's config announces
// sync canaries, the services canary has been seen.
func (im *Importer) Synced() <-chan struct{} { return im.synced }

// Get returns the accepted service namespace/name. Read only.
func (im *Importer) Get(name types.NamespacedName) (*ClusterService, bool) {
	im.mu.RLock()
	defer im.mu.RUnlock()
	e, ok := im.services[name]
	return e.svc, ok
}

// Len returns how many services are held.
func (im *Importer) Len() int {
	im.mu.RLock()
	defer im.mu.RUnlock()
	return len(im.services)
}

// Services returns the held services sorted by namespace and name. Read only.
func (im *Importer) Services() []*ClusterService {
	im.mu.RLock()
	out := make([]*ClusterService, 0, len(im.services))
	for _, e := range im.services {
		out = append(out, e.svc)
	}
	im.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Stats returns a copy of the counters.
func (im *Importer) Stats() Stats {
	im.mu.RLock()
	defer im.mu.RUnlock()
	s := im.stats
	s.Rejected = maps.Clone(im.stats.Rejected)
	s.Notes = maps.Clone(im.stats.Notes)
	return s
}

// Run imports until ctx ends, then returns nil. Errors are logged and followed by a new
// list after RetryInterval. A cluster config that is invalid, or whose ID differs from
// ImporterOptions.ClusterID, is counted as rejected and stops the import, keeping what is
// held, until it is fixed. Run may be called again after it returns; it continues from
// what the importer holds. A second concurrent Run returns ErrAlreadyRunning.
func (im *Importer) Run(ctx context.Context) error {
	if !im.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer im.running.Store(false)
	for {
		err := im.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		im.log.Warn("kvstore import: listing again", "error", err, "after", im.opts.RetryInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(im.opts.RetryInterval):
		}
	}
}

var (
	errWatchClosed   = errors.New("kvstore: watch closed")
	errConfigChanged = errors.New("kvstore: cluster config changed")
	errStoreReplaced = errors.New("kvstore: the kvstore was replaced under the watch")
)

// layout is where a cluster's services are read from: its own state, or a kvstoremesh
// cache of it.
type layout struct {
	prefix, canary string
	cached         bool
}

func (im *Importer) layoutOf(cached bool) layout {
	if cached {
		return layout{CachedServicesPrefix(im.cluster), CachedServicesSyncedKey(im.cluster), true}
	}
	return layout{ClusterServicesPrefix(im.cluster), ServicesSyncedKey(im.cluster), false}
}

// checkSamples is how many held service keys each check reads back (see checkSame).
const checkSamples = 16

// snapshot is what a list saw of the kvstore, to tell later whether it is still the same.
type snapshot struct {
	etcdCluster uint64 // etcd's cluster ID
	rev         int64  // highest revision seen
	cfgRev      int64  // the cluster config key's mod revision, 0 when absent
}

// session lists once and watches until an error.
func (im *Importer) session(ctx context.Context) error {
	cfgKey := ClusterConfigKey(im.cluster)
	cresp, err := im.cli.Get(ctx, cfgKey)
	if err != nil {
		return fmt.Errorf("list: cluster config: %w", err)
	}
	rev := cresp.Header.Revision
	snap := snapshot{etcdCluster: cresp.Header.ClusterId, rev: rev}
	if len(cresp.Kvs) > 0 {
		snap.cfgRev = cresp.Kvs[0].ModRevision
	}
	wantID, canaries, cached, err := im.readConfig(cresp.Kvs)
	if err != nil {
		return err
	}
	lay := im.layoutOf(cached)
	can, err := im.cli.Get(ctx, lay.canary, clientv3.WithRev(rev))
	if err != nil {
		return fmt.Errorf("list: sync canary: %w", err)
	}
	if err := im.list(ctx, lay, rev, wantID); err != nil {
		return err
	}
	if !canaries || len(can.Kvs) > 0 {
		im.markSynced()
	}
	if im.afterList != nil {
		im.afterList()
	}

	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	from := clientv3.WithRev(rev + 1)
	svcW := im.cli.Watch(wctx, lay.prefix, clientv3.WithPrefix(), from)
	cfgW := im.cli.Watch(wctx, cfgKey, from)
	canW := im.cli.Watch(wctx, lay.canary, from)
	check := time.NewTicker(im.opts.CheckInterval)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-check.C:
			if err := im.checkSame(ctx, cfgKey, lay.prefix, &snap); err != nil {
				return err
			}
		case wr, ok := <-svcW:
			if !ok {
				return errWatchClosed
			}
			if err := wr.Err(); err != nil {
				return fmt.Errorf("watch services: %w", err)
			}
			snap.rev = max(snap.rev, wr.Header.Revision)
			im.apply(wr.Events, wantID)
		case wr, ok := <-cfgW:
			if !ok {
				return errWatchClosed
			}
			if err := wr.Err(); err != nil {
				return fmt.Errorf("watch cluster config: %w", err)
			}
			if len(wr.Events) > 0 {
				return errConfigChanged
			}
		case wr, ok := <-canW:
			if !ok {
				return errWatchClosed
			}
			if err := wr.Err(); err != nil {
				return fmt.Errorf("watch sync canary: %w", err)
			}
			snap.rev = max(snap.rev, wr.Header.Revision)
			for _, ev := range wr.Events {
				if ev.Type == mvccpb.PUT {
					im.markSynced()
				}
			}
		}
	}
}

// checkSame reads the cluster config key and returns errStoreReplaced when the kvstore
// is not the one listed: another etcd cluster ID, a revision below one already seen, a
// config key rewritten (or gone) without the watch reporting it, or a held service key
// (up to checkSamples of them, in Go's map order) whose modification revision is now
// lower than the one it was accepted at, or the same with another value, which no write
// to the same store can cause. A
// watch on a kvstore that came back empty at the same address waits silently for
// revisions it will not see again; this is what notices it, the last test also when
// the new store was refilled past the old revision before the check ran (a
// clustermesh-apiserver etcd on an emptyDir, restarted with the same cluster ID and
// refilled at once). The next list then replaces everything held.
func (im *Importer) checkSame(ctx context.Context, cfgKey, prefix string, snap *snapshot) error {
	ops := []clientv3.Op{clientv3.OpGet(cfgKey)}
	var held []entry
	im.mu.RLock()
	for nn, e := range im.services {
		if len(held) == checkSamples {
			break
		}
		ops = append(ops, clientv3.OpGet(prefix+nn.Namespace+"/"+nn.Name))
		held = append(held, e)
	}
	im.mu.RUnlock()
	tr, err := im.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	r := tr.Responses[0].GetResponseRange()
	lower := ""
	for i, e := range held {
		kvs := tr.Responses[i+1].GetResponseRange().Kvs
		if len(kvs) != 1 {
			continue // deleted since: the watch will say
		}
		if kv := kvs[0]; kv.ModRevision < e.rev || kv.ModRevision == e.rev && maphash.Bytes(im.seed, kv.Value) != e.sum {
			lower = fmt.Sprintf("%s at revision %d, accepted at %d with another value", kv.Key, kv.ModRevision, e.rev)
			break
		}
	}
	var cfgRev int64
	if len(r.Kvs) > 0 {
		cfgRev = r.Kvs[0].ModRevision
	}
	var why string
	switch {
	case tr.Header.ClusterId != snap.etcdCluster:
		why = fmt.Sprintf("etcd cluster ID %x, listed %x", tr.Header.ClusterId, snap.etcdCluster)
	case tr.Header.Revision < snap.rev:
		why = fmt.Sprintf("revision %d, already saw %d", tr.Header.Revision, snap.rev)
	case cfgRev != snap.cfgRev:
		why = fmt.Sprintf("cluster config at revision %d, listed at %d", cfgRev, snap.cfgRev)
	case lower != "":
		why = lower
	default:
		snap.rev = max(snap.rev, tr.Header.Revision)
		return nil
	}
	im.mu.Lock()
	im.stats.Resets++
	im.reset = true
	im.mu.Unlock()
	return fmt.Errorf("%w: %s", errStoreReplaced, why)
}

func (im *Importer) markSynced() { im.syncOnce.Do(func() { close(im.synced) }) }

// readConfig returns the cluster ID services must carry (0: any), whether the cluster
// writes sync canaries, and whether its data is a kvstoremesh cache. A config that fails
// validation is counted and stops the import.
func (im *Importer) readConfig(kvs []*mvccpb.KeyValue) (id uint32, canaries, cached bool, err error) {
	wantID := im.opts.ClusterID
	if len(kvs) == 0 {
		return wantID, false, false, nil
	}
	cfg, err := DecodeClusterConfig(im.cluster, kvs[0].Value)
	if err == nil && wantID != 0 && cfg.ID != 0 && cfg.ID != wantID {
		err = fmt.Errorf("key %s: %w: id %d, expected %d", kvs[0].Key, ErrClusterMismatch, cfg.ID, wantID)
	}
	if err != nil {
		im.mu.Lock()
		if im.rejected[string(kvs[0].Key)].rev != kvs[0].ModRevision {
			im.rejected[string(kvs[0].Key)] = rejection{rev: kvs[0].ModRevision}
			im.stats.Rejected[Reason(err)]++
		}
		im.mu.Unlock()
		return 0, false, false, fmt.Errorf("cluster config rejected: %w", err)
	}
	if wantID == 0 {
		wantID = cfg.ID
	}
	return wantID, cfg.Capabilities.SyncedCanaries, cfg.Capabilities.Cached, nil
}

// apply handles watch events.
func (im *Importer) apply(evs []*clientv3.Event, wantID uint32) {
	var events []Event
	im.mu.Lock()
	for _, ev := range evs {
		switch ev.Type {
		case mvccpb.PUT:
			events = im.put(events, ev.Kv, wantID, im.gen, false, false)
		case mvccpb.DELETE:
			delete(im.rejected, string(ev.Kv.Key))
			if nn, ok := im.nameOf(string(ev.Kv.Key)); ok {
				if e, held := im.services[nn]; held {
					delete(im.services, nn)
					im.stats.Deleted++
					events = im.event(events, Event{Kind: EventDelete, Name: nn, Service: e.svc, Revision: ev.Kv.ModRevision})
				}
			}
		}
	}
	im.mu.Unlock()
	im.emit(events)
}

func (im *Importer) emit(events []Event) {
	if im.opts.OnEvent == nil {
		return
	}
	for _, e := range events {
		im.opts.OnEvent(e)
	}
}
