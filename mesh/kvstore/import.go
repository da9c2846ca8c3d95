package kvstore

import (
	"context"
	"errors"
	"fmt"
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
}

// Stats counts what an Importer did. Rejected is keyed by Reason.
type Stats struct {
	// Accepted counts accepted upserts; Deleted counts delete events.
	Accepted, Deleted uint64
	// Rejected counts rejected values by reason: each rejected key revision once.
	Rejected map[string]uint64
	// Lists counts full lists: the first, and one after each error or config change.
	Lists uint64
}

type entry struct {
	rev int64
	svc *ClusterService
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
	rejected map[string]int64 // key -> revision already counted as rejected
	stats    Stats
	lastID   uint32 // the ClusterID the held services were validated against

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
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{
		cli: cli, cluster: cluster, opts: o, log: log.With("cluster", cluster),
		synced:   make(chan struct{}),
		services: map[types.NamespacedName]entry{},
		rejected: map[string]int64{},
		stats:    Stats{Rejected: map[string]uint64{}},
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
	errWatchClosed   = errors.New("watch closed")
	errConfigChanged = errors.New("cluster config changed")
)

// session lists once and watches until an error.
func (im *Importer) session(ctx context.Context) error {
	cfgKey, canaryKey, prefix := ClusterConfigKey(im.cluster), ServicesSyncedKey(im.cluster), ClusterServicesPrefix(im.cluster)
	resp, err := im.cli.Txn(ctx).Then(
		clientv3.OpGet(cfgKey),
		clientv3.OpGet(canaryKey),
		clientv3.OpGet(prefix, clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	rev := resp.Header.Revision
	wantID, canaries, err := im.readConfig(resp.Responses[0].GetResponseRange().Kvs)
	if err != nil {
		return err
	}
	im.list(resp.Responses[2].GetResponseRange().Kvs, rev, wantID)
	if !canaries || len(resp.Responses[1].GetResponseRange().Kvs) > 0 {
		im.markSynced()
	}
	if im.afterList != nil {
		im.afterList()
	}

	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	from := clientv3.WithRev(rev + 1)
	svcW := im.cli.Watch(wctx, prefix, clientv3.WithPrefix(), from)
	cfgW := im.cli.Watch(wctx, cfgKey, from)
	canW := im.cli.Watch(wctx, canaryKey, from)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case wr, ok := <-svcW:
			if !ok {
				return errWatchClosed
			}
			if err := wr.Err(); err != nil {
				return fmt.Errorf("watch services: %w", err)
			}
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
			for _, ev := range wr.Events {
				if ev.Type == mvccpb.PUT {
					im.markSynced()
				}
			}
		}
	}
}

func (im *Importer) markSynced() { im.syncOnce.Do(func() { close(im.synced) }) }

// readConfig returns the cluster ID services must carry (0: any) and whether the cluster
// writes sync canaries. A config that fails validation is counted and stops the import.
func (im *Importer) readConfig(kvs []*mvccpb.KeyValue) (uint32, bool, error) {
	wantID := im.opts.ClusterID
	if len(kvs) == 0 {
		return wantID, false, nil
	}
	cfg, err := DecodeClusterConfig(im.cluster, kvs[0].Value)
	if err == nil && wantID != 0 && cfg.ID != 0 && cfg.ID != wantID {
		err = fmt.Errorf("key %s: %w: id %d, expected %d", kvs[0].Key, ErrClusterMismatch, cfg.ID, wantID)
	}
	if err != nil {
		im.mu.Lock()
		if im.rejected[string(kvs[0].Key)] != kvs[0].ModRevision {
			im.rejected[string(kvs[0].Key)] = kvs[0].ModRevision
			im.stats.Rejected[Reason(err)]++
		}
		im.mu.Unlock()
		return 0, false, fmt.Errorf("cluster config rejected: %w", err)
	}
	if wantID == 0 {
		wantID = cfg.ID
	}
	return wantID, cfg.Capabilities.SyncedCanaries, nil
}

// list diffs a full list at revision rev against the held services.
func (im *Importer) list(kvs []*mvccpb.KeyValue, rev int64, wantID uint32) {
	var events []Event
	im.mu.Lock()
	im.stats.Lists++
	revalidate := wantID != im.lastID
	im.lastID = wantID
	seen := make(map[types.NamespacedName]bool, len(kvs))
	keys := make(map[string]bool, len(kvs))
	for _, kv := range kvs {
		keys[string(kv.Key)] = true
		if nn, ok := im.nameOf(kv.Key); ok {
			seen[nn] = true
		}
		events = im.put(events, kv, wantID, revalidate)
	}
	for nn, e := range im.services {
		if !seen[nn] {
			delete(im.services, nn)
			im.stats.Deleted++
			events = append(events, Event{Kind: EventDelete, Name: nn, Service: e.svc, Revision: rev})
		}
	}
	cfgKey := ClusterConfigKey(im.cluster)
	for k := range im.rejected {
		if !keys[k] && k != cfgKey {
			delete(im.rejected, k)
		}
	}
	im.mu.Unlock()
	im.emit(events)
}

// apply handles watch events.
func (im *Importer) apply(evs []*clientv3.Event, wantID uint32) {
	var events []Event
	im.mu.Lock()
	for _, ev := range evs {
		switch ev.Type {
		case mvccpb.PUT:
			events = im.put(events, ev.Kv, wantID, false)
		case mvccpb.DELETE:
			delete(im.rejected, string(ev.Kv.Key))
			if nn, ok := im.nameOf(ev.Kv.Key); ok {
				if e, held := im.services[nn]; held {
					delete(im.services, nn)
					im.stats.Deleted++
					events = append(events, Event{Kind: EventDelete, Name: nn, Service: e.svc, Revision: ev.Kv.ModRevision})
				}
			}
		}
	}
	im.mu.Unlock()
	im.emit(events)
}

func (im *Importer) nameOf(key []byte) (types.NamespacedName, bool) {
	ns, name, ok := splitServiceKey(im.cluster, string(key))
	return types.NamespacedName{Namespace: ns, Name: name}, ok
}

// put decodes one key-value and records the outcome; im.mu is held. A revision already
// held or already rejected is skipped unless revalidate is set.
func (im *Importer) put(events []Event, kv *mvccpb.KeyValue, wantID uint32, revalidate bool) []Event {
	key := string(kv.Key)
	nn, nameOK := im.nameOf(kv.Key)
	held, isHeld := im.services[nn]
	if !revalidate {
		if isHeld && held.rev >= kv.ModRevision {
			return events
		}
		if r, ok := im.rejected[key]; ok && r >= kv.ModRevision {
			return events
		}
	}
	svc, err := DecodeClusterService(im.cluster, key, kv.Value, &DecodeOptions{MaxValueSize: im.opts.MaxValueSize, ClusterID: wantID})
	if err != nil {
		reason := Reason(err)
		if im.rejected[key] != kv.ModRevision {
			im.stats.Rejected[reason]++
		}
		im.rejected[key] = kv.ModRevision
		im.log.Warn("kvstore import: value rejected", "key", key, "revision", kv.ModRevision, "reason", reason, "error", err)
		if nameOK && isHeld {
			delete(im.services, nn)
			im.stats.Deleted++
			events = append(events, Event{Kind: EventDelete, Name: nn, Service: held.svc, Revision: kv.ModRevision})
		}
		return events
	}
	delete(im.rejected, key)
	if isHeld && held.rev == kv.ModRevision {
		return events // revalidated, unchanged
	}
	im.services[nn] = entry{rev: kv.ModRevision, svc: svc}
	im.stats.Accepted++
	return append(events, Event{Kind: EventUpsert, Name: nn, Service: svc, Revision: kv.ModRevision})
}

func (im *Importer) emit(events []Event) {
	if im.opts.OnEvent == nil {
		return
	}
	for _, e := range events {
		im.opts.OnEvent(e)
	}
}
