package kvstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"reflect"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"
)

// list reads the services under lay.prefix at revision rev, PageSize keys per request
// (the requests a plain paged Get makes: one per page, none besides), and diffs them
// against the held services page by page. The next page is requested as soon as one
// arrives, so that it travels while this one is decoded: at most two pages of values are
// in memory besides what is held. What the list did not see is dropped at the end: every
// held service and rejected key it sees is stamped with the list's generation.
func (im *Importer) list(ctx context.Context, lay layout, rev int64, wantID uint32) error {
	im.mu.Lock()
	revalidate := wantID != im.lastID || lay.cached != im.cached || im.reset
	replace := im.reset
	if replace {
		clear(im.rejected)
	}
	im.gen++
	gen := im.gen
	im.mu.Unlock()

	pctx, cancel := context.WithCancel(ctx)
	pages := make(chan page)
	go im.fetchPages(pctx, lay.prefix, rev, pages)
	defer func() {
		cancel()
		for range pages { // until fetchPages has returned
		}
	}()
	var events []Event
	complete := false
	for p := range pages {
		if p.err != nil {
			return fmt.Errorf("list %s: %w", lay.prefix, p.err)
		}
		complete = p.last
		events = events[:0]
		im.mu.Lock()
		if len(im.services) == 0 && p.total > 0 {
			// A first list: room for what it will hold, without growing the map 10 times
			// over (bounded: the count comes from the remote kvstore).
			im.services = make(map[types.NamespacedName]entry, min(p.total, maxPresize))
		}
		for _, kv := range p.kvs {
			events = im.put(events, kv, wantID, gen, revalidate, replace)
		}
		im.mu.Unlock()
		im.emit(events)
	}
	if !complete { // ctx ended between two pages
		return fmt.Errorf("list %s: %w", lay.prefix, context.Cause(ctx))
	}

	events = events[:0]
	im.mu.Lock()
	im.stats.Lists++
	im.stats.Cached = lay.cached
	im.lastID, im.cached, im.reset = wantID, lay.cached, false
	for nn, e := range im.services {
		if e.gen != gen {
			delete(im.services, nn)
			im.stats.Deleted++
			events = im.event(events, Event{Kind: EventDelete, Name: nn, Service: e.svc, Revision: rev})
		}
	}
	cfgKey := ClusterConfigKey(im.cluster)
	for k, r := range im.rejected {
		if r.gen != gen && k != cfgKey {
			delete(im.rejected, k)
		}
	}
	im.mu.Unlock()
	im.emit(events)
	return nil
}

// page is one page of a list, or the error that ended it.
type page struct {
	kvs   []*mvccpb.KeyValue
	total int64 // keys in the whole range, on the first page
	last  bool  // no page follows
	err   error
}

// maxPresize bounds the room a first list makes in the map of held services.
const maxPresize = 1 << 16

// fetchPages sends the pages of the keys under prefix at revision rev, then closes out.
// It stops early after an error or when ctx ends.
func (im *Importer) fetchPages(ctx context.Context, prefix string, rev int64, out chan<- page) {
	defer close(out)
	end := clientv3.GetPrefixRangeEnd(prefix)
	from := prefix
	for {
		r, err := im.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithRev(rev),
			clientv3.WithLimit(int64(im.opts.PageSize)), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
		var p page
		if err != nil {
			p.err = err
		} else {
			p.kvs, p.last = r.Kvs, !r.More || len(r.Kvs) == 0
			if from == prefix {
				p.total = r.Count
			}
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
		if err != nil || p.last {
			return
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// nameOf returns the namespace and name of a service key of the importer's cluster, in
// either layout, as substrings of key.
func (im *Importer) nameOf(key string) (types.NamespacedName, bool) {
	ns, name, ok := splitKey(key, im.statePrefix, im.cachePrefix)
	return types.NamespacedName{Namespace: ns, Name: name}, ok
}

// event appends e to events when there is an OnEvent to give it to.
func (im *Importer) event(events []Event, e Event) []Event {
	if im.opts.OnEvent == nil {
		return events
	}
	return append(events, e)
}

// put decodes one key-value and records the outcome, stamping what it keeps with gen;
// im.mu is held. A revision already held or already rejected is skipped unless
// revalidate is set. With replace (the kvstore was replaced, so revisions say nothing), a
// held service is reported changed when its value differs, whatever the revisions.
func (im *Importer) put(events []Event, kv *mvccpb.KeyValue, wantID uint32, gen uint64, revalidate, replace bool) []Event {
	key := string(kv.Key)
	nn, nameOK := im.nameOf(key)
	held, isHeld := im.services[nn]
	if !revalidate {
		if isHeld && held.rev >= kv.ModRevision {
			held.gen = gen
			im.services[nn] = held
			return events
		}
		if r, ok := im.rejected[key]; ok && r.rev >= kv.ModRevision {
			im.rejected[key] = rejection{rev: r.rev, gen: gen}
			return events
		}
	}
	o := DecodeOptions{MaxValueSize: im.opts.MaxValueSize, ClusterID: wantID}
	var svc *ClusterService
	var notes []Note
	err := checkSize(key, kv.Value, o)
	switch {
	case err != nil:
	case nameOK:
		svc, notes, err = decodeValue(im.cluster, key, nn.Namespace, nn.Name, kv.Value, o, true)
	default:
		_, _, err = decodeService(im.cluster, key, kv.Value, o, true) // the bad-key error
	}
	if err != nil {
		reason := Reason(err)
		if im.rejected[key].rev != kv.ModRevision {
			im.stats.Rejected[reason]++
		}
		im.rejected[key] = rejection{rev: kv.ModRevision, gen: gen}
		im.log.Warn("kvstore import: value rejected", "key", key, "revision", kv.ModRevision, "reason", reason, "error", err)
		if nameOK && isHeld {
			delete(im.services, nn)
			im.stats.Deleted++
			events = im.event(events, Event{Kind: EventDelete, Name: nn, Service: held.svc, Revision: kv.ModRevision})
		}
		return events
	}
	delete(im.rejected, key)
	sum := maphash.Bytes(im.seed, kv.Value)
	if isHeld && (replace && reflect.DeepEqual(held.svc, svc) || !replace && held.rev == kv.ModRevision) {
		im.services[nn] = entry{rev: kv.ModRevision, sum: sum, gen: gen, svc: held.svc}
		return events // revalidated, unchanged
	}
	for _, n := range notes {
		im.stats.Notes[string(n)]++
	}
	if len(notes) > 0 {
		im.log.Debug("kvstore import: value accepted with notes", "key", key, "revision", kv.ModRevision, "notes", notes)
	}
	if !isHeld {
		// The service's own strings (equal to the key's parts): the key is not kept.
		nn = types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
	}
	im.services[nn] = entry{rev: kv.ModRevision, sum: sum, gen: gen, svc: svc}
	im.stats.Accepted++
	return im.event(events, Event{Kind: EventUpsert, Name: nn, Service: svc, Revision: kv.ModRevision})
}
