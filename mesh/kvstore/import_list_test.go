package kvstore

import (
	"context"
	"errors"
	"testing"
)

// TestImporterListCutShortKeepsHeld: a list that ends early (its context cancelled while
// pages are on their way) returns an error and drops nothing it holds, rather than
// taking the keys it did not get to for deleted ones.
func TestImporterListCutShortKeepsHeld(t *testing.T) {
	ctx := t.Context()
	_, cli := plainEtcd(t, t.TempDir())
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []*ClusterService
	for i := range 40 {
		all = append(all, service(tokyo, i, 1))
	}
	if err := exp.Upsert(ctx, all...); err != nil {
		t.Fatal(err)
	}
	im := NewImporter(cli, tokyo.Name, &ImporterOptions{PageSize: 3})
	rev := func() int64 {
		r, err := cli.Get(ctx, HeartbeatKey)
		if err != nil {
			t.Fatal(err)
		}
		return r.Header.Revision
	}
	lay := im.layoutOf(false)
	if err := im.list(ctx, lay, rev(), tokyo.ID); err != nil {
		t.Fatal(err)
	}
	if im.Len() != len(all) {
		t.Fatalf("held %d, want %d", im.Len(), len(all))
	}
	for i := range 20 {
		cctx, cancel := context.WithCancel(ctx)
		if i%2 == 0 {
			cancel() // before the first page
		} else {
			go cancel() // while pages are on their way
		}
		err := im.list(cctx, lay, rev(), tokyo.ID)
		cancel()
		if i%2 == 0 && err == nil {
			t.Fatal("a list with its context cancelled succeeded")
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("list cut short: %v, want context.Canceled", err)
		}
		if im.Len() != len(all) {
			t.Fatalf("a list cut short (%v) left %d of %d services", err, im.Len(), len(all))
		}
	}
	if st := im.Stats(); st.Deleted != 0 {
		t.Fatalf("deleted %d services", st.Deleted)
	}
}
