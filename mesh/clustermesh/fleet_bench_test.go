package clustermesh_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// BenchmarkConnectFleet connects N fresh clusters (real API servers, the real chart) and
// then re-runs Connect, which writes nothing. It reports the seconds of both per run; run
// it with -benchtime=1x (each iteration starts N API servers). Under -race only the
// two-cluster case runs.
func BenchmarkConnectFleet(b *testing.B) {
	for _, n := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			if raceEnabled && n > 2 {
				b.Skip("skipped under -race (smoke test: the two-cluster case runs the same code)")
			}
			var fresh, noop time.Duration
			for range b.N {
				b.StopTimer()
				names := make([]string, n)
				for i := range names {
					names[i] = fmt.Sprintf("c%d", i+1)
				}
				ts := targets(startClusters(b, names...))
				opts := &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}}
				b.StartTimer()
				start := time.Now()
				if _, err := clustermesh.Connect(context.Background(), ts, opts); err != nil {
					b.Fatal(err)
				}
				fresh += time.Since(start)
				start = time.Now()
				rep, err := clustermesh.Connect(context.Background(), ts, opts)
				if err != nil {
					b.Fatal(err)
				}
				noop += time.Since(start)
				for _, r := range rep.Clusters {
					if r.Enable != "unchanged" || r.Connect != "unchanged" {
						b.Fatalf("re-run changed %s: %+v", r.Cluster, r)
					}
				}
			}
			b.ReportMetric(fresh.Seconds()/float64(b.N), "s-fresh/op")
			b.ReportMetric(noop.Seconds()/float64(b.N), "s-noop/op")
		})
	}
}
