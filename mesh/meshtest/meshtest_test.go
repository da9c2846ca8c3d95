package meshtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/meshtest"
)

// TestConnectAgainstMeshtest is what a user's test looks like: two throwaway clusters,
// Connect, then Wait once the clustermesh-apiservers are marked ready.
func TestConnectAgainstMeshtest(t *testing.T) {
	ctx := context.Background()
	chart, err := clustermesh.CiliumChart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := meshtest.Start(t, "tokyo", "hk")
	var targets []clustermesh.Target
	for _, c := range cs {
		targets = append(targets, clustermesh.Target{Cluster: c.Cluster, Config: c.Config, Chart: chart})
	}
	opts := &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}}
	if _, err := clustermesh.Connect(ctx, targets, opts); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := c.MarkAPIServerReady(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := clustermesh.Wait(wctx, targets, nil)
	if err != nil || !st.Ready() {
		t.Fatalf("mesh not ready: %v %v", err, st)
	}
	if p := st.Clusters[0].Peer("hk"); p == nil || p.KVStoreMesh == nil || p.Mutual == nil || !*p.Mutual {
		t.Fatalf("tokyo's peer hk: %+v", p)
	}
}
