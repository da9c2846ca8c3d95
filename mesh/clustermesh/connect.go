package clustermesh

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"

	"helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/internal/apply"
	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
)

// member is Connect's working state for one target.
type member struct {
	t        Target
	kube     kubernetes.Interface
	chart    *chart.Chart
	deployed map[string]any // values of the last release revision, nil if none
	ca       *CA            // the cluster's CA after assignment
	hasCA    bool           // the cluster already had a cilium-ca Secret
	certs    map[string]*corev1.Secret
	st       ServiceType
	enable   map[string]any // EnableValues + caValues
	svc      *corev1.Service
	access   *Access
	report   ClusterReport
}

// Connect enables the clustermesh-apiserver in every target and connects them under
// o.Topology. It is idempotent: a second run with the same inputs writes nothing (Helm
// releases report "unchanged", the Secrets are re-applied identically). Each step runs
// for all clusters before the next step starts (see Step), so a run cut off by an error
// stops before any cluster is connected when the problem shows up early, and a run cut
// off later converges when run again: a Helm release left pending by the interruption
// is marked failed and upgraded. Do not run two Connects on the same clusters at once.
//
// The targets are the whole mesh: each cluster's clustermesh.config.clusters is set to
// its peers among the targets (plus any the caller's own Values list).
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
// certificates steps of Connect (same CA handling, same idempotence) and keeps the peers
// a release already has. One target is enough. A Service whose access information is
// not there yet (e.g. a LoadBalancer without ingress) is logged, not an error; Connect
// needs it. o.Topology is ignored.
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
	progress := func(m *member, s Step, detail string) {
		log.Info("clustermesh "+string(s), "cluster", m.t.Cluster.Name, "detail", detail)
		if o.Progress != nil {
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

	// Read everything first: no cluster is written before every cluster was read.
	for _, m := range ms {
		progress(m, StepRead, "release, CA and certificates")
		if err := m.read(ctx, o, en); err != nil {
			return nil, err
		}
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
		m.enable = mergeHelmValues(ev, caValues(m.ca))
	}

	helmOpts := func(m *member) *helmsdk.InstallOptions {
		return &helmsdk.InstallOptions{ReleaseName: m.t.release(), Namespace: m.t.namespace(),
			Timeout: o.HelmTimeout, RecoverPending: true, Logger: log}
	}
	for _, m := range ms {
		// Keep whatever peers the release already has, so enabling never disconnects.
		vals := mergeHelmValues(m.t.Values, m.enable)
		if cfg, ok := valueAt(m.deployed, "clustermesh", "config"); ok {
			vals = mergeHelmValues(vals, map[string]any{"clustermesh": map[string]any{"config": cfg}})
		}
		progress(m, StepEnable, fmt.Sprintf("service type %s", m.st))
		res, err := helmsdk.InstallOrUpgrade(ctx, m.t.Config, m.chart, vals, helmOpts(m))
		if err != nil {
			return nil, fmt.Errorf("cluster %q: enable: %w", m.t.Cluster.Name, err)
		}
		if res.RecoveredRevision != 0 {
			log.Warn("clustermesh: took over an interrupted Helm operation", "cluster", m.t.Cluster.Name, "revision", res.RecoveredRevision)
		}
		m.report.Enable = HelmAction(res.Action)
	}
	for _, m := range ms {
		progress(m, StepDiscover, "clustermesh-apiserver Service")
		svc, a, err := discover(ctx, m.kube, m.t)
		if err != nil && (connect || svc == nil) {
			return nil, err
		}
		m.svc, m.access, m.report.Access = svc, a, a
		if err != nil {
			log.Warn("clustermesh: peers cannot reach this cluster yet", "cluster", m.t.Cluster.Name, "reason", err.Error())
			continue
		}
		for _, w := range a.Warnings {
			log.Warn("clustermesh: "+w, "cluster", m.t.Cluster.Name)
		}
	}
	for _, m := range ms {
		progress(m, StepCertificates, "server, admin, remote and local certificates")
		if err := m.applyCerts(ctx, ms, o, en); err != nil {
			return nil, err
		}
	}
	if connect {
		if err := connectStep(ctx, ms, o.Topology, helmOpts, progress); err != nil {
			return nil, err
		}
	}
	rep := &ConnectReport{}
	for _, m := range ms {
		rep.Clusters = append(rep.Clusters, m.report)
	}
	return rep, nil
}

// connectStep sets each member's clustermesh.config to its peers under topology.
func connectStep(ctx context.Context, ms []*member, topology Topology, helmOpts func(*member) *helmsdk.InstallOptions, progress func(*member, Step, string)) error {
	links := topology.Links(len(ms))
	for i, m := range ms {
		peers := map[string]*Access{}
		for _, j := range links[i] {
			peers[ms[j].t.Cluster.Name] = ms[j].access
			m.report.Peers = append(m.report.Peers, ms[j].t.Cluster.Name)
		}
		slices.Sort(m.report.Peers)
		cv, err := ConnectValues(m.chart.Metadata.Version, peers)
		if err != nil {
			return fmt.Errorf("cluster %q: %w", m.t.Cluster.Name, err)
		}
		// The caller's own peers stay; ours are merged over them.
		vals := mergeHelmValues(m.t.Values, m.enable, cv)
		progress(m, StepConnect, fmt.Sprintf("peers %v", m.report.Peers))
		res, err := helmsdk.InstallOrUpgrade(ctx, m.t.Config, m.chart, vals, helmOpts(m))
		if err != nil {
			return fmt.Errorf("cluster %q: connect: %w", m.t.Cluster.Name, err)
		}
		m.report.Connect = HelmAction(res.Action)
	}
	return nil
}

// read reads the release values, the CA and the certificates.
func (m *member) read(ctx context.Context, o *ConnectOptions, en EnableOptions) error {
	name := m.t.Cluster.Name
	var err error
	if m.kube, err = m.t.kube(); err != nil {
		return err
	}
	vals, _, _, found, err := helmsdk.DeployedValues(m.t.Config, m.t.namespace(), m.t.release())
	if err != nil {
		return fmt.Errorf("cluster %q: %w", name, err)
	}
	if found {
		m.deployed = vals
		if v, ok := valueAt(vals, "clustermesh", "maxConnectedClusters"); ok && fmt.Sprint(v) != fmt.Sprint(en.MaxConnectedClusters) {
			return fmt.Errorf("%w: cluster %q is deployed with clustermesh.maxConnectedClusters %v, the mesh uses %d (it cannot change on a running cluster)",
				ErrPreflight, name, v, en.MaxConnectedClusters)
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
		if v, ok := valueAt(mergeHelmValues(m.deployed, m.t.Values), "clustermesh", "apiserver", "service", "type"); ok {
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
