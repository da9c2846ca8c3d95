package clustermesh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/internal/apply"
	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// member is Connect's working state for one target.
type member struct {
	t               Target
	kube            kubernetes.Interface
	chart           *chart.Chart
	deployed        map[string]any // user-supplied values of the last release revision, nil if none
	deployedVersion string         // chart version of the last revision, "" if none
	ca              *CA            // the cluster's CA after assignment
	hasCA           bool           // the cluster already had a cilium-ca Secret
	certs           map[string]*corev1.Secret
	st              ServiceType
	enable          map[string]any // EnableValues + caValues
	svc             *corev1.Service
	access          *Access
	final           map[string]any // the connect step's values
	report          ClusterReport
}

// Connect enables the clustermesh-apiserver in every target and connects them under
// o.Topology. It never changes what it does not own: each release's deployed values are
// the base, the Target's Values are merged over them and the mesh's values over those
// (see MergeValues), so encryption, IPAM and every other setting stay as they are. It
// refuses, before writing anything, to change a running cluster's identity
// (ErrIdentityChange), values that are neither the mesh's nor the caller's, or the
// chart version (ErrUnownedChange, unless allowed in o). The report lists every value
// changed; o.DryRun returns it without writing.
//
// It is idempotent: a second run with the same inputs writes nothing (Helm releases
// report "unchanged", the Secrets are not re-applied). Each step runs for all clusters
// (o.Parallel at a time) before the next step starts (see Step), so a run cut off by an
// error stops before any cluster is connected when the problem shows up early, and a run
// cut off later converges when run again: a Helm release left pending by the
// interruption is marked failed and upgraded. Do not run two Connects on the same
// clusters at once.
//
// The targets are the whole mesh: each cluster's clustermesh.config.clusters gets its
// peers among the targets, merged by name with the peers the release and the caller's
// Values already list, which stay. The list form is written for every chart (1.19 takes
// the list as well as the map; the list matches the chart's default, so Helm has nothing
// to warn about).
//
// Certificates: cilium-ca is rendered by the chart from tls.ca.cert/key (so it lives in
// the Helm release, as with chart-generated CAs); the four clustermesh-apiserver
// certificate Secrets are issued here and server-side applied with field manager
// "ciliumkit" (the chart's own certificate generation is turned off).
func Connect(ctx context.Context, targets []Target, o *ConnectOptions) (*ConnectReport, error) {
	return run(ctx, targets, o, true)
}

// Enable turns on the clustermesh-apiserver in each target without changing whom it is
// connected to, like `cilium clustermesh enable`: it runs the read, enable, discover and
// certificates steps of Connect (same values rules, same CA handling, same idempotence)
// and keeps the peers a release already has. One target is enough. A Service whose
// access information is not there yet (e.g. a LoadBalancer without ingress) is logged,
// not an error; Connect needs it. o.Topology is ignored.
func Enable(ctx context.Context, targets []Target, o *ConnectOptions) (*ConnectReport, error) {
	return run(ctx, targets, o, false)
}

// run is Connect, or Enable when connect is false.
func run(ctx context.Context, targets []Target, o *ConnectOptions, connect bool) (*ConnectReport, error) {
	if o == nil {
		o = &ConnectOptions{}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var progressMu sync.Mutex
	progress := func(m *member, s Step, detail string) {
		log.Info("clustermesh "+string(s), "cluster", m.t.Cluster.Name, "detail", detail)
		if o.Progress != nil {
			progressMu.Lock()
			defer progressMu.Unlock()
			o.Progress(Progress{Cluster: m.t.Cluster.Name, Step: s, Detail: detail})
		}
	}
	charts, err := preflight(targets, o, connect)
	if err != nil {
		return nil, err
	}
	en := o.Enable.withDefaults()
	ms := make([]*member, len(targets))
	for i, t := range targets {
		ms[i] = &member{t: t, chart: charts[i], report: ClusterReport{Cluster: t.Cluster.Name}}
	}
	par := o.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	each := func(f func(*member) error) error { return forEach(ms, par, f) }

	// Read everything first: no cluster is written before every cluster was read.
	if err := each(func(m *member) error {
		progress(m, StepRead, "release, cilium-config, CA and certificates")
		return m.read(ctx, o, en)
	}); err != nil {
		return nil, err
	}
	if err := assignCAs(ms, o, log); err != nil {
		return nil, err
	}
	for _, m := range ms {
		m.report.ServiceType, m.report.CAFingerprint = m.st, m.ca.Fingerprint()
		ev, err := EnableValues(m.t.Cluster, m.st, &en)
		if err != nil {
			return nil, err
		}
		m.enable = MergeValues(ev, caValues(m.ca))
	}

	// Work out what the run changes, and refuse what it must not change, before any write.
	if connect {
		if err := each(func(m *member) error { return m.predictAccess(ctx, en) }); err != nil {
			return nil, err
		}
	}
	links := o.Topology.Links(len(ms))
	for i, m := range ms {
		m.report.ChartVersion.Old, m.report.ChartVersion.New = m.deployedVersion, m.chart.Metadata.Version
		var final map[string]any
		if connect {
			final = m.values(true, ms, links[i])
		} else {
			final = m.values(false, nil, nil)
		}
		m.report.Changes = DiffValues(m.deployed, final, m.t.Values)
	}
	if err := checkChanges(ms, o); err != nil {
		return nil, err
	}
	if o.DryRun {
		return report(ms), nil
	}

	helmOpts := func(m *member) *helmsdk.InstallOptions {
		return &helmsdk.InstallOptions{ReleaseName: m.t.release(), Namespace: m.t.namespace(),
			Timeout: o.HelmTimeout, RecoverPending: true, Logger: log}
	}
	if err := each(func(m *member) error {
		progress(m, StepEnable, fmt.Sprintf("service type %s", m.st))
		res, err := helmsdk.InstallOrUpgrade(ctx, m.t.Config, m.chart, m.values(false, nil, nil), helmOpts(m))
		if err != nil {
			return fmt.Errorf("cluster %q: enable: %w", m.t.Cluster.Name, err)
		}
		if res.RecoveredRevision != 0 {
			log.Warn("clustermesh: took over an interrupted Helm operation", "cluster", m.t.Cluster.Name, "revision", res.RecoveredRevision)
		}
		m.report.Enable = HelmAction(res.Action)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(func(m *member) error {
		progress(m, StepDiscover, "clustermesh-apiserver Service")
		svc, a, err := discover(ctx, m.kube, m.t)
		if err != nil && (connect || svc == nil) {
			return err
		}
		m.svc, m.access, m.report.Access = svc, a, a
		if err != nil {
			log.Warn("clustermesh: peers cannot reach this cluster yet", "cluster", m.t.Cluster.Name, "reason", err.Error())
			return nil
		}
		for _, w := range a.Warnings {
			log.Warn("clustermesh: "+w, "cluster", m.t.Cluster.Name)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(func(m *member) error {
		progress(m, StepCertificates, "server, admin, remote and local certificates")
		return m.applyCerts(ctx, ms, o, en)
	}); err != nil {
		return nil, err
	}
	if !connect {
		for _, m := range ms {
			m.report.Changes = DiffValues(m.deployed, m.values(false, nil, nil), m.t.Values)
		}
		return report(ms), nil
	}
	for i, m := range ms {
		m.final = m.values(true, ms, links[i])
	}
	if err := each(func(m *member) error {
		vals := m.final
		progress(m, StepConnect, fmt.Sprintf("peers %v", m.report.Peers))
		res, err := helmsdk.InstallOrUpgrade(ctx, m.t.Config, m.chart, vals, helmOpts(m))
		if err != nil {
			return fmt.Errorf("cluster %q: connect: %w", m.t.Cluster.Name, err)
		}
		m.report.Connect = HelmAction(res.Action)
		m.report.Changes = DiffValues(m.deployed, vals, m.t.Values)
		return nil
	}); err != nil {
		return nil, err
	}
	return report(ms), nil
}

func report(ms []*member) *ConnectReport {
	rep := &ConnectReport{}
	for _, m := range ms {
		rep.Clusters = append(rep.Clusters, m.report)
	}
	return rep
}

// forEach runs f for every member, at most par at once, and returns the errors joined
// in member order.
func forEach(ms []*member, par int, f func(*member) error) error {
	errs := make([]error, len(ms))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, m := range ms {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = f(m)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// values returns the Helm values of m for a step: the deployed values, the caller's
// Values over them, the mesh's enable values over those, and with connect the peers
// under links (indexes into ms), merged by name with the peers already listed. Peers
// whose access is unknown are recorded in report.Pending and left out. It records the
// peers in m.report; it is not safe to call for one member from two goroutines.
func (m *member) values(connect bool, ms []*member, links []int) map[string]any {
	vals := MergeValues(m.deployed, m.t.Values, m.enable)
	existing := [][]any{peerEntries(valueAt(m.deployed, "clustermesh", "config", "clusters")),
		peerEntries(valueAt(m.t.Values, "clustermesh", "config", "clusters"))}
	ours := map[string]*Access{}
	if connect {
		m.report.Peers, m.report.Pending = nil, nil
		for _, j := range links {
			p := ms[j]
			m.report.Peers = append(m.report.Peers, p.t.Cluster.Name)
			if p.access == nil {
				m.report.Pending = append(m.report.Pending, p.t.Cluster.Name)
				continue
			}
			ours[p.t.Cluster.Name] = p.access
		}
		slices.Sort(m.report.Peers)
	}
	clusters := mergePeers(existing, ours)
	if len(clusters) == 0 && !connect {
		return vals // nothing to normalise; the chart default stays
	}
	cfg := map[string]any{"clusters": clusters}
	if connect {
		cfg["enabled"] = true
	}
	return MergeValues(vals, map[string]any{"clustermesh": map[string]any{"config": cfg}})
}

// read reads the release values, cilium-config, the CA and the certificates, and
// refuses a target whose identity differs from what the cluster runs with.
func (m *member) read(ctx context.Context, o *ConnectOptions, en EnableOptions) error {
	name := m.t.Cluster.Name
	var err error
	if m.kube, err = m.t.kube(); err != nil {
		return err
	}
	live, err := readLive(ctx, m.kube, m.t)
	if err != nil && !errors.Is(err, ErrTarget) {
		return fmt.Errorf("cluster %q: %w", name, err)
	}
	if live != nil {
		m.deployed, m.deployedVersion = live.Values, live.ChartVersion
		if err := checkIdentity(m.t.Cluster, en.MaxConnectedClusters, live); err != nil {
			return err
		}
	}
	secrets := m.kube.CoreV1().Secrets(m.t.namespace())
	m.certs = map[string]*corev1.Secret{}
	for _, n := range []string{SecretCA, SecretServerCert, SecretAdminCert, SecretRemoteCert, SecretLocalCert} {
		s, err := secrets.Get(ctx, n, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster %q: read Secret %s/%s: %w", name, m.t.namespace(), n, err)
		}
		m.certs[n] = s
	}
	if s := m.certs[SecretCA]; s != nil {
		ca, err := LoadCA(s.Data["ca.crt"], s.Data["ca.key"])
		if err != nil {
			return fmt.Errorf("cluster %q: Secret %s/%s: %w", name, s.Namespace, s.Name, err)
		}
		m.ca, m.hasCA = ca, true
	}
	m.st = o.Enable.ServiceType
	if m.st == "" {
		// A type set earlier (by the caller's values or an earlier run) is not a guess.
		if v, ok := valueAt(MergeValues(m.deployed, m.t.Values), "clustermesh", "apiserver", "service", "type"); ok {
			m.st, err = ParseServiceType(fmt.Sprint(v))
		} else {
			m.st, err = detectServiceType(ctx, m.kube, m.t)
		}
		if err != nil {
			return fmt.Errorf("cluster %q: %w", name, err)
		}
	}
	return nil
}

// checkIdentity refuses a target whose name, ID or maxConnectedClusters differ from a
// running cluster's. Cilium's unset identity (name "default", ID 0) may be set.
func checkIdentity(c mesh.Cluster, maxConnected int, live *LiveCluster) error {
	var errs []error
	if live.Name != "" && live.Name != mesh.DefaultClusterName && live.Name != c.Name {
		errs = append(errs, fmt.Errorf("%w: target %q, but the cluster runs as cluster.name %q", ErrIdentityChange, c.Name, live.Name))
	}
	if live.ID != 0 && live.ID != c.ID {
		errs = append(errs, fmt.Errorf("%w: cluster %q: target ID %d, but the cluster runs with cluster.id %d", ErrIdentityChange, c.Name, c.ID, live.ID))
	}
	if live.MaxConnectedClusters != maxConnected {
		errs = append(errs, fmt.Errorf("%w: cluster %q runs with clustermesh.maxConnectedClusters %d, the mesh uses %d (it cannot change on a running cluster)",
			ErrIdentityChange, c.Name, live.MaxConnectedClusters, maxConnected))
	}
	return errors.Join(errs...)
}

// checkChanges refuses changes of values nobody asked for and chart version changes,
// naming each, unless o allows them.
func checkChanges(ms []*member, o *ConnectOptions) error {
	var errs []error
	for _, m := range ms {
		if !o.AllowChartChange && m.deployedVersion != "" && m.deployedVersion != m.chart.Metadata.Version {
			errs = append(errs, fmt.Errorf("%w: cluster %q: chart %s is deployed, the target's chart is %s (set AllowChartChange to upgrade Cilium)",
				ErrUnownedChange, m.t.Cluster.Name, m.deployedVersion, m.chart.Metadata.Version))
		}
		if o.AllowOtherChanges {
			continue
		}
		for _, c := range m.report.Changes {
			if c.Owner == OwnerNone {
				errs = append(errs, fmt.Errorf("%w: cluster %q: %s", ErrUnownedChange, m.t.Cluster.Name, c))
			}
		}
	}
	return errors.Join(errs...)
}

// predictAccess finds how peers will reach m before anything is written: from its
// Service when it exists, else, for NodePort, from its nodes' InternalIPs and the
// configured nodePort. Otherwise access stays unknown until the enable step.
func (m *member) predictAccess(ctx context.Context, en EnableOptions) error {
	svc, err := m.kube.CoreV1().Services(m.t.namespace()).Get(ctx, APIServerName, metav1.GetOptions{})
	switch {
	case err == nil:
		if a, err := serviceAccess(ctx, m.kube, m.t, svc); err == nil {
			m.access = a
		}
		return nil
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("cluster %q: read Service %s/%s: %w", m.t.Cluster.Name, m.t.namespace(), APIServerName, err)
	case m.st != NodePort:
		return nil
	}
	nl, err := m.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("cluster %q: list Nodes: %w", m.t.Cluster.Name, err)
	}
	port := en.NodePort
	if v, ok := valueAt(MergeValues(m.deployed, m.t.Values, m.enable), "clustermesh", "apiserver", "service", "nodePort"); ok {
		if f, ok := normal(v).(float64); ok {
			port = int32(f)
		}
	}
	predicted := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
		Ports: []corev1.ServicePort{{Port: APIServerPort, NodePort: int32(port)}}}}
	if a, err := AccessFromService(predicted, nl.Items); err == nil {
		m.access = a
	}
	return nil
}

// assignCAs gives every member a CA and applies the mismatch policy.
func assignCAs(ms []*member, o *ConnectOptions, log *slog.Logger) error {
	fallback := o.CA
	for _, m := range ms {
		if fallback == nil && m.hasCA {
			fallback = m.ca
		}
	}
	if fallback == nil {
		ca, err := NewCA(nil)
		if err != nil {
			return err
		}
		fallback = ca
	}
	cas := map[string]*CA{}
	for _, m := range ms {
		if !m.hasCA {
			m.ca = fallback
		}
		cas[m.t.Cluster.Name] = m.ca
	}
	err := checkCAs(cas)
	if err == nil {
		return nil
	}
	if o.CAMismatch != MergeCAs {
		return err
	}
	log.Warn("clustermesh: Cilium CA certificates do not match between clusters; merging them into each trust bundle", "cas", err.Error())
	return nil
}

// discover reads the Service of t and how it is reached. When the Service exists but
// its access information does not (yet), it returns the Service and the error.
func discover(ctx context.Context, kube kubernetes.Interface, t Target) (*corev1.Service, *Access, error) {
	svc, err := kube.CoreV1().Services(t.namespace()).Get(ctx, APIServerName, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %q: read Service %s/%s: %w", t.Cluster.Name, t.namespace(), APIServerName, err)
	}
	a, err := serviceAccess(ctx, kube, t, svc)
	if err != nil {
		return svc, nil, err
	}
	return svc, a, nil
}

// applyCerts issues (or keeps) and applies the certificate Secrets of m. The trust
// bundle holds m's CA and, under MergeCAs, the CAs of every other member.
func (m *member) applyCerts(ctx context.Context, ms []*member, o *ConnectOptions, en EnableOptions) error {
	bundle := m.ca.CertPEM()
	if o.CAMismatch == MergeCAs {
		others := make([]*CA, len(ms))
		for i, p := range ms {
			others[i] = p.ca
		}
		bundle = TrustBundle(m.ca, others...)
	}
	co := &CertOptions{Namespace: m.t.namespace(), AuthMode: en.AuthMode, Validity: o.CertValidity, RenewBefore: o.CertRenewBefore}
	co.ExtraDNSNames, co.ExtraIPs = serviceSANs(m.svc)
	acs, err := CertSecrets(m.t.Cluster.Name, m.ca, bundle, m.certs, co)
	if err != nil {
		return err
	}
	for _, ac := range acs {
		prev := m.certs[*ac.Name]
		if prev != nil && bytes.Equal(prev.Data["tls.crt"], ac.Data["tls.crt"]) && bytes.Equal(prev.Data["ca.crt"], ac.Data["ca.crt"]) {
			// Applying identical data is a no-op on the server too; skip the round trip.
			if managedByUs(prev) {
				continue
			}
		}
		if _, err := apply.Secret(ctx, m.kube, ac); err != nil {
			return fmt.Errorf("cluster %q: %w", m.t.Cluster.Name, err)
		}
	}
	return nil
}

func managedByUs(s *corev1.Secret) bool {
	for _, f := range s.ManagedFields {
		if f.Manager == apply.FieldManager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

// serviceSANs are the names and addresses of svc that clients may dial: its ClusterIPs
// and LoadBalancer ingress IPs and hostnames.
func serviceSANs(svc *corev1.Service) (dns []string, ips []netip.Addr) {
	for _, s := range svc.Spec.ClusterIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			ips = append(ips, ip)
		}
	}
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(ing.IP); err == nil {
			ips = append(ips, ip)
		}
		if ing.Hostname != "" {
			dns = append(dns, ing.Hostname)
		}
	}
	return dns, ips
}
