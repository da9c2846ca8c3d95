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
func (c *Controller) reconcileService(ctx context.Context, svc *corev1.Service) error {
	res := c.alloc.Assign(svc)
	existing := findCondition(svc.Status.Conditions, ConditionRequestSatisfied)
	cfg := corev1ac.Service(svc.Name, svc.Namespace)
	if !res.Managed {
		if existing == nil {
			return nil
		}
		// Applying an empty status drops the fields this manager owned.
		cfg.WithStatus(corev1ac.ServiceStatus())
		_, err := c.kube.CoreV1().Services(svc.Namespace).ApplyStatus(ctx, cfg, metav1.ApplyOptions{FieldManager: c.fm, Force: true})
		return err
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
	if ingressEqual(svc.Status.LoadBalancer.Ingress, res) && conditionEqual(existing, want) {
		return nil
	}
	want.LastTransitionTime = transitionTime(existing, want.Status)
	lb := corev1ac.LoadBalancerStatus()
	for _, ip := range res.IPs {
		lb.WithIngress(corev1ac.LoadBalancerIngress().WithIP(ip.String()).WithIPMode(corev1.LoadBalancerIPModeVIP))
	}
	cfg.WithStatus(corev1ac.ServiceStatus().WithLoadBalancer(lb).WithConditions(metav1ac.Condition().
		WithType(want.Type).WithStatus(want.Status).WithReason(want.Reason).WithMessage(want.Message).
		WithObservedGeneration(want.ObservedGeneration).WithLastTransitionTime(want.LastTransitionTime)))
	if _, err := c.kube.CoreV1().Services(svc.Namespace).ApplyStatus(ctx, cfg, metav1.ApplyOptions{FieldManager: c.fm, Force: true}); err != nil {
		return fmt.Errorf("service %s/%s: apply status: %w", svc.Namespace, svc.Name, err)
	}
	c.log.Debug("service status applied", "service", svc.Namespace+"/"+svc.Name, "ips", res.IPs, "reason", res.Reason)
	return nil
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

// writePoolStatuses applies the conditions of every pool whose cluster copy differs.
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
			"metadata": map[string]any{"name": name},
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
