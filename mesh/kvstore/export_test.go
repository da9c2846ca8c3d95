package kvstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestMarkSyncedWritesEveryCanary: a cluster config announcing syncedCanaries obliges
// the writer to write a canary for every prefix Cilium's kvstoremesh waits for, or the
// remote cluster never becomes ready.
func TestMarkSyncedWritesEveryCanary(t *testing.T) {
	on := true
	for _, tc := range []struct {
		name string
		caps Capabilities
		want []string
	}{
		{"no canaries announced", Capabilities{}, []string{ServicesPrefix}},
		{"canaries", Capabilities{SyncedCanaries: true}, []string{IdentitiesPrefix, IPPrefix, NodesPrefix, ServicesPrefix}},
		{"canaries and service exports", Capabilities{SyncedCanaries: true, ServiceExportsEnabled: &on},
			[]string{IdentitiesPrefix, IPPrefix, NodesPrefix, ServiceExportsPrefix, ServicesPrefix}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			_, cli := plainEtcd(t, t.TempDir())
			exp, err := NewExporter(cli, tokyo, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := exp.PutClusterConfig(ctx, tc.caps); err != nil {
				t.Fatal(err)
			}
			if _, err := exp.Sync(ctx, nil); err != nil {
				t.Fatal(err)
			}
			r, err := cli.Get(ctx, SyncedPrefix+"/tokyo/", clientv3.WithPrefix())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, kv := range r.Kvs {
				got = append(got, string(kv.Key)[len(SyncedPrefix+"/tokyo/"):])
				if _, err := time.Parse(time.RFC3339, string(kv.Value)); err != nil {
					t.Errorf("canary %s = %q, want an RFC 3339 time", kv.Key, kv.Value)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("canaries %v, want %v", got, tc.want)
			}
		})
	}
}

// TestKeepAlive: the heartbeat is written at once and then every interval, and KeepAlive
// returns nil when its context ends; an interval remote clients would time out on is
// refused.
func TestKeepAlive(t *testing.T) {
	_, cli := plainEtcd(t, t.TempDir())
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- exp.KeepAlive(ctx, 20*time.Millisecond) }()
	revs := map[int64]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(revs) < 3 && time.Now().Before(deadline) {
		r, err := cli.Get(t.Context(), HeartbeatKey)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Kvs) == 1 {
			revs[r.Kvs[0].ModRevision] = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(revs) < 3 {
		t.Fatalf("heartbeat written %d times", len(revs))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("KeepAlive returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("KeepAlive did not return after its context ended")
	}
	if err := exp.KeepAlive(t.Context(), 2*time.Minute); !errors.Is(err, ErrExport) {
		t.Fatalf("a 2-minute interval: %v", err)
	}
}
