package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/ipam/lbipam"
	"github.com/ciliumkit/ciliumkit/l2"
)

// The seed's L2 lab (a kubeadm cluster k8s-s, k8s-w1, k8s-w2 on 192.168.10.0/24, NICs ens5).
var labNodes = []l2.Node{
	{Name: "k8s-s", Labels: map[string]string{"kubernetes.io/hostname": "k8s-s", "node-role.kubernetes.io/control-plane": ""}, Interfaces: []string{"ens5"}},
	{Name: "k8s-w1", Labels: map[string]string{"kubernetes.io/hostname": "k8s-w1"}, Interfaces: []string{"ens5"}},
	{Name: "k8s-w2", Labels: map[string]string{"kubernetes.io/hostname": "k8s-w2"}, Interfaces: []string{"ens5"}},
}

// seedTiming is the seed's --set l2announcements.leaseDuration=3s
// --set l2announcements.leaseRenewDeadline=1s --set l2announcements.leaseRetryPeriod=200ms.
var seedTiming = l2.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}

// lbService is the seed's svc1..svc3: LoadBalancer Services of the webpod pods.
func lbService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": "webpod"},
			Ports:    []corev1.ServicePort{{Name: name + "-webport", Port: 80, TargetPort: intstr.FromInt32(80)}},
		},
	}
}

// lbAndL2 assigns the seed's three Services their addresses from cilium-pool and shows
// which nodes policy1 lets announce them, with the seed's lease timing.
func lbAndL2(p *progress) error {
	pool, err := lbipam.NewPool("cilium-pool", lbipam.CIDRBlock(netip.MustParsePrefix("10.10.200.0/29"))).
		AllowFirstLastIPs(false).Build()
	if err != nil {
		return err
	}
	alloc := lbipam.NewAllocator()
	if err := alloc.SetPool(pool); err != nil {
		return err
	}
	var svcs []*corev1.Service
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tEXTERNAL-IP\tPORT(S)")
	for _, name := range []string{"svc1", "svc2", "svc3"} {
		svc := lbService(name)
		a := alloc.Assign(svc)
		if !a.Satisfied {
			return fmt.Errorf("lbipam: %s/%s: %w", a.Namespace, a.Name, a.Err)
		}
		for _, ip := range a.IPs {
			svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip.String()})
		}
		fmt.Fprintf(tw, "%s\tLoadBalancer\t%s\t80/TCP\n", name, joinAddrs(a.IPs))
		svcs = append(svcs, svc)
	}
	tw.Flush()
	st, _ := alloc.PoolStatus("cilium-pool")
	p.say(`lbipam.NewPool("cilium-pool", 10.10.200.0/29).AllowFirstLastIPs(false): %s total (.0 and .7 reserved), %s used, %s available`,
		st.Total, st.Used, st.Available)
	p.say("$ kubectl get svc   # addresses from lbipam.Allocator.Assign")
	p.block(table.String())

	policy, err := l2.NewPolicy("policy1").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}).
		NodeSelector(&slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{
			{Key: "node-role.kubernetes.io/control-plane", Operator: slimv1.LabelSelectorOpDoesNotExist}}}).
		Interfaces("^ens[0-9]+").ExternalIPs(true).LoadBalancerIPs(true).Build()
	if err != nil {
		return err
	}
	policies := []*ciliumv2alpha1.CiliumL2AnnouncementPolicy{policy}
	announcers := func(svc *corev1.Service) ([]string, error) {
		var out []string
		for _, n := range labNodes {
			ms, err := l2.Select(policies, svc, n)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				out = append(out, fmt.Sprintf("%s/%s", n.Name, strings.Join(m.Interfaces, ",")))
			}
		}
		return out, nil
	}
	p.say("")
	p.say("policy1 (serviceSelector color=blue, not on control-plane nodes, interfaces ^ens[0-9]+), l2.Select per node:")
	unannounced := 0
	for _, svc := range svcs {
		as, err := announcers(svc)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			unannounced++
			p.say("  %s as the seed writes it (no labels): no node announces %s", svc.Name, svc.Status.LoadBalancer.Ingress[0].IP)
		}
	}
	if unannounced == len(svcs) {
		p.say("  -> the seed's services lack color=blue, so policy1 answers ARP for none of them (the seed's curl ran on a node, where Cilium balances without ARP)")
	}
	for _, svc := range svcs {
		blue := svc.DeepCopy()
		blue.Labels = map[string]string{"color": "blue"}
		as, err := announcers(blue)
		if err != nil {
			return err
		}
		p.say("  %s labelled color=blue: candidates %v, elected by Lease kube-system/%s",
			svc.Name, as, l2.LeaseName(svc.Namespace, svc.Name))
	}

	p.say("")
	for _, t := range []struct {
		what   string
		timing l2.Timing
	}{{"seed", seedTiming}, {"Cilium default", l2.DefaultTiming()}} {
		e, err := l2.Calculate(t.timing, len(svcs), nil)
		if err != nil {
			return err
		}
		p.say("l2.Calculate(%s %s, %d services): failover window %s-%s, lease load %.1f requests/s on the API server (%.0f/s unthrottled), k8sClientRateLimit qps %d burst %d",
			t.what, t.timing, len(svcs), e.FailoverMin, e.FailoverMax, e.LeaseRequestsPerSecond, e.UnthrottledRenewalsPerSecond, e.ClientQPS, e.ClientBurst)
	}
	vals, err := l2.HelmValues(seedTiming, &l2.ValuesOptions{Services: len(svcs), ExternalIPs: true})
	if err != nil {
		return err
	}
	doc, err := yaml.Marshal(vals)
	if err != nil {
		return err
	}
	p.say("Helm values of the seed's L2 setup (l2.HelmValues):")
	p.block(string(doc))
	return nil
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}
