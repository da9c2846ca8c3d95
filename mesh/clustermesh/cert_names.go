package clustermesh

// Secret names and certificate common names of a ClusterMesh with the clustermesh-apiserver,
// as the Cilium chart and agent use them.
const (
	// SecretCA holds the Cilium CA: keys ca.crt and ca.key.
	SecretCA = "cilium-ca"
	// SecretServerCert is the clustermesh-apiserver's etcd serving certificate.
	SecretServerCert = "clustermesh-apiserver-server-cert"
	// SecretAdminCert is the client certificate the clustermesh-apiserver (and
	// KVStoreMesh) use towards their own etcd.
	SecretAdminCert = "clustermesh-apiserver-admin-cert"
	// SecretRemoteCert is the client certificate this cluster's agents (or KVStoreMesh)
	// present to the clustermesh-apiservers of the other clusters.
	SecretRemoteCert = "clustermesh-apiserver-remote-cert"
	// SecretLocalCert is the client certificate the agents present to their own
	// cluster's KVStoreMesh.
	SecretLocalCert = "clustermesh-apiserver-local-cert"
	// SecretClusterMesh holds the agents' etcd configuration, one key per peer cluster.
	SecretClusterMesh = "cilium-clustermesh"
	// SecretKVStoreMesh holds KVStoreMesh's etcd configuration, one key per peer cluster.
	SecretKVStoreMesh = "cilium-kvstoremesh"
	// APIServerName is the name of the clustermesh-apiserver Service and Deployment.
	APIServerName = "clustermesh-apiserver"
	// ServerCertCN is the subject CN of the clustermesh-apiserver serving certificate.
	ServerCertCN = "clustermesh-apiserver.cilium.io"
	// MeshDomain is the default clustermesh.config.domain; peers given by IP are reached
	// as <cluster>.<MeshDomain>, which the server certificate covers with a wildcard.
	MeshDomain = "mesh.cilium.io"
	// APIServerPort is the port of the clustermesh-apiserver Service.
	APIServerPort = 2379
	// DefaultNodePort is the chart's default NodePort of the clustermesh-apiserver.
	DefaultNodePort = 32379
)

// AuthMode is clustermesh.apiserver.tls.authMode: how the clustermesh-apiserver
// authorizes the remote clusters' client certificates.
type AuthMode string

// Authorization modes of the chart.
const (
	// AuthLegacy: every remote cluster uses the shared user "remote".
	AuthLegacy AuthMode = "legacy"
	// AuthMigration (the chart default): both "remote" and per-cluster users are accepted;
	// ciliumkit issues the remote certificate with CN "remote".
	AuthMigration AuthMode = "migration"
	// AuthCluster: each remote cluster has its own user "remote-<cluster>", listed from
	// the peers in clustermesh.config; the remote certificate has CN "remote-<cluster>".
	AuthCluster AuthMode = "cluster"
)

// AdminCN returns "admin-<name>", the CN of the clustermesh-apiserver's client
// certificate towards its own etcd.
func AdminCN(name string) string { return "admin-" + name }

// LocalCN returns "local-<name>", the CN of the agents' certificate towards KVStoreMesh.
func LocalCN(name string) string { return "local-" + name }

// RemoteCN returns "remote-<name>" under AuthCluster and "remote" otherwise.
func RemoteCN(name string, mode AuthMode) string {
	if mode == AuthCluster {
		return "remote-" + name
	}
	return "remote"
}
