package clustermesh

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Connectivity is what the agents report about their connections to a peer.
type Connectivity string

// Connectivity values.
const (
	// ConnectivityUnknown: the agents' view could not be read. Cilium agents report
	// remote-cluster connectivity only through their own API (cilium-dbg status), which
	// ciliumkit does not reach through the Kubernetes API; Status never guesses it.
	ConnectivityUnknown Connectivity = "unknown"
)

// DeploymentStatus is the readiness of the clustermesh-apiserver Deployment.
type DeploymentStatus struct {
	// Found is false when the Deployment does not exist.
	Found bool
	// Desired is spec.replicas (default 1).
	Desired int32
	// Ready, Updated and Available are the replica counts from the Deployment status.
	Ready, Updated, Available int32
	// IsReady: the Deployment's latest generation was observed and all desired replicas
	// are updated, ready and available.
	IsReady bool
}

// PeerStatus is one peer configured in a cluster.
type PeerStatus struct {
	// Name is the peer cluster's name.
	Name string
	// Agent is the peer's entry in cilium-clustermesh (what the agents dial; with
	// KVStoreMesh that is the local clustermesh-apiserver).
	Agent *PeerConfig
	// KVStoreMesh is the peer's entry in cilium-kvstoremesh (the remote endpoints
	// KVStoreMesh dials), or nil without KVStoreMesh.
	KVStoreMesh *PeerConfig
	// Mutual reports whether the peer also has this cluster configured; nil when the
	// peer was not among the clusters inspected (see Check).
	Mutual *bool
	// Connectivity is the agents' report for this peer; always ConnectivityUnknown today.
	Connectivity Connectivity
}

// ClusterStatus is the ClusterMesh state of one cluster, read from its API server.
type ClusterStatus struct {
	// Cluster is the cluster name.
	Cluster string
	// ServiceType is the clustermesh-apiserver Service type, "" without a Service.
	ServiceType ServiceType
	// Access is how other clusters reach this one; nil when it cannot be determined.
	Access *Access
	// AccessError says why Access is nil (no Service, no LoadBalancer ingress, no node
	// InternalIPs); "" otherwise.
	AccessError string
	// APIServer is the clustermesh-apiserver Deployment's readiness.
	APIServer DeploymentStatus
	// Peers are the clusters configured in cilium-clustermesh, sorted by name.
	Peers []PeerStatus
}

// Peer returns the configured peer called name, or nil.
func (s *ClusterStatus) Peer(name string) *PeerStatus {
	for i := range s.Peers {
		if s.Peers[i].Name == name {
			return &s.Peers[i]
		}
	}
	return nil
}

// Status reads the ClusterMesh state of one cluster: the clustermesh-apiserver Service
// and access endpoints, Deployment readiness, and the peers configured in the
// cilium-clustermesh (and cilium-kvstoremesh) Secrets. Mutual is left nil; Check
// fills it in across clusters. Missing objects are reported in the result, not as
// errors; errors are for an unreachable API server or malformed Secrets.
func Status(ctx context.Context, t Target) (*ClusterStatus, error) {
	kube, err := t.kube()
	if err != nil {
		return nil, err
	}
	name, ns := t.Cluster.Name, t.namespace()
	st := &ClusterStatus{Cluster: name}
	svc, err := kube.CoreV1().Services(ns).Get(ctx, APIServerName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		st.AccessError = fmt.Sprintf("Service %s/%s not found", ns, APIServerName)
	case err != nil:
		return nil, fmt.Errorf("cluster %q: read Service %s/%s: %w", name, ns, APIServerName, err)
	default:
		st.ServiceType = ServiceType(svc.Spec.Type)
		if a, err := serviceAccess(ctx, kube, t, svc); err != nil {
			st.AccessError = err.Error()
		} else {
			st.Access = a
		}
	}
	d, err := kube.AppsV1().Deployments(ns).Get(ctx, APIServerName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("cluster %q: read Deployment %s/%s: %w", name, ns, APIServerName, err)
	default:
		st.APIServer = deploymentStatus(d)
	}
	agent, names, err := readPeers(ctx, kube, t, SecretClusterMesh)
	if err != nil {
		return nil, err
	}
	kvm, _, err := readPeers(ctx, kube, t, SecretKVStoreMesh)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		st.Peers = append(st.Peers, PeerStatus{Name: n, Agent: agent[n], KVStoreMesh: kvm[n], Connectivity: ConnectivityUnknown})
	}
	return st, nil
}

// readPeers reads the peers of the Secret called secret in t (see PeersFromSecretData);
// none when the Secret does not exist.
func readPeers(ctx context.Context, kube kubernetes.Interface, t Target, secret string) (map[string]*PeerConfig, []string, error) {
	s, err := kube.CoreV1().Secrets(t.namespace()).Get(ctx, secret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %q: read Secret %s/%s: %w", t.Cluster.Name, t.namespace(), secret, err)
	}
	peers, names, err := PeersFromSecretData(s.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %q: Secret %s/%s: %w", t.Cluster.Name, t.namespace(), secret, err)
	}
	return peers, names, nil
}

func deploymentStatus(d *appsv1.Deployment) DeploymentStatus {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := DeploymentStatus{Found: true, Desired: want, Ready: d.Status.ReadyReplicas,
		Updated: d.Status.UpdatedReplicas, Available: d.Status.AvailableReplicas}
	s.IsReady = d.Status.ObservedGeneration >= d.Generation &&
		s.Updated >= want && s.Ready >= want && s.Available >= want
	return s
}
