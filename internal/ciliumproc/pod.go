package ciliumproc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// Container names of the clustermesh-apiserver Deployment.
const (
	// EtcdInit initialises etcd's data directory, users and roles (init container).
	EtcdInit = "etcd-init"
	// Etcd is the cluster's ClusterMesh etcd.
	Etcd = "etcd"
	// APIServer is the clustermesh subcommand: it exports the cluster's Kubernetes state.
	APIServer = "apiserver"
	// KVStoreMesh mirrors the peers' state into the local etcd.
	KVStoreMesh = "kvstoremesh"
)

// Ports inside a pod, as the chart renders them by default.
const (
	// EtcdPort is etcd's client port (https, client certificates required).
	EtcdPort = 2379
	// KVStoreMeshAPIPort is the KVStoreMesh REST API (http://localhost:9889, GET /v1/cluster).
	KVStoreMeshAPIPort = 9889
	// kubePort is where a pod reaches its API server (KUBERNETES_SERVICE_PORT).
	kubePort = 443
)

// Pod is one cluster's clustermesh-apiserver pod. Its exported fields are read only.
type Pod struct {
	// Cluster is the cluster's name and ID.
	Cluster mesh.Cluster
	// Name is the pod's name, clustermesh-apiserver-<random>.
	Name string
	// UID is the pod's metadata.uid, the etcd initial cluster token.
	UID string
	// Dir holds the pod's files: logs/<container>.log, volumes/<volume>/, containers/.
	Dir string
	// Rendered is what the chart rendered for the cluster.
	Rendered *Rendered
	// CertSecrets are the certificate Secrets the pod mounts (server, admin, remote, local
	// certificates), by name: issued by clustermesh.CertSecrets, or by the chart with
	// ClusterSpec.ChartCerts.
	CertSecrets map[string]*corev1.Secret
	// Addrs maps each peer to this pod's address on the link to that peer.
	Addrs map[string]netip.Addr

	spec       *ClusterSpec
	bins       *Binaries
	ns         *netns
	kubeToken  string
	containers map[string]*container

	mu       sync.Mutex
	forwards map[int]*forwarder
	outs     []*forwarder
	stopped  bool
}

// LogPath returns the log file of the named container (it keeps every restart).
func (p *Pod) LogPath(container string) string {
	return filepath.Join(p.Dir, "logs", container+".log")
}

// LogTail returns the last n lines of the named container's log.
func (p *Pod) LogTail(container string, n int) string { return logTail(p.LogPath(container), n) }

// Containers returns the names of the containers the pod runs (init containers first).
func (p *Pod) Containers() []string {
	var out []string
	spec := &p.Rendered.Deployment.Spec.Template.Spec
	for _, l := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range l {
			if p.containers[c.Name] != nil {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// Restarts returns how often the named container exited and was started again.
func (p *Pod) Restarts(container string) int {
	c := p.containers[container]
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restarts
}

// Forward returns a host address, 127.0.0.1:PORT, that reaches port on the pod's loopback.
// One forwarder per port is kept until Stop.
func (p *Pod) Forward(port int) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return "", fmt.Errorf("ciliumproc: pod %s is stopped", p.Cluster.Name)
	}
	if f := p.forwards[port]; f != nil {
		return f.ln.Addr().String(), nil
	}
	f, err := forwardIn(p.ns, port)
	if err != nil {
		return "", fmt.Errorf("ciliumproc: pod %s: forward port %d: %w", p.Cluster.Name, port, err)
	}
	p.forwards[port] = f
	return f.ln.Addr().String(), nil
}

// EtcdEndpoint returns the https URL through which the host reaches the pod's etcd.
func (p *Pod) EtcdEndpoint() (string, error) {
	a, err := p.Forward(EtcdPort)
	if err != nil {
		return "", err
	}
	return "https://" + a, nil
}

// Port returns the container port of the named container with the given port name (e.g.
// "kvmesh-health", "kvmesh-metrics", "apiserv-health", "etcd-metrics").
func (p *Pod) Port(container, portName string) (int, error) {
	c, ok := p.Rendered.container(container)
	if !ok {
		return 0, fmt.Errorf("ciliumproc: pod %s renders no container %s", p.Cluster.Name, container)
	}
	for _, cp := range c.Ports {
		if cp.Name == portName {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("ciliumproc: container %s of pod %s has no port %q", container, p.Cluster.Name, portName)
}

// URL returns an http URL of the host that reaches path on the named port of container.
func (p *Pod) URL(container, portName, path string) (string, error) {
	port, err := p.Port(container, portName)
	if err != nil {
		return "", err
	}
	a, err := p.Forward(port)
	if err != nil {
		return "", err
	}
	return "http://" + a + path, nil
}

// ReadinessURL returns the host URL of the container's readinessProbe (httpGet), e.g.
// /readyz on kvmesh-health for kvstoremesh.
func (p *Pod) ReadinessURL(container string) (string, error) {
	c, ok := p.Rendered.container(container)
	if !ok || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil {
		return "", fmt.Errorf("ciliumproc: container %s of pod %s has no httpGet readinessProbe", container, p.Cluster.Name)
	}
	g := c.ReadinessProbe.HTTPGet
	if g.Port.IntVal != 0 {
		a, err := p.Forward(int(g.Port.IntVal))
		if err != nil {
			return "", err
		}
		return "http://" + a + g.Path, nil
	}
	return p.URL(container, g.Port.StrVal, g.Path)
}

// ClientTLS returns a client TLS configuration from the pod's certificate Secret secret
// (clustermesh.SecretAdminCert, SecretLocalCert or SecretRemoteCert): it trusts the Secret's
// ca.crt and presents its tls.crt. The server name is left to the dialled address (the
// server certificate covers 127.0.0.1).
func (p *Pod) ClientTLS(secret string) (*tls.Config, error) {
	s := p.CertSecrets[secret]
	if s == nil {
		return nil, fmt.Errorf("ciliumproc: pod %s has no Secret %s", p.Cluster.Name, secret)
	}
	return TLSFromSecret(s)
}

// TLSFromSecret returns a client TLS configuration that trusts the ca.crt of the
// kubernetes.io/tls Secret s and presents its tls.crt and tls.key.
func TLSFromSecret(s *corev1.Secret) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.Data["ca.crt"]) {
		return nil, fmt.Errorf("ciliumproc: Secret %s: no CA certificate in ca.crt", s.Name)
	}
	pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
	if err != nil {
		return nil, fmt.Errorf("ciliumproc: Secret %s: %w", s.Name, err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// EtcdClient returns an etcd client of the pod's etcd that authenticates with the
// certificate Secret secret (see ClientTLS). The client logs nothing; the caller closes it.
func (p *Pod) EtcdClient(ctx context.Context, secret string) (*clientv3.Client, error) {
	tc, err := p.ClientTLS(secret)
	if err != nil {
		return nil, err
	}
	ep, err := p.EtcdEndpoint()
	if err != nil {
		return nil, err
	}
	return clientv3.New(clientv3.Config{Endpoints: []string{ep}, TLS: tc, DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(), Context: ctx})
}

// Stop stops every container (process group), closes the forwarders and releases the
// network namespace. It is safe to call more than once.
func (p *Pod) Stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range p.containers {
		wg.Go(c.stop)
	}
	wg.Wait()
	for _, f := range p.forwards {
		f.close()
	}
	for _, f := range p.outs {
		f.close()
	}
	if p.ns != nil {
		p.ns.close()
	}
}
