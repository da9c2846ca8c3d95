package ipam

import (
	"errors"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
)

type lbStep struct {
	svc     *corev1.Service
	release bool
	// unmanaged: LB IPAM must leave the Service alone.
	unmanaged bool
	wantIPs   string
	reason    LBReason
	err       error
}

func runLBSteps(t *testing.T, pools []*ciliumv2.CiliumLoadBalancerIPPool, steps []lbStep) *LBAllocator {
	t.Helper()
	a := NewLBAllocator()
	for _, p := range pools {
		_ = a.SetPool(p)
	}
	for i, st := range steps {
		if st.release {
			a.Release(st.svc.Namespace, st.svc.Name)
			continue
		}
		res := a.Assign(st.svc)
		if st.unmanaged {
			if res.Managed || len(res.IPs) != 0 {
				t.Errorf("step %d %s/%s: managed %v IPs %v, want unmanaged", i, st.svc.Namespace, st.svc.Name, res.Managed, res.IPs)
			}
			continue
		}
		if !res.Managed {
			t.Errorf("step %d %s/%s: not managed", i, st.svc.Namespace, st.svc.Name)
		}
		if got := lbIPsString(res.IPs); got != st.wantIPs {
			t.Errorf("step %d %s/%s: IPs %q, want %q (err %v)", i, st.svc.Namespace, st.svc.Name, got, st.wantIPs, res.Err)
		}
		want := st.reason
		if want == "" {
			want = LBReasonSatisfied
		}
		if res.Reason != want {
			t.Errorf("step %d %s/%s: reason %q, want %q (err %v)", i, st.svc.Namespace, st.svc.Name, res.Reason, want, res.Err)
		}
		if st.err != nil && !errors.Is(res.Err, st.err) {
			t.Errorf("step %d %s/%s: err %v, want %v", i, st.svc.Namespace, st.svc.Name, res.Err, st.err)
		}
		if (want == LBReasonSatisfied) != res.Satisfied {
			t.Errorf("step %d: satisfied %v with reason %q", i, res.Satisfied, res.Reason)
		}
	}
	return a
}

func TestLBRules(t *testing.T) {
	const ipsKey, spKey = "lbipam.cilium.io/ips", "lbipam.cilium.io/sharing-key"
	const xnsKey = "lbipam.cilium.io/sharing-cross-namespace"
	p1 := func() []*ciliumv2.CiliumLoadBalancerIPPool {
		return []*ciliumv2.CiliumLoadBalancerIPPool{lbTestPool(t, "p", 0, "10.0.0.0/29")}
	}
	tests := []struct {
		name  string
		pools []*ciliumv2.CiliumLoadBalancerIPPool
		steps []lbStep
	}{
		{"selector on service labels", []*ciliumv2.CiliumLoadBalancerIPPool{lbWithSelector(lbTestPool(t, "blue", 0, "10.0.1.0/30"), map[string]string{"color": "blue"})}, []lbStep{
			{svc: lbTestSvc("a", "x", lbLabel("color", "blue")), wantIPs: "10.0.1.0"},
			{svc: lbTestSvc("a", "y", lbLabel("color", "red")), reason: LBReasonNoPool, err: ErrLBNoPool},
		}},
		{"selector on namespace and name meta labels", []*ciliumv2.CiliumLoadBalancerIPPool{
			lbWithSelector(lbTestPool(t, "ns", 0, "10.0.1.0/30"), map[string]string{LBServiceNamespaceLabel: "team-a"}),
			lbWithSelector(lbTestPool(t, "nm", 1, "10.0.2.0/30"), map[string]string{LBServiceNameLabel: "special"}),
		}, []lbStep{
			{svc: lbTestSvc("team-a", "x"), wantIPs: "10.0.1.0"},
			{svc: lbTestSvc("team-b", "special"), wantIPs: "10.0.2.0"},
			{svc: lbTestSvc("team-b", "other"), reason: LBReasonNoPool},
		}},
		{"requested by annotation, alias and spec", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.5, 10.0.0.3")), wantIPs: "10.0.0.3,10.0.0.5"},
			{svc: lbTestSvc("a", "y", lbAnn("io.cilium/lb-ipam-ips", "10.0.0.6")), wantIPs: "10.0.0.6"},
			{svc: lbTestSvc("a", "z", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "10.0.0.7" }), wantIPs: "10.0.0.7"},
			{svc: lbTestSvc("a", "w"), wantIPs: "10.0.0.0"},
		}},
		{"requested IP outside pools", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "192.0.2.1")), reason: LBReasonNoPool, err: ErrLBNoPool},
		}},
		{"requested IP of a pool not selecting", []*ciliumv2.CiliumLoadBalancerIPPool{lbWithSelector(lbTestPool(t, "blue", 0, "10.0.1.0/30"), map[string]string{"color": "blue"})}, []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.1.1")), reason: LBReasonSelectorMismatch, err: ErrLBSelectorMismatch},
		}},
		{"requested IP already allocated", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: lbTestSvc("a", "y", lbAnn(ipsKey, "10.0.0.4")), reason: LBReasonAlreadyAllocated, err: ErrLBAlreadyAllocated},
		}},
		{"invalid request keeps what is held", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.400")), wantIPs: "10.0.0.4", reason: LBReasonInvalidRequest, err: ErrLBInvalidRequest},
		}},
		{"changing the requested IP moves the service", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: lbTestSvc("a", "x", lbAnn(ipsKey, "10.0.0.5")), wantIPs: "10.0.0.5"},
			{svc: lbTestSvc("a", "y"), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "z", lbAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
		}},
		{"sharing: same key, different ports", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "y", lbAnn(spKey, "k"), lbPortOpt(443, corev1.ProtocolTCP)), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "z", lbAnn(spKey, "k"), lbPortOpt(80, corev1.ProtocolUDP)), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "v", lbAnn(spKey, "k")), wantIPs: "10.0.0.1"}, // port 80/TCP taken on .0
			{svc: lbTestSvc("a", "u", lbAnn(spKey, "other"), lbPortOpt(8080, corev1.ProtocolTCP)), wantIPs: "10.0.0.2"},
		}},
		{"sharing: requested IP with incompatible service", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(spKey, "k"), lbAnn(ipsKey, "10.0.0.3")), wantIPs: "10.0.0.3"},
			{svc: lbTestSvc("a", "y", lbAnn(spKey, "k"), lbAnn(ipsKey, "10.0.0.3")), reason: LBReasonIncompatibleShare, err: ErrLBIncompatibleSharing},
			{svc: lbTestSvc("a", "z", lbAnn(spKey, "j"), lbPortOpt(81, corev1.ProtocolTCP), lbAnn(ipsKey, "10.0.0.3")), reason: LBReasonIncompatibleShare},
			{svc: lbTestSvc("a", "w", lbAnn(spKey, "k"), lbPortOpt(81, corev1.ProtocolTCP), lbAnn(ipsKey, "10.0.0.3")), wantIPs: "10.0.0.3"},
		}},
		{"sharing: namespaces must allow each other", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(spKey, "k"), lbAnn(xnsKey, "b")), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("c", "y", lbAnn(spKey, "k"), lbAnn(xnsKey, "*"), lbPortOpt(81, "TCP")), wantIPs: "10.0.0.1"},   // a does not allow c
			{svc: lbTestSvc("b", "z", lbAnn(spKey, "k"), lbPortOpt(82, "TCP")), wantIPs: "10.0.0.2"},                       // b does not allow a
			{svc: lbTestSvc("b", "w", lbAnn(spKey, "k"), lbAnn(xnsKey, "a,c"), lbPortOpt(83, "TCP")), wantIPs: "10.0.0.0"}, // both allow
		}},
		{"sharing: externalTrafficPolicy must match", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "y", lbAnn(spKey, "k"), lbPortOpt(81, "TCP"), func(s *corev1.Service) {
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.Selector = map[string]string{"app": "y"}
			}), wantIPs: "10.0.0.1"},
		}},
		{"sharing: a port change that clashes moves the changed service", p1(), []lbStep{
			{svc: lbTestSvc("a", "x", lbAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "y", lbAnn(spKey, "k"), lbPortOpt(81, "TCP")), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "y", lbAnn(spKey, "k")), wantIPs: "10.0.0.1"},
		}},
		{"load balancer classes", p1(), []lbStep{
			{svc: lbTestSvc("a", "none"), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "l2", lbClass("io.cilium/l2-announcer")), wantIPs: "10.0.0.1"},
			{svc: lbTestSvc("a", "bgp", lbClass("io.cilium/bgp-control-plane")), wantIPs: "10.0.0.2"},
			{svc: lbTestSvc("a", "other", lbClass("example.com/lb")), unmanaged: true},
			{svc: lbTestSvc("a", "np", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), unmanaged: true},
			{svc: lbTestSvc("a", "after"), wantIPs: "10.0.0.3"},
			// Moving to a foreign class releases the address.
			{svc: lbTestSvc("a", "l2", lbClass("example.com/lb")), unmanaged: true},
			{svc: lbTestSvc("a", "later"), wantIPs: "10.0.0.1"},
		}},
		{"dual stack", []*ciliumv2.CiliumLoadBalancerIPPool{lbTestPool(t, "ds", 0, "10.0.0.0/30", "2001:db8::/126")}, []lbStep{
			{svc: lbTestSvc("a", "both", lbFamiliesOpt(corev1.IPFamilyPolicyRequireDualStack, corev1.IPv6Protocol, corev1.IPv4Protocol)), wantIPs: "10.0.0.0,2001:db8::"},
			{svc: lbTestSvc("a", "prefer", lbFamiliesOpt(corev1.IPFamilyPolicyPreferDualStack)), wantIPs: "10.0.0.1,2001:db8::1"},
			{svc: lbTestSvc("a", "v6", lbFamiliesOpt(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), wantIPs: "2001:db8::2"},
			{svc: lbTestSvc("a", "v4"), wantIPs: "10.0.0.2"},
			// Dropping IPv6 releases it; the next IPv6 request gets it back.
			{svc: lbTestSvc("a", "both", lbFamiliesOpt(corev1.IPFamilyPolicySingleStack, corev1.IPv4Protocol)), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "v6b", lbFamiliesOpt(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), wantIPs: "2001:db8::"},
		}},
		{"IPv6 service with only IPv4 pools", p1(), []lbStep{
			{svc: lbTestSvc("a", "v6", lbFamiliesOpt(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), reason: LBReasonNoPool},
		}},
		{"release frees the lowest address again", p1(), []lbStep{
			{svc: lbTestSvc("a", "x"), wantIPs: "10.0.0.0"},
			{svc: lbTestSvc("a", "y"), wantIPs: "10.0.0.1"},
			{svc: lbTestSvc("a", "x"), release: true},
			{svc: lbTestSvc("a", "z"), wantIPs: "10.0.0.0"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runLBSteps(t, tc.pools, tc.steps) })
	}
}

func TestLBPoolPriorityOrder(t *testing.T) {
	a := NewLBAllocator()
	// Older catch-all, newer catch-all, and a selector pool: the selector pool comes first,
	// then by age, then by name.
	for _, p := range []*ciliumv2.CiliumLoadBalancerIPPool{
		lbTestPool(t, "zeta-old", 0, "10.1.0.0/32"),
		lbTestPool(t, "alpha-new", 5, "10.2.0.0/32"),
		lbTestPool(t, "beta-new", 5, "10.3.0.0/32"),
		lbWithSelector(lbTestPool(t, "specific", 9, "10.4.0.0/32"), map[string]string{"tier": "edge"}),
	} {
		if err := a.SetPool(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.PoolOrder(); len(got) != 4 || got[0] != "specific" || got[1] != "zeta-old" || got[2] != "alpha-new" || got[3] != "beta-new" {
		t.Fatalf("order %v", got)
	}
	want := []string{"10.4.0.0", "10.1.0.0", "10.2.0.0", "10.3.0.0"}
	for i, w := range want {
		res := a.Assign(lbTestSvc("ns", string(rune('a'+i)), lbLabel("tier", "edge")))
		if lbIPsString(res.IPs) != w {
			t.Errorf("service %d got %v, want %s", i, res.IPs, w)
		}
	}
}

func TestLBPoolConflicts(t *testing.T) {
	a := NewLBAllocator()
	older := lbTestPool(t, "older", 0, "10.0.0.0/30")
	newer := lbTestPool(t, "newer", 1, "10.0.0.2-10.0.0.9")
	self := lbTestPool(t, "self", 2, "10.9.0.0/30")
	self.Spec.Blocks = append(self.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Start: "10.9.0.3", Stop: "10.9.0.4"})
	_ = a.SetPool(newer)
	_ = a.SetPool(older)
	if err := a.SetPool(self); !errors.Is(err, ErrLBPoolConflict) {
		t.Errorf("self-overlapping pool: %v", err)
	}
	for _, c := range []struct {
		name     string
		conflict bool
	}{{"older", false}, {"newer", true}, {"self", true}} {
		st, _ := a.PoolStatus(c.name)
		if st.Conflicting != c.conflict || (c.conflict && (st.Available.Sign() != 0 || !errors.Is(st.Err, ErrLBPoolConflict))) {
			t.Errorf("%s: conflicting %v available %v err %v", c.name, st.Conflicting, st.Available, st.Err)
		}
	}
	// Only the older pool gives out addresses.
	for i, w := range []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", ""} {
		res := a.Assign(lbTestSvc("ns", string(rune('a'+i))))
		if lbIPsString(res.IPs) != w {
			t.Errorf("service %d: %v, want %q", i, res.IPs, w)
		}
	}
	// Deleting the older pool settles the conflict: newer now gives out what is free.
	a.DeletePool("older")
	if st, _ := a.PoolStatus("newer"); st.Conflicting || st.Used.Int64() != 2 || st.Available.Int64() != 6 {
		t.Errorf("newer after delete: conflicting %v used %v available %v", st.Conflicting, st.Used, st.Available)
	}
	res := a.Assign(lbTestSvc("ns", "late"))
	if lbIPsString(res.IPs) != "10.0.0.4" {
		t.Errorf("late service: %v (%v)", res.IPs, res.Err)
	}
	// The services holding .0 and .1 keep them and are told no pool contains them.
	res = a.Assign(lbTestSvc("ns", "a"))
	if lbIPsString(res.IPs) != "10.0.0.0" || res.Reason != LBReasonNotInPool {
		t.Errorf("service a: %v reason %q", res.IPs, res.Reason)
	}
}

func TestLBDisabledPoolKeepsWhatItGave(t *testing.T) {
	a := NewLBAllocator()
	p := lbTestPool(t, "p", 0, "10.0.0.0/31")
	_ = a.SetPool(p)
	if res := a.Assign(lbTestSvc("ns", "x")); lbIPsString(res.IPs) != "10.0.0.0" {
		t.Fatalf("x: %v", res.IPs)
	}
	d := p.DeepCopy()
	d.Spec.Disabled = true
	_ = a.SetPool(d)
	if res := a.Assign(lbTestSvc("ns", "x")); lbIPsString(res.IPs) != "10.0.0.0" || !res.Satisfied {
		t.Errorf("x after disable: %v %v", res.IPs, res.Err)
	}
	if res := a.Assign(lbTestSvc("ns", "y")); len(res.IPs) != 0 || res.Reason != LBReasonNoPool {
		t.Errorf("y from disabled pool: %v %q", res.IPs, res.Reason)
	}
	if res := a.Assign(lbTestSvc("ns", "z", lbAnn("lbipam.cilium.io/ips", "10.0.0.1"))); len(res.IPs) != 0 || res.Reason != LBReasonNoPool {
		t.Errorf("z requesting from disabled pool: %v %q", res.IPs, res.Reason)
	}
	st, _ := a.PoolStatus("p")
	if !st.Disabled || st.Used.Int64() != 1 || st.Available.Sign() != 0 || st.Total.Int64() != 2 {
		t.Errorf("status %+v", st)
	}
}

func TestLBStability(t *testing.T) {
	pool := lbTestPool(t, "p", 0, "10.0.0.0/28")
	a := NewLBAllocator()
	_ = a.SetPool(pool)
	var svcs []*corev1.Service
	for i := range 5 {
		s := lbTestSvc("ns", string(rune('a'+i)))
		res := a.Assign(s)
		for _, ip := range res.IPs {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip.String()})
		}
		svcs = append(svcs, s)
	}
	// Free .1 and .3 so that a fresh allocator, handed the services in another order,
	// would hand out different addresses if it did not adopt the old ones first.
	a.Release("ns", "b")
	a.Release("ns", "d")
	kept := []*corev1.Service{svcs[4], svcs[2], svcs[0]}

	t.Run("restart", func(t *testing.T) {
		b := NewLBAllocator()
		_ = b.SetPool(pool)
		for _, s := range kept {
			if err := b.Adopt(s); err != nil {
				t.Fatal(err)
			}
		}
		res := b.Assign(lbTestSvc("ns", "new"))
		if lbIPsString(res.IPs) != "10.0.0.1" {
			t.Errorf("new service after restart: %v", res.IPs)
		}
		for _, s := range kept {
			if res := b.Assign(s); lbIPsString(res.IPs) != s.Status.LoadBalancer.Ingress[0].IP || !res.Satisfied {
				t.Errorf("%s moved: %v (was %s) %v", s.Name, res.IPs, s.Status.LoadBalancer.Ingress[0].IP, res.Err)
			}
		}
	})
	t.Run("pool edit still containing", func(t *testing.T) {
		edited := pool.DeepCopy()
		edited.Spec.Blocks = []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{{Start: "10.0.0.2", Stop: "10.0.0.4"}, {Cidr: "10.5.0.0/30"}}
		_ = a.SetPool(edited)
		for _, s := range kept {
			if res := a.Assign(s); lbIPsString(res.IPs) != s.Status.LoadBalancer.Ingress[0].IP {
				t.Errorf("%s moved: %v", s.Name, res.IPs)
			}
		}
		// .0 is outside the edited pool: kept, reported, not reassigned.
		res := a.Assign(svcs[0])
		if res.Reason != LBReasonNotInPool || !errors.Is(res.Err, ErrLBNotInPool) || res.Satisfied {
			t.Errorf("a after edit: reason %q err %v", res.Reason, res.Err)
		}
		// Free in the edited pool: .3 only (.2 and .4 are held), then the new block.
		for _, w := range []string{"10.0.0.3", "10.5.0.0"} {
			if res := a.Assign(lbTestSvc("ns", "n"+w)); lbIPsString(res.IPs) != w {
				t.Errorf("new service: %v, want %s", res.IPs, w)
			}
		}
	})
	t.Run("selector edit reported, not moved", func(t *testing.T) {
		sel := pool.DeepCopy()
		sel.Spec.ServiceSelector = &slimv1.LabelSelector{MatchLabels: map[string]string{"x": "y"}}
		_ = a.SetPool(sel)
		res := a.Assign(svcs[2])
		if lbIPsString(res.IPs) != "10.0.0.2" || res.Reason != LBReasonSelectorMismatch {
			t.Errorf("c after selector edit: %v %q", res.IPs, res.Reason)
		}
	})
}

func TestLBBuilderValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *LBPoolBuilder
		want []error
	}{
		{"bad name", NewLBPool("Bad_Name", Block(lbMustPrefix("10.0.0.0/24"))), []error{ErrLBInvalidPool}},
		{"no blocks", NewLBPool("p"), []error{ErrLBInvalidPool}},
		{"unmasked", NewLBPool("p", Block(lbMustPrefix("10.0.0.1/24"))), []error{ErrLBInvalidBlock}},
		{"reversed range", NewLBPool("p", BlockRange(lbMustAddr("10.0.0.9"), lbMustAddr("10.0.0.1"))), []error{ErrLBInvalidBlock}},
		{"mixed family", NewLBPool("p", BlockRange(lbMustAddr("10.0.0.1"), lbMustAddr("2001:db8::1"))), []error{ErrLBInvalidBlock}},
		{"empty block", NewLBPool("p", LBBlock{}), []error{ErrLBInvalidBlock}},
		{"overlap", NewLBPool("p", Block(lbMustPrefix("10.0.0.0/24")), Block(lbMustPrefix("10.0.0.128/25"))), []error{ErrLBPoolConflict}},
		{"bad selector", NewLBPool("p", Block(lbMustPrefix("10.0.0.0/24"))).ServiceSelector(&slimv1.LabelSelector{
			MatchExpressions: []slimv1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}), []error{ErrLBInvalidSelector}},
		{"all at once", NewLBPool("", Block(lbMustPrefix("10.0.0.1/24")), LBBlock{}), []error{ErrLBInvalidPool, ErrLBInvalidBlock}},
		{"ok", NewLBPool("p", Block(lbMustPrefix("10.0.0.0/24")), BlockRange(lbMustAddr("2001:db8::1"), lbMustAddr("2001:db8::9"))).AllowFirstLastIPs(false).Disabled(true), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.b.Build()
			if tc.want == nil {
				if err != nil || p == nil {
					t.Fatalf("Build: %v", err)
				}
				if p.Spec.AllowFirstLastIPs != ciliumv2.AllowFirstLastIPNo || !p.Spec.Disabled || len(p.Spec.Blocks) != 2 || p.Kind != "CiliumLoadBalancerIPPool" {
					t.Errorf("built %+v", p)
				}
				return
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("err %v, want %v", err, w)
				}
			}
			if p != nil {
				t.Errorf("pool returned with error")
			}
		})
	}
}

func TestLBValidatePoolFromCluster(t *testing.T) {
	// The CRD schema accepts start/stop values that are not IPs; the allocator does not.
	p := lbTestPool(t, "p", 0, "10.0.0.0/30")
	p.Spec.Blocks = []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{{Start: "10.10.200.1", Stop: "10.10.200.300"}}
	if err := ValidateLBPool(p); !errors.Is(err, ErrLBInvalidBlock) {
		t.Errorf("ValidateLBPool: %v", err)
	}
	a := NewLBAllocator()
	if err := a.SetPool(p); !errors.Is(err, ErrLBInvalidBlock) {
		t.Errorf("SetPool: %v", err)
	}
	if res := a.Assign(lbTestSvc("ns", "x")); res.Reason != LBReasonNoPool {
		t.Errorf("invalid pool gave %v (%q)", res.IPs, res.Reason)
	}
}
