package meshtest

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// Cluster is one started cluster.
type Cluster struct {
	// Cluster is its mesh identity: the name given to Start and IDs 1, 2, ... in order.
	Cluster mesh.Cluster
	// Config reaches its API server with admin rights.
	Config *rest.Config
	// Kube is a clientset on Config.
	Kube kubernetes.Interface
	// NodeIP is the InternalIP of its one Node: 10.<12+ID>.0.10 (10.13.0.10 for ID 1).
	NodeIP string
}

// Start starts one cluster per name, IDs 1, 2, ... in order, and stops them when t
// ends. Each has Cilium's CRDs and one Node with an InternalIP, so that NodePort access
// to its clustermesh-apiserver can be discovered.
func Start(t testing.TB, names ...string) []*Cluster {
	t.Helper()
	var out []*Cluster
	for i, n := range names {
		if err := mesh.ValidateClusterName(n); err != nil {
			t.Fatalf("meshtest: %v", err)
		}
		e := testenv.Start(t, &testenv.Options{Name: n})
		c := &Cluster{Cluster: mesh.Cluster{Name: n, ID: uint32(i + 1)}, Config: e.Config, Kube: e.Kube,
			NodeIP: fmt.Sprintf("10.%d.0.10", 13+i)}
		if err := c.addNode(context.Background(), n+"-node-1"); err != nil {
			t.Fatalf("meshtest %s: %v", n, err)
		}
		out = append(out, c)
	}
	return out
}

func (c *Cluster) addNode(ctx context.Context, name string) error {
	n, err := c.Kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: c.NodeIP}, {Type: corev1.NodeHostName, Address: name}}
	_, err = c.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

// MarkAPIServerReady writes the clustermesh-apiserver Deployment's status (in namespace,
// "" for kube-system) as its controller would once the pod is ready, so that
// clustermesh.Status and Wait see a ready clustermesh-apiserver. Enable or Connect must
// have created the Deployment.
func (c *Cluster) MarkAPIServerReady(ctx context.Context, namespace string) error {
	if namespace == "" {
		namespace = "kube-system"
	}
	d, err := c.Kube.AppsV1().Deployments(namespace).Get(ctx, "clustermesh-apiserver", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("meshtest %s: %w", c.Cluster.Name, err)
	}
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 1, 1, 1, 1
	if _, err := c.Kube.AppsV1().Deployments(namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("meshtest %s: %w", c.Cluster.Name, err)
	}
	return nil
}
