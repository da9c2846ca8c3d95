package resolve

import (
	"context"
	"fmt"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Read lists the state Resolve needs from an API server: every CiliumEgressGatewayPolicy,
// the CiliumEndpoints of every namespace, every Node and, with opts.LeaseNamespace, the
// Leases of that namespace (four LIST calls, three without it). A nil opts selects the
// defaults. Errors name the resource that failed.
func Read(ctx context.Context, kube kubernetes.Interface, cilium ciliumclient.Interface, opts *Options) (*State, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	var s State
	pols, err := cilium.CiliumV2().CiliumEgressGatewayPolicies().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("resolve: list CiliumEgressGatewayPolicies: %w", err)
	}
	for i := range pols.Items {
		s.Policies = append(s.Policies, &pols.Items[i])
	}
	eps, err := cilium.CiliumV2().CiliumEndpoints(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("resolve: list CiliumEndpoints: %w", err)
	}
	for i := range eps.Items {
		s.Endpoints = append(s.Endpoints, &eps.Items[i])
	}
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("resolve: list Nodes: %w", err)
	}
	for i := range nodes.Items {
		s.Nodes = append(s.Nodes, &nodes.Items[i])
	}
	if o.LeaseNamespace != "" {
		leases, err := kube.CoordinationV1().Leases(o.LeaseNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("resolve: list Leases in namespace %q: %w", o.LeaseNamespace, err)
		}
		for i := range leases.Items {
			s.Leases = append(s.Leases, &leases.Items[i])
		}
	}
	return &s, nil
}
