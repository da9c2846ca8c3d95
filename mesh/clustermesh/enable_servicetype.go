package clustermesh

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ServiceType is the type of the clustermesh-apiserver Service
// (clustermesh.apiserver.service.type).
type ServiceType string

// Service types the clustermesh-apiserver supports.
const (
	// NodePort exposes the apiserver on every node (the chart default), port 32379 by default.
	NodePort ServiceType = "NodePort"
	// LoadBalancer exposes it through a cloud or LB-IPAM load balancer on port 2379.
	LoadBalancer ServiceType = "LoadBalancer"
	// ClusterIP exposes it on the service network only (routable service CIDRs).
	ClusterIP ServiceType = "ClusterIP"
)

// ParseServiceType parses "NodePort", "LoadBalancer" or "ClusterIP" (case-insensitive).
// Anything else is ErrServiceType.
func ParseServiceType(s string) (ServiceType, error) {
	for _, t := range []ServiceType{NodePort, LoadBalancer, ClusterIP} {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w: unknown type %q; want NodePort, LoadBalancer or ClusterIP", ErrServiceType, s)
}

// ServiceTypeForNodes picks the service type for an environment from the nodes'
// spec.providerID, in the spirit of cilium-cli's flavor detection: LoadBalancer on GKE
// (gce://), EKS (aws://) and AKS (azure://), NodePort on kind (kind://). Any other or mixed environment, or no
// nodes, is ErrServiceType: the caller must choose; ciliumkit never guesses.
func ServiceTypeForNodes(nodes []corev1.Node) (ServiceType, error) {
	if len(nodes) == 0 {
		return "", fmt.Errorf("%w: cannot be determined: the cluster has no Nodes; set it explicitly", ErrServiceType)
	}
	var found ServiceType
	for _, n := range nodes {
		var t ServiceType
		p := n.Spec.ProviderID
		switch {
		case strings.HasPrefix(p, "gce://"), strings.HasPrefix(p, "aws://"), strings.HasPrefix(p, "azure://"):
			t = LoadBalancer
		case strings.HasPrefix(p, "kind://"):
			t = NodePort
		default:
			return "", fmt.Errorf("%w: cannot be determined from Node %q providerID %q; set it explicitly", ErrServiceType, n.Name, p)
		}
		if found != "" && found != t {
			return "", fmt.Errorf("%w: cannot be determined: Nodes of different providers (Node %q providerID %q); set it explicitly", ErrServiceType, n.Name, p)
		}
		found = t
	}
	return found, nil
}

// DetectServiceType lists the Nodes of t and applies ServiceTypeForNodes.
func DetectServiceType(ctx context.Context, t Target) (ServiceType, error) {
	kube, err := t.kube()
	if err != nil {
		return "", err
	}
	return detectServiceType(ctx, kube, t)
}

// detectServiceType is DetectServiceType through a clientset of t the caller has.
func detectServiceType(ctx context.Context, kube kubernetes.Interface, t Target) (ServiceType, error) {
	nl, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("cluster %q: list Nodes: %w", t.Cluster.Name, err)
	}
	st, err := ServiceTypeForNodes(nl.Items)
	if err != nil {
		return "", fmt.Errorf("cluster %q: %w", t.Cluster.Name, err)
	}
	return st, nil
}
