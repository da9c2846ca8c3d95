package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/apply"
	"github.com/ciliumkit/ciliumkit/internal/kubecfg"
)

// Target is one cluster a policy is applied to.
type Target struct {
	// Cluster names the cluster in errors.
	Cluster string
	// Client is a Cilium clientset of the cluster's API server.
	Client ciliumclient.Interface
}

// NewTarget returns a target for the cluster whose API server cfg reaches. When cfg
// has no WarningHandler, API server warnings are dropped rather than logged by client-go.
func NewTarget(cluster string, cfg *rest.Config) (Target, error) {
	c, err := ciliumclient.NewForConfig(kubecfg.Quiet(cfg))
	if err != nil {
		return Target{}, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return Target{Cluster: cluster, Client: c}, nil
}

// ApplyOptions tune Apply. The zero value applies the defaults.
type ApplyOptions struct {
	// FieldManager is the server-side apply field manager; "" means "ciliumkit"
	// (the field manager of every ciliumkit write).
	FieldManager string
	// Force takes over fields another manager owns; default false (a conflict is an error).
	Force bool
	// Parallelism is how many clusters are applied to at once; 0 means 8.
	Parallelism int
}

// Apply server-side applies one CiliumNetworkPolicy to every target — write once,
// enforce everywhere. The same object goes to each cluster; cluster-aware peers
// (Peer.Cluster) keep their meaning everywhere since endpoint labels carry the
// cluster name. It returns every cluster's failure, joined, each wrapping ErrApply
// and naming the cluster and the policy; the API server's error stays reachable with
// errors.As (e.g. an invalid object is a *StatusError with reason Invalid).
func Apply(ctx context.Context, targets []Target, cnp *ciliumv2.CiliumNetworkPolicy, opts *ApplyOptions) error {
	var o ApplyOptions
	if opts != nil {
		o = *opts
	}
	if o.FieldManager == "" {
		o.FieldManager = apply.FieldManager
	}
	if o.Parallelism <= 0 {
		o.Parallelism = 8
	}
	body, err := applyBody(cnp)
	if err != nil {
		return err
	}
	errs := make([]error, len(targets))
	sem := make(chan struct{}, o.Parallelism)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			force := o.Force
			_, err := t.Client.CiliumV2().CiliumNetworkPolicies(cnp.Namespace).Patch(ctx, cnp.Name, types.ApplyPatchType, body,
				metav1.PatchOptions{FieldManager: o.FieldManager, Force: &force})
			if err != nil {
				errs[i] = fmt.Errorf("cluster %s: %w %s/%s: %w", t.Cluster, ErrApply, cnp.Namespace, cnp.Name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// applyBody encodes the policy for server-side apply: kind and apiVersion set, without
// status and server-set metadata.
func applyBody(cnp *ciliumv2.CiliumNetworkPolicy) ([]byte, error) {
	if cnp == nil || cnp.Name == "" {
		return nil, fmt.Errorf("%w: apply needs a named policy", ErrInvalid)
	}
	c := cnp.DeepCopy()
	c.APIVersion = ciliumv2.SchemeGroupVersion.String()
	c.Kind = ciliumv2.CNPKindDefinition
	c.ObjectMeta = metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name, Labels: c.Labels, Annotations: c.Annotations}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("policy %s/%s: %w", c.Namespace, c.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return json.Marshal(m)
}
