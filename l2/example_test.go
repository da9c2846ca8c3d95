package l2_test

import (
	"fmt"
	"time"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

func ExampleNewPolicy() {
	p, err := l2.NewPolicy("policy1").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}).
		NodeSelector(&slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{
			{Key: "node-role.kubernetes.io/control-plane", Operator: slimv1.LabelSelectorOpDoesNotExist}}}).
		Interfaces("^eth[0-9]+").
		ExternalIPs(true).LoadBalancerIPs(true).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.APIVersion, p.Kind, p.Name, p.Spec.Interfaces)

	_, err = l2.NewPolicy("broken").LoadBalancerIPs(true).Interfaces("eth[0-").Build()
	fmt.Println(err)
	// Output:
	// cilium.io/v2alpha1 CiliumL2AnnouncementPolicy policy1 [^eth[0-9]+]
	// policy "broken" interfaces[0] "eth[0-": l2: invalid L2 announcement interface regex: error parsing regexp: missing closing ]: `[0-`
}

func ExampleCalculate() {
	seed := l2.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}
	e, err := l2.Calculate(seed, 100, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("failover %s..%s, lease load %.0f req/s, k8sClientRateLimit qps %d burst %d\n",
		e.FailoverMin, e.FailoverMax, e.LeaseRequestsPerSecond, e.ClientQPS, e.ClientBurst)

	_, err = l2.Calculate(l2.Timing{LeaseDuration: time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: time.Second}, 100, nil)
	fmt.Println(err)
	// Output:
	// failover 2s..4s, lease load 100 req/s, k8sClientRateLimit qps 110 burst 220
	// lease timing 1s/2s/1s: renewDeadline 2s is not below leaseDuration 1s: l2: invalid L2 lease timing
}

func ExampleSelect() {
	policy, _ := l2.NewPolicy("policy1").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}).
		Interfaces("^eth[0-9]+").LoadBalancerIPs(true).Build()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Labels: map[string]string{"color": "blue"}},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{
			Ingress: []corev1.LoadBalancerIngress{{IP: "10.10.200.1"}}}},
	}
	node := l2.Node{Name: "worker-1", Interfaces: []string{"lo", "eth0", "wlan0"}}
	matches, _ := l2.Select([]*ciliumv2alpha1.CiliumL2AnnouncementPolicy{policy}, svc, node)
	for _, m := range matches {
		fmt.Println(m.Policy, m.Interfaces, m.IPs)
	}
	fmt.Println(l2.LeaseName(svc.Namespace, svc.Name))
	// Output:
	// policy1 [eth0] [10.10.200.1]
	// cilium-l2announce-default-web
}

func ExampleHelmValues() {
	vals, err := l2.HelmValues(l2.DefaultTiming(), &l2.ValuesOptions{Services: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(vals["l2announcements"])
	fmt.Println(vals["kubeProxyReplacement"], vals["k8sClientRateLimit"])
	// Output:
	// map[enabled:true leaseDuration:15s leaseRenewDeadline:5s leaseRetryPeriod:2s]
	// true map[burst:40 qps:20]
}
