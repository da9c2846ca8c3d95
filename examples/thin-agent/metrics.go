package main

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metricsNamespace prefixes every metric of the agent.
const metricsNamespace = "ciliumkit_thin_agent"

// metrics are the agent's Prometheus metrics, on their own registry (plus the Go and
// process collectors).
type metrics struct {
	reg *prometheus.Registry
	// services and backends are what the maps hold after the last successful write:
	// frontends, and backends by the side of the mesh they are in (local, remote).
	services prometheus.Gauge
	backends *prometheus.GaugeVec
	// skipped counts, in the last desired set, frontends and backends left out because
	// the datapath cannot program them, by reason.
	skipped *prometheus.GaugeVec
	// syncDuration is the wall time of one datapath write; syncLatency the time from the
	// oldest change a write carries to the end of that write (debounce included).
	syncDuration, syncLatency prometheus.Histogram
	// syncs counts datapath writes by result ("ok", "error").
	syncs *prometheus.CounterVec
	// entries counts map entries written and deleted.
	entries *prometheus.CounterVec
	// sourceSynced is 1 once a source finished its initial list.
	sourceSynced *prometheus.GaugeVec
	// leaseTransitions counts L2 announcement lease acquisitions and losses (the L2
	// announcer's OnTransition; it stays 0 while none runs). The release at shutdown
	// counts as lost.
	leaseTransitions *prometheus.CounterVec
	// l2Responders is the number of addresses in the L2 responder maps (held leases'
	// addresses, per interface).
	l2Responders prometheus.Gauge
}

func newMetrics(sources []source) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m.services = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "services",
		Help: "Frontends programmed in the datapath maps."})
	m.backends = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "backends",
		Help: "Backends programmed in the datapath maps, by side (local or remote cluster)."}, []string{"side"})
	m.skipped = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "skipped",
		Help: "Frontends and backends of the desired set the datapath cannot program (SCTP, port 0, conflicts, a backend of a family no frontend has), by reason."}, []string{"reason"})
	m.syncDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metricsNamespace, Name: "sync_duration_seconds",
		Help: "Wall time of one datapath write.", Buckets: buckets})
	m.syncLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metricsNamespace, Name: "sync_latency_seconds",
		Help: "Time from a source change to the end of the datapath write that carries it, debounce included.", Buckets: buckets})
	m.syncs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "syncs_total",
		Help: "Datapath writes, by result (ok, error)."}, []string{"result"})
	m.entries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "map_entries_total",
		Help: "Datapath map entries changed, by operation (written, deleted)."}, []string{"op"})
	m.sourceSynced = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "source_synced",
		Help: "1 once a source finished its initial list."}, []string{"source"})
	m.leaseTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "lease_transitions_total",
		Help: "L2 announcement lease transitions, by direction (acquired, lost; the release at shutdown counts as lost)."}, []string{"direction"})
	m.l2Responders = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "l2_responders",
		Help: "Addresses (per interface) the datapath answers ARP (IPv4) and neighbour solicitations (IPv6) for: those of the L2 leases this node holds."})
	m.syncs.WithLabelValues("ok")
	m.syncs.WithLabelValues("error")
	m.leaseTransitions.WithLabelValues("acquired")
	m.leaseTransitions.WithLabelValues("lost")
	for _, side := range []string{"local", "remote"} {
		m.backends.WithLabelValues(side)
	}
	m.reg.MustRegister(m.services, m.backends, m.skipped, m.syncDuration, m.syncLatency, m.syncs, m.entries,
		m.sourceSynced, m.leaseTransitions, m.l2Responders, kvstoreCollector{sources: sources},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, s := range sources {
		m.sourceSynced.WithLabelValues(s.name())
	}
	return m
}

// kvstoreCollector exports the kvstore importers' counters at scrape time.
type kvstoreCollector struct{ sources []source }

var (
	kvRejectedDesc = prometheus.NewDesc(metricsNamespace+"_kvstore_rejected_total",
		"kvstore values refused (not imported), by cluster and reason (kvstore.Reason).", []string{"cluster", "reason"}, nil)
	kvNotesDesc = prometheus.NewDesc(metricsNamespace+"_kvstore_notes_total",
		"kvstore values accepted with something ciliumkit would not write, by cluster and note.", []string{"cluster", "note"}, nil)
	kvAcceptedDesc = prometheus.NewDesc(metricsNamespace+"_kvstore_accepted_total",
		"kvstore service values accepted, by cluster.", []string{"cluster"}, nil)
	kvListsDesc = prometheus.NewDesc(metricsNamespace+"_kvstore_lists_total",
		"Full lists of a kvstore (the first and one after each error), by cluster.", []string{"cluster"}, nil)
)

func (c kvstoreCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- kvRejectedDesc
	ch <- kvNotesDesc
	ch <- kvAcceptedDesc
	ch <- kvListsDesc
}

func (c kvstoreCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sources {
		kv, ok := s.(*kvSource)
		if !ok {
			continue
		}
		im := kv.importer.Load()
		if im == nil {
			continue
		}
		st := im.Stats()
		name := kv.cfg.Name
		for _, r := range slices.Sorted(maps.Keys(st.Rejected)) {
			ch <- prometheus.MustNewConstMetric(kvRejectedDesc, prometheus.CounterValue, float64(st.Rejected[r]), name, r)
		}
		for _, n := range slices.Sorted(maps.Keys(st.Notes)) {
			ch <- prometheus.MustNewConstMetric(kvNotesDesc, prometheus.CounterValue, float64(st.Notes[n]), name, n)
		}
		ch <- prometheus.MustNewConstMetric(kvAcceptedDesc, prometheus.CounterValue, float64(st.Accepted), name)
		ch <- prometheus.MustNewConstMetric(kvListsDesc, prometheus.CounterValue, float64(st.Lists), name)
	}
}
