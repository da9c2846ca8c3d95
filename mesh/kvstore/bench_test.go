package kvstore

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// counter signals when an importer has reported want upserts.
type counter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *counter) on(e Event) {
	if e.Kind == EventUpsert && c.n.Add(1) == c.want {
		close(c.done)
	}
}

// BenchmarkExport10kVisible measures the time from the start of an export of 10,000
// services by one cluster to the moment an importer, connected over mTLS to the same real
// etcd on loopback, has reported all of them: through its watch (importer running first)
// and through its initial list (importer started after the export).
func BenchmarkExport10kVisible(b *testing.B) {
	const n = listBenchServices // 1,000 under -race, where it is only a smoke test
	_, cfg, cli := startEtcd(b)
	ctx := context.Background()
	var watchTotal, listTotal time.Duration
	for i := 0; i < b.N; i++ {
		c := mesh.Cluster{Name: fmt.Sprintf("bench-%d", i), ID: 1}
		exp, err := NewExporter(cli, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		svcs := make([]*ClusterService, n)
		for j := range svcs {
			svcs[j] = service(c, j, 1)
		}
		impCli, err := Connect(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		cnt := &counter{want: n, done: make(chan struct{})}
		im := NewImporter(impCli, c.Name, &ImporterOptions{OnEvent: cnt.on})
		rctx, cancel := context.WithCancel(ctx)
		go im.Run(rctx)
		<-im.Synced()

		start := time.Now()
		if err := exp.Upsert(ctx, svcs...); err != nil {
			b.Fatal(err)
		}
		<-cnt.done
		watchTotal += time.Since(start)
		cancel()

		// A fresh importer lists the 10,000 services.
		cnt2 := &counter{want: n, done: make(chan struct{})}
		im2 := NewImporter(impCli, c.Name, &ImporterOptions{OnEvent: cnt2.on})
		rctx2, cancel2 := context.WithCancel(ctx)
		start = time.Now()
		go im2.Run(rctx2)
		<-cnt2.done
		listTotal += time.Since(start)
		cancel2()
		impCli.Close()
	}
	b.ReportMetric(watchTotal.Seconds()/float64(b.N), "s/10k-via-watch")
	b.ReportMetric(listTotal.Seconds()/float64(b.N), "s/10k-via-list")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPropagation measures, with 10,000 services imported, the time from writing one
// changed service to the importer reporting it; it reports the 50th, 99th percentile and
// maximum over b.N changes (run with -benchtime=1000x or more for a stable p99).
func BenchmarkPropagation(b *testing.B) {
	const n = listBenchServices // 1,000 under -race, where it is only a smoke test
	_, cfg, cli := startEtcd(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := mesh.Cluster{Name: "tokyo", ID: 1}
	exp, _ := NewExporter(cli, c, nil)
	svcs := make([]*ClusterService, n)
	for j := range svcs {
		svcs[j] = service(c, j, 0)
	}
	if err := exp.Upsert(ctx, svcs...); err != nil {
		b.Fatal(err)
	}
	impCli, err := Connect(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer impCli.Close()
	seen := make(chan Event, 16)
	var synced atomic.Bool
	im := NewImporter(impCli, c.Name, &ImporterOptions{OnEvent: func(e Event) {
		if synced.Load() {
			seen <- e
		}
	}})
	go im.Run(ctx)
	<-im.Synced()
	for im.Len() < n {
		time.Sleep(time.Millisecond)
	}
	synced.Store(true)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := service(c, i%n, i+1)
		start := time.Now()
		if err := exp.Upsert(ctx, s); err != nil {
			b.Fatal(err)
		}
		e := <-seen
		lat = append(lat, time.Since(start))
		if e.Name != name(s) || e.Service.Labels["version"] != fmt.Sprint(i+1) {
			b.Fatalf("got %v %v, want %v", e.Name, e.Service.Labels, name(s))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}
