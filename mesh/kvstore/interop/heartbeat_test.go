package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// Cilium 1.19's heartbeat rule for ClusterMesh clients (pkg/kvstore etcd statusChecker,
// checks every 30 s): a remote whose cilium/.heartbeat has not changed for more than
// 2*HeartbeatWriteInterval (a constant of one minute, no flag) fails the check, which with
// endpoint status checks off counts as "not able to connect to any etcd endpoints" at once:
// the connection is closed and made again (one failure counted). Observed: the drop comes
// at the first check after two minutes of silence.
const (
	// reconnectMsg is what kvstoremesh logs when it drops a remote's connection.
	reconnectMsg     = "Error observed on etcd connection, reconnecting etcd"
	heartbeatTimeout = 2 * kvstore.HeartbeatInterval
	// heartbeatHealthy is how long tokyo must stay connected with KeepAlive running.
	heartbeatHealthy = heartbeatTimeout + 30*time.Second
	// heartbeatDeadline bounds the wait for nara's drop: the timeout, up to 30 s to the next
	// check, and slack for a loaded machine.
	heartbeatDeadline = heartbeatTimeout + 2*time.Minute
)

// testHeartbeat: with the exporter's KeepAlive running (default interval, one minute)
// Cilium's kvstoremesh keeps tokyo connected beyond 2.5 minutes; nara, whose heartbeat was
// written once, is dropped (a failure counted, the connection remade) after two minutes.
func testHeartbeat(t *testing.T, f *fixture) {
	h := f.pod(hk)
	ctx, cancel := context.WithDeadline(context.Background(), f.started.Add(heartbeatDeadline))
	defer cancel()

	waitUntil(t, ctx, "kvstoremesh drops nara, whose heartbeat stopped", func() (bool, string) {
		rc, err := remoteStatus(h, nara.Name)
		return err == nil && rc != nil && rc.NumFailures >= 1, fmt.Sprintf("status %s, err %v", jsonOf(rc), err)
	})
	after := time.Since(f.started)
	t.Logf("kvstoremesh dropped nara %s after its only heartbeat", after.Round(time.Second))
	if after < heartbeatTimeout-5*time.Second {
		t.Errorf("nara dropped after %s, before the %s heartbeat timeout", after, heartbeatTimeout)
	}
	logs, _ := readFile(h.LogPath(ciliumproc.KVStoreMesh))
	if !containsLine(logs, "clusterName=nara", reconnectMsg) {
		t.Errorf("kvstoremesh log has no %q for nara:\n%s", reconnectMsg, grepLines(logs, "clusterName=nara"))
	}

	if wait := heartbeatHealthy - time.Since(f.started); wait > 0 {
		time.Sleep(wait)
	}
	logs, _ = readFile(h.LogPath(ciliumproc.KVStoreMesh))
	rc, err := remoteStatus(h, tokyo.Name)
	if err != nil {
		t.Fatal(err)
	}
	if rc == nil || rc.NumFailures != 0 || !synced(rc) {
		t.Errorf("after %s with KeepAlive, kvstoremesh reports tokyo %s; want synced, no failures",
			time.Since(f.started).Round(time.Second), jsonOf(rc))
	}
	if containsLine(logs, "clusterName=tokyo", reconnectMsg) {
		t.Errorf("kvstoremesh reconnected to tokyo:\n%s", grepLines(logs, reconnectMsg))
	}
}

// containsLine reports whether some line of s contains every one of subs.
func containsLine(s string, subs ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(l, sub)
		}
		if all {
			return true
		}
	}
	return false
}
