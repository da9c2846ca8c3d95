package ciliumproc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// ClusterSpec describes one cluster's clustermesh-apiserver pod.
type ClusterSpec struct {
	// Cluster is the cluster's name and ID (cluster.name, cluster.id).
	Cluster mesh.Cluster
	// Peers are the names of other clusters of the mesh this cluster connects to
	// (clustermesh.config.clusters). Each is reached at its address on the veth link
	// between the two pods, port 2379, by the name <peer>.mesh.cilium.io (host aliases).
	Peers []string
	// Enable are ciliumkit's clustermesh options (auth mode, KVStoreMesh, maxConnectedClusters);
	// nil means clustermesh.EnableValues' defaults. The service type is NodePort.
	Enable *clustermesh.EnableOptions
	// Values are Helm values merged over ciliumkit's (e.g. a different cacheTTL).
	Values map[string]any
	// ChartCerts lets the chart issue the four certificates (tls.auto.enabled with method
	// helm, signed by the mesh CA) instead of clustermesh.CertSecrets.
	ChartCerts bool
	// Kube is the API server the apiserver container (Cilium's clustermesh subcommand)
	// watches, with rights to create the chart's ServiceAccount and RBAC objects. When nil,
	// the apiserver container is not started.
	Kube *rest.Config
}

// Options configure Start.
type Options struct {
	// Dir keeps every pod's files in Dir/<cluster>; required.
	Dir string
	// CA signs every certificate of every cluster; nil means a new clustermesh.NewCA.
	CA *clustermesh.CA
	// Clusters are the pods to run. Names must be unique.
	Clusters []ClusterSpec
	// Binaries to run; nil means FindBinaries.
	Binaries *Binaries
}

// Mesh is a set of running pods that share a CA and are joined by veth links.
type Mesh struct {
	// CA signs every certificate.
	CA *clustermesh.CA
	// Binaries are the executables the pods run.
	Binaries *Binaries
	// Pods are the running pods, in the order of Options.Clusters.
	Pods []*Pod
}

// Pod returns the pod of the named cluster, or nil.
func (m *Mesh) Pod(name string) *Pod {
	for _, p := range m.Pods {
		if p.Cluster.Name == name {
			return p
		}
	}
	return nil
}

// linkSubnet is where link i gets its addresses: 10.250.i.1/24 and 10.250.i.2/24.
func linkAddr(i, side int) netip.Addr { return netip.AddrFrom4([4]byte{10, 250, byte(i), byte(side)}) }

// Start starts every pod of opts: it renders the chart for each cluster, issues the
// certificates, creates the namespaces and links, runs etcd-init and then the containers.
// Pods start in parallel. On error everything started is stopped.
func Start(ctx context.Context, opts *Options) (m *Mesh, err error) {
	if opts == nil || opts.Dir == "" {
		return nil, errors.New("ciliumproc: Options.Dir is required")
	}
	bins := opts.Binaries
	if bins == nil {
		if bins, err = FindBinaries(); err != nil {
			return nil, err
		}
	}
	ca := opts.CA
	if ca == nil {
		if ca, err = clustermesh.NewCA(nil); err != nil {
			return nil, err
		}
	}
	m = &Mesh{CA: ca, Binaries: bins}
	defer func() {
		if err != nil {
			m.Stop()
			m = nil
		}
	}()
	index := map[string]int{}
	for i := range opts.Clusters {
		s := &opts.Clusters[i]
		if _, dup := index[s.Cluster.Name]; dup {
			return m, fmt.Errorf("ciliumproc: cluster %q given twice", s.Cluster.Name)
		}
		index[s.Cluster.Name] = i
		p := &Pod{Cluster: s.Cluster, Name: "clustermesh-apiserver-" + podSuffix(), UID: newUID(),
			Dir: filepath.Join(opts.Dir, s.Cluster.Name), Addrs: map[string]netip.Addr{},
			spec: s, bins: bins, forwards: map[int]*forwarder{}}
		m.Pods = append(m.Pods, p)
		if p.ns, err = newNetns(ctx); err != nil {
			return m, fmt.Errorf("ciliumproc: pod %s: %w", s.Cluster.Name, err)
		}
	}
	// One link per connected pair, whichever side lists the other.
	peerAddrs := make([]map[string]netip.Addr, len(m.Pods)) // pod -> peer -> peer's address
	for i := range peerAddrs {
		peerAddrs[i] = map[string]netip.Addr{}
	}
	nlinks := 0
	for i := range opts.Clusters {
		for _, peer := range opts.Clusters[i].Peers {
			j, ok := index[peer]
			if !ok {
				return m, fmt.Errorf("ciliumproc: cluster %q: peer %q is not a cluster of the mesh", opts.Clusters[i].Cluster.Name, peer)
			}
			a, b := m.Pods[i], m.Pods[j]
			if _, linked := a.Addrs[b.Cluster.Name]; linked {
				continue
			}
			if nlinks > 255 {
				return m, errors.New("ciliumproc: more than 256 links")
			}
			aa, ba := linkAddr(nlinks, 1), linkAddr(nlinks, 2)
			name := fmt.Sprintf("cm%d", nlinks)
			if err := link(ctx, a.ns, b.ns, name, aa.String()+"/24", ba.String()+"/24"); err != nil {
				return m, fmt.Errorf("ciliumproc: link %s-%s: %w", a.Cluster.Name, b.Cluster.Name, err)
			}
			a.Addrs[b.Cluster.Name], b.Addrs[a.Cluster.Name] = aa, ba
			peerAddrs[i][b.Cluster.Name], peerAddrs[j][a.Cluster.Name] = ba, aa
			nlinks++
		}
	}
	errs := make([]error, len(m.Pods))
	var wg sync.WaitGroup
	for i, p := range m.Pods {
		wg.Go(func() {
			peers := map[string]netip.Addr{}
			for _, n := range p.spec.Peers {
				peers[n] = peerAddrs[i][n]
			}
			errs[i] = p.renderAndStart(ctx, ca, peers)
		})
	}
	wg.Wait()
	return m, errors.Join(errs...)
}

// renderAndStart renders the chart for the pod, takes its certificates and starts it.
func (p *Pod) renderAndStart(ctx context.Context, ca *clustermesh.CA, peers map[string]netip.Addr) error {
	c, err := loadChart()
	if err != nil {
		return err
	}
	vals, err := chartValues(p.spec, ca, c.Metadata.Version, peers)
	if err != nil {
		return err
	}
	if p.Rendered, err = render(c, vals); err != nil {
		return fmt.Errorf("ciliumproc: pod %s: %w", p.Cluster.Name, err)
	}
	if p.CertSecrets, err = certSecrets(p, ca); err != nil {
		return err
	}
	return p.start(ctx)
}

// certSecrets returns the four certificate Secrets of the pod: the chart's own with
// ChartCerts, else the ones clustermesh.CertSecrets issues for the cluster's auth mode.
func certSecrets(p *Pod, ca *clustermesh.CA) (map[string]*corev1.Secret, error) {
	names := []string{clustermesh.SecretServerCert, clustermesh.SecretAdminCert, clustermesh.SecretRemoteCert, clustermesh.SecretLocalCert}
	out := map[string]*corev1.Secret{}
	if p.spec.ChartCerts {
		// The chart issues the local certificate only with KVStoreMesh; the volumes that need
		// a missing one fail later, naming it.
		for _, n := range names {
			if s := p.Rendered.Secrets[n]; s != nil {
				out[n] = s
			}
		}
		return out, nil
	}
	co := &clustermesh.CertOptions{Namespace: clustermesh.DefaultNamespace}
	if p.spec.Enable != nil {
		co.AuthMode = p.spec.Enable.AuthMode
	}
	acs, err := clustermesh.CertSecrets(p.Cluster.Name, ca, nil, nil, co)
	if err != nil {
		return nil, fmt.Errorf("ciliumproc: pod %s: %w", p.Cluster.Name, err)
	}
	for _, ac := range acs {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: *ac.Name, Namespace: *ac.Namespace, Labels: ac.Labels}, Data: ac.Data}
		if ac.Type != nil {
			s.Type = *ac.Type
		}
		out[s.Name] = s
	}
	for _, n := range names {
		if out[n] == nil {
			return nil, fmt.Errorf("ciliumproc: pod %s: clustermesh.CertSecrets returned no %s", p.Cluster.Name, n)
		}
	}
	return out, nil
}

// Stop stops every pod. It is safe to call more than once.
func (m *Mesh) Stop() {
	var wg sync.WaitGroup
	for _, p := range m.Pods {
		wg.Go(p.Stop)
	}
	wg.Wait()
}
