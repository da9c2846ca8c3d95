package kvstore

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// listAnchor is one way of reading every service of tokyo from the kvstore; it returns
// how many services it read.
type listAnchor func(ctx context.Context, cli *clientv3.Client) (int, error)

// rawGet reads the whole prefix in one Get and decodes nothing.
func rawGet(ctx context.Context, cli *clientv3.Client) (int, error) {
	r, err := cli.Get(ctx, ClusterServicesPrefix("tokyo"), clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	return len(r.Kvs), nil
}

// rawGetJSON reads the whole prefix in one Get and decodes each value with plain
// json.Unmarshal into a fresh ClusterService, keeping them all, as an importer keeps them.
func rawGetJSON(ctx context.Context, cli *clientv3.Client) (int, error) {
	r, err := cli.Get(ctx, ClusterServicesPrefix("tokyo"), clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	out := make([]*ClusterService, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		s := new(ClusterService)
		if err := json.Unmarshal(kv.Value, s); err != nil {
			return 0, err
		}
		out = append(out, s)
	}
	return len(out), nil
}

// rawPagedJSON reads the prefix in pages of DefaultPageSize at the revision of the first
// page, with the same requests an Importer makes, and decodes each value with plain
// json.Unmarshal, keeping them all.
func rawPagedJSON(ctx context.Context, cli *clientv3.Client) (int, error) {
	prefix := ClusterServicesPrefix("tokyo")
	end := clientv3.GetPrefixRangeEnd(prefix)
	from := prefix
	var out []*ClusterService
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(DefaultPageSize),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		r, err := cli.Get(ctx, from, opts...)
		if err != nil {
			return 0, err
		}
		rev = r.Header.Revision
		for _, kv := range r.Kvs {
			s := new(ClusterService)
			if err := json.Unmarshal(kv.Value, s); err != nil {
				return 0, err
			}
			out = append(out, s)
		}
		if !r.More || len(r.Kvs) == 0 {
			return len(out), nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// importerList runs a fresh Importer until its initial list is done and returns how many
// services it accepted. The watch is not started: only the list is measured.
func importerList(ctx context.Context, cli *clientv3.Client) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	im := NewImporter(cli, "tokyo", nil)
	listed := make(chan struct{})
	im.afterList = func() {
		close(listed)
		<-ctx.Done()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		im.Run(ctx)
	}()
	<-listed
	n, st := im.Len(), im.Stats()
	cancel()
	<-done
	if st.Accepted != uint64(n) || len(st.Rejected) != 0 || len(st.Notes) != 0 {
		return 0, fmt.Errorf("importer held %d services, stats %+v", n, st)
	}
	return n, nil
}

// BenchmarkImporterInitialList measures an Importer's initial list of 10,000 services
// from a real etcd (embedded, plain HTTP on loopback) against anchors reading the same
// keys from the same etcd in the same run: raw-get (one Get of the prefix),
// raw-get+json (that, plus json.Unmarshal of every value into a ClusterService),
// raw-paged+json (Gets of DefaultPageSize keys at one revision, plus json.Unmarshal).
// Each reports its wall time and the process's CPU time (etcd's included) per service.
// The interleaved sub-benchmark runs the anchors and the importer in turn in each
// iteration and reports the importer's ratios to each anchor, in wall and CPU time,
// which stay comparable when the machine's load changes during the run. The services
// are written once, outside the timer.
func BenchmarkImporterInitialList(b *testing.B) {
	et := testenv.StartEtcd(b, nil)
	ctx := context.Background()
	cli, err := Connect(ctx, Config{Endpoints: []string{et.Endpoint}})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		b.Fatal(err)
	}
	svcs := make([]*ClusterService, listBenchServices)
	for i := range svcs {
		svcs[i] = service(tokyo, i, 1)
	}
	if err := exp.Upsert(ctx, svcs...); err != nil {
		b.Fatal(err)
	}
	svcs = nil

	anchors := []struct {
		name string
		run  listAnchor
	}{
		{"raw-get", rawGet},
		{"raw-get+json", rawGetJSON},
		{"raw-paged+json", rawPagedJSON},
		{"importer", importerList},
	}
	check := func(b *testing.B, n int, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if n != listBenchServices {
			b.Fatalf("read %d services, want %d", n, listBenchServices)
		}
	}
	for _, a := range anchors {
		b.Run(a.name, func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				n, err := a.run(ctx, cli)
				check(b, n, err)
			}
			per := float64(b.N * listBenchServices)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/service")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/per, "cpu-ns/service")
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		wall := make([]time.Duration, len(anchors))
		cpu := make([]time.Duration, len(anchors))
		for i := 0; b.Loop(); i++ {
			for j := range anchors {
				k := (i + j) % len(anchors) // rotate the order, so that none always runs first
				start, startCPU := time.Now(), processCPU()
				n, err := anchors[k].run(ctx, cli)
				wall[k] += time.Since(start)
				cpu[k] += processCPU() - startCPU
				check(b, n, err)
			}
		}
		last := len(anchors) - 1
		for j, a := range anchors[:last] {
			b.ReportMetric(float64(wall[last])/float64(wall[j]), "importer/"+a.name)
			if cpu[j] > 0 {
				b.ReportMetric(float64(cpu[last])/float64(cpu[j]), "cpu-importer/"+a.name)
			}
		}
	})
}
