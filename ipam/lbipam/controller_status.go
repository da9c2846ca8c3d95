package lbipam

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
)

// maxConditionMessage is the API limit on a condition message, in bytes.
const maxConditionMessage = 32768

// reconcileService assigns svc and applies its status when it differs from the cluster's.
// Every apply carries svc's resourceVersion as a precondition, so it fails with a
// Conflict (apierrors.IsConflict) instead of overwriting a state the decision did not
// see; the caller then re-reads the Service and decides again.
func (c *Controller) reconcileService(ctx context.Context, svc *corev1.Service) error {
	res := c.alloc.Assign(svc)
	existing := findCondition(svc.Status.Conditions, ConditionRequestSatisfied)
	restored := findCondition(svc.Status.Conditions, ConditionIngressRestored)
	cfg := corev1ac.Service(svc.Name, svc.Namespace).WithResourceVersion(svc.ResourceVersion)
	if !res.Managed {
		if existing == nil && restored == nil {
			return nil
		}
		// Applying an empty status drops the fields this manager owned.
		cfg.WithStatus(corev1ac.ServiceStatus())
		_, err := c.kube.CoreV1().Services(svc.Namespace).ApplyStatus(ctx, cfg, metav1.ApplyOptions{FieldManager: c.fm, Force: true})
		if err != nil {
			return fmt.Errorf("service %s/%s: apply status: %w", svc.Namespace, svc.Name, err)
		}
		return nil
	}
	want := metav1.Condition{
		Type: ConditionRequestSatisfied, Status: metav1.ConditionFalse, Reason: string(res.Reason),
		ObservedGeneration: svc.Generation,
	}
	if res.Satisfied {
		want.Status = metav1.ConditionTrue
	}
	if res.Err != nil {
		want.Message = truncate(res.Err.Error(), maxConditionMessage)
	} else if len(res.IPs) == 0 {
		want.Message = "no address requested"
	}
	if res.Refused == nil && ingressEqual(svc.Status.LoadBalancer.Ingress, res) && conditionEqual(existing, want) {
		return nil
	}
	want.LastTransitionTime = transitionTime(existing, want.Status)
	lb := corev1ac.LoadBalancerStatus()
	for _, ip := range res.IPs {
		lb.WithIngress(corev1ac.LoadBalancerIngress().WithIP(ip.String()).WithIPMode(corev1.LoadBalancerIPModeVIP))
	}
	st := corev1ac.ServiceStatus().WithLoadBalancer(lb).WithConditions(conditionConfig(want))
	if res.Refused != nil {
		c.log.Warn("address written by another writer refused; restoring the service's own",
			"service", svc.Namespace+"/"+svc.Name, "ips", res.IPs, "error", res.Refused)
		st.WithConditions(conditionConfig(metav1.Condition{
			Type: ConditionIngressRestored, Status: metav1.ConditionTrue, Reason: string(res.RefusedReason),
			Message: truncate(res.Refused.Error(), maxConditionMessage), ObservedGeneration: svc.Generation,
			LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second)),
		}))
	} else if restored != nil {
		st.WithConditions(conditionConfig(*restored)) // keep the record
	}
	cfg.WithStatus(st)
	if _, err := c.kube.CoreV1().Services(svc.Namespace).ApplyStatus(ctx, cfg, metav1.ApplyOptions{FieldManager: c.fm, Force: true}); err != nil {
		return fmt.Errorf("service %s/%s: apply status: %w", svc.Namespace, svc.Name, err)
	}
	c.log.Debug("service status applied", "service", svc.Namespace+"/"+svc.Name, "ips", res.IPs, "reason", res.Reason)
	return nil
}

func conditionConfig(c metav1.Condition) *metav1ac.ConditionApplyConfiguration {
	return metav1ac.Condition().WithType(c.Type).WithStatus(c.Status).WithReason(c.Reason).WithMessage(c.Message).
		WithObservedGeneration(c.ObservedGeneration).WithLastTransitionTime(c.LastTransitionTime)
}

func ingressEqual(in []corev1.LoadBalancerIngress, res Assignment) bool {
	if len(in) != len(res.IPs) {
		return false
	}
	for i, ip := range res.IPs {
		if in[i].IP != ip.String() || in[i].Hostname != "" || len(in[i].Ports) != 0 {
			return false
		}
	}
	return true
}

func findCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

func conditionEqual(have *metav1.Condition, want metav1.Condition) bool {
	return have != nil && have.Status == want.Status && have.Reason == want.Reason &&
		have.Message == want.Message && have.ObservedGeneration == want.ObservedGeneration
}

// transitionTime keeps the existing transition time while the status does not change.
func transitionTime(have *metav1.Condition, status metav1.ConditionStatus) metav1.Time {
	if have != nil && have.Status == status && !have.LastTransitionTime.IsZero() {
		return have.LastTransitionTime
	}
	return metav1.NewTime(time.Now().Truncate(time.Second))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// poolConditions are the conditions the controller writes on a pool.
func poolConditions(st PoolStatus) []metav1.Condition {
	conds := []metav1.Condition{
		{Type: ConditionIPsTotal, Status: metav1.ConditionUnknown, Reason: "noreason", Message: st.Total.String()},
		{Type: ConditionIPsAvailable, Status: metav1.ConditionUnknown, Reason: "noreason", Message: st.Available.String()},
		{Type: ConditionIPsUsed, Status: metav1.ConditionUnknown, Reason: "noreason", Message: st.Used.String()},
		{Type: ConditionPoolConflict, Status: metav1.ConditionFalse, Reason: "resolved"},
		{Type: ConditionPoolValid, Status: metav1.ConditionTrue, Reason: "valid"},
	}
	if st.Conflicting {
		conds[3].Status, conds[3].Reason, conds[3].Message = metav1.ConditionTrue, "cidr_overlap", truncate(st.Err.Error(), maxConditionMessage)
	} else if st.Err != nil {
		conds[4].Status, conds[4].Reason, conds[4].Message = metav1.ConditionFalse, "invalid_spec", truncate(st.Err.Error(), maxConditionMessage)
	}
	return conds
}

// writePoolStatuses applies the conditions of every pool whose cluster copy differs, each
// with the cached pool's resourceVersion as a precondition: a pool that changed since is
// written again after its change event.
func (c *Controller) writePoolStatuses(ctx context.Context, get func(string) (*ciliumv2.CiliumLoadBalancerIPPool, error)) error {
	var firstErr error
	for _, name := range c.alloc.PoolNames() {
		st, _ := c.alloc.PoolStatus(name)
		pool, err := get(name)
		if err != nil {
			continue
		}
		want := poolConditions(st)
		same := true
		for i := range want {
			have := findCondition(pool.Status.Conditions, want[i].Type)
			same = same && conditionEqual(have, want[i])
			want[i].LastTransitionTime = transitionTime(have, want[i].Status)
		}
		if same {
			continue
		}
		body, err := json.Marshal(map[string]any{
			"apiVersion": ciliumv2.SchemeGroupVersion.String(), "kind": ciliumv2.PoolKindDefinition,
			"metadata": map[string]any{"name": name, "resourceVersion": pool.ResourceVersion},
			"status":   map[string]any{"conditions": want},
		})
		if err != nil {
			return err
		}
		force := true
		_, err = c.cilium.CiliumV2().CiliumLoadBalancerIPPools().Patch(ctx, name, types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: c.fm, Force: &force}, "status")
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("pool %q: apply status: %w", name, err)
		}
	}
	return firstErr
}
