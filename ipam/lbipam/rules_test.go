package lbipam

import (
	"errors"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

type step struct {
	svc     *corev1.Service
	release bool
	// unmanaged: LB IPAM must leave the Service alone.
	unmanaged bool
	wantIPs   string
	reason    Reason
	err       error
}

func runSteps(t *testing.T, pools []*ciliumv2.CiliumLoadBalancerIPPool, steps []step) *Allocator {
	t.Helper()
	a := NewAllocator()
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
		if got := ipsString(res.IPs); got != st.wantIPs {
			t.Errorf("step %d %s/%s: IPs %q, want %q (err %v)", i, st.svc.Namespace, st.svc.Name, got, st.wantIPs, res.Err)
		}
		want := st.reason
		if want == "" {
			want = ReasonSatisfied
		}
		if res.Reason != want {
			t.Errorf("step %d %s/%s: reason %q, want %q (err %v)", i, st.svc.Namespace, st.svc.Name, res.Reason, want, res.Err)
		}
		if st.err != nil && !errors.Is(res.Err, st.err) {
			t.Errorf("step %d %s/%s: err %v, want %v", i, st.svc.Namespace, st.svc.Name, res.Err, st.err)
		}
		if (want == ReasonSatisfied) != res.Satisfied {
			t.Errorf("step %d: satisfied %v with reason %q", i, res.Satisfied, res.Reason)
		}
	}
	return a
}

func TestRules(t *testing.T) {
	const ipsKey, spKey = "lbipam.cilium.io/ips", "lbipam.cilium.io/sharing-key"
	const xnsKey = "lbipam.cilium.io/sharing-cross-namespace"
	p1 := func() []*ciliumv2.CiliumLoadBalancerIPPool {
		return []*ciliumv2.CiliumLoadBalancerIPPool{testPool(t, "p", 0, "10.0.0.0/29")}
	}
	tests := []struct {
		name  string
		pools []*ciliumv2.CiliumLoadBalancerIPPool
		steps []step
	}{
		{"selector on service labels", []*ciliumv2.CiliumLoadBalancerIPPool{withSelector(testPool(t, "blue", 0, "10.0.1.0/30"), map[string]string{"color": "blue"})}, []step{
			{svc: testSvc("a", "x", withLabel("color", "blue")), wantIPs: "10.0.1.0"},
			{svc: testSvc("a", "y", withLabel("color", "red")), reason: ReasonNoPool, err: ErrNoPool},
		}},
		{"selector on namespace and name meta labels", []*ciliumv2.CiliumLoadBalancerIPPool{
			withSelector(testPool(t, "ns", 0, "10.0.1.0/30"), map[string]string{l2.ServiceNamespaceLabel: "team-a"}),
			withSelector(testPool(t, "nm", 1, "10.0.2.0/30"), map[string]string{l2.ServiceNameLabel: "special"}),
		}, []step{
			{svc: testSvc("team-a", "x"), wantIPs: "10.0.1.0"},
			{svc: testSvc("team-b", "special"), wantIPs: "10.0.2.0"},
			{svc: testSvc("team-b", "other"), reason: ReasonNoPool},
		}},
		{"requested by annotation, alias and spec", p1(), []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.5, 10.0.0.3")), wantIPs: "10.0.0.3,10.0.0.5"},
			{svc: testSvc("a", "y", withAnn("io.cilium/lb-ipam-ips", "10.0.0.6")), wantIPs: "10.0.0.6"},
			{svc: testSvc("a", "z", func(s *corev1.Service) { s.Spec.LoadBalancerIP = "10.0.0.7" }), wantIPs: "10.0.0.7"},
			{svc: testSvc("a", "w"), wantIPs: "10.0.0.0"},
		}},
		{"requested IP outside pools", p1(), []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "192.0.2.1")), reason: ReasonNoPool, err: ErrNoPool},
		}},
		{"requested IP of a pool not selecting", []*ciliumv2.CiliumLoadBalancerIPPool{withSelector(testPool(t, "blue", 0, "10.0.1.0/30"), map[string]string{"color": "blue"})}, []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.1.1")), reason: ReasonSelectorMismatch, err: ErrSelectorMismatch},
		}},
		{"requested IP already allocated", p1(), []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: testSvc("a", "y", withAnn(ipsKey, "10.0.0.4")), reason: ReasonAlreadyAllocated, err: ErrAlreadyAllocated},
		}},
		{"invalid request keeps what is held", p1(), []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.400")), wantIPs: "10.0.0.4", reason: ReasonInvalidRequest, err: ErrInvalidRequest},
		}},
		{"changing the requested IP moves the service", p1(), []step{
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
			{svc: testSvc("a", "x", withAnn(ipsKey, "10.0.0.5")), wantIPs: "10.0.0.5"},
			{svc: testSvc("a", "y"), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "z", withAnn(ipsKey, "10.0.0.4")), wantIPs: "10.0.0.4"},
		}},
		{"sharing: same key, different ports", p1(), []step{
			{svc: testSvc("a", "x", withAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "y", withAnn(spKey, "k"), withPort(443, corev1.ProtocolTCP)), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "z", withAnn(spKey, "k"), withPort(80, corev1.ProtocolUDP)), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "v", withAnn(spKey, "k")), wantIPs: "10.0.0.1"}, // port 80/TCP taken on .0
			{svc: testSvc("a", "u", withAnn(spKey, "other"), withPort(8080, corev1.ProtocolTCP)), wantIPs: "10.0.0.2"},
		}},
		{"sharing: requested IP with incompatible service", p1(), []step{
			{svc: testSvc("a", "x", withAnn(spKey, "k"), withAnn(ipsKey, "10.0.0.3")), wantIPs: "10.0.0.3"},
			{svc: testSvc("a", "y", withAnn(spKey, "k"), withAnn(ipsKey, "10.0.0.3")), reason: ReasonIncompatibleShare, err: ErrIncompatibleSharing},
			{svc: testSvc("a", "z", withAnn(spKey, "j"), withPort(81, corev1.ProtocolTCP), withAnn(ipsKey, "10.0.0.3")), reason: ReasonIncompatibleShare},
			{svc: testSvc("a", "w", withAnn(spKey, "k"), withPort(81, corev1.ProtocolTCP), withAnn(ipsKey, "10.0.0.3")), wantIPs: "10.0.0.3"},
		}},
		{"sharing: namespaces must allow each other", p1(), []step{
			{svc: testSvc("a", "x", withAnn(spKey, "k"), withAnn(xnsKey, "b")), wantIPs: "10.0.0.0"},
			{svc: testSvc("c", "y", withAnn(spKey, "k"), withAnn(xnsKey, "*"), withPort(81, "TCP")), wantIPs: "10.0.0.1"},   // a does not allow c
			{svc: testSvc("b", "z", withAnn(spKey, "k"), withPort(82, "TCP")), wantIPs: "10.0.0.2"},                         // b does not allow a
			{svc: testSvc("b", "w", withAnn(spKey, "k"), withAnn(xnsKey, "a,c"), withPort(83, "TCP")), wantIPs: "10.0.0.0"}, // both allow
		}},
		{"sharing: externalTrafficPolicy must match", p1(), []step{
			{svc: testSvc("a", "x", withAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "y", withAnn(spKey, "k"), withPort(81, "TCP"), func(s *corev1.Service) {
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.Selector = map[string]string{"app": "y"}
			}), wantIPs: "10.0.0.1"},
		}},
		{"sharing: a port change that clashes moves the changed service", p1(), []step{
			{svc: testSvc("a", "x", withAnn(spKey, "k")), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "y", withAnn(spKey, "k"), withPort(81, "TCP")), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "y", withAnn(spKey, "k")), wantIPs: "10.0.0.1"},
		}},
		{"load balancer classes", p1(), []step{
			{svc: testSvc("a", "none"), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "l2", withClass("io.cilium/l2-announcer")), wantIPs: "10.0.0.1"},
			{svc: testSvc("a", "bgp", withClass("io.cilium/bgp-control-plane")), wantIPs: "10.0.0.2"},
			{svc: testSvc("a", "other", withClass("example.com/lb")), unmanaged: true},
			{svc: testSvc("a", "np", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), unmanaged: true},
			{svc: testSvc("a", "after"), wantIPs: "10.0.0.3"},
			// Moving to a foreign class releases the address.
			{svc: testSvc("a", "l2", withClass("example.com/lb")), unmanaged: true},
			{svc: testSvc("a", "later"), wantIPs: "10.0.0.1"},
		}},
		{"dual stack", []*ciliumv2.CiliumLoadBalancerIPPool{testPool(t, "ds", 0, "10.0.0.0/30", "2001:db8::/126")}, []step{
			{svc: testSvc("a", "both", withFamilies(corev1.IPFamilyPolicyRequireDualStack, corev1.IPv6Protocol, corev1.IPv4Protocol)), wantIPs: "10.0.0.0,2001:db8::"},
			{svc: testSvc("a", "prefer", withFamilies(corev1.IPFamilyPolicyPreferDualStack)), wantIPs: "10.0.0.1,2001:db8::1"},
			{svc: testSvc("a", "v6", withFamilies(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), wantIPs: "2001:db8::2"},
			{svc: testSvc("a", "v4"), wantIPs: "10.0.0.2"},
			// Dropping IPv6 releases it; the next IPv6 request gets it back.
			{svc: testSvc("a", "both", withFamilies(corev1.IPFamilyPolicySingleStack, corev1.IPv4Protocol)), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "v6b", withFamilies(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), wantIPs: "2001:db8::"},
		}},
		{"IPv6 service with only IPv4 pools", p1(), []step{
			{svc: testSvc("a", "v6", withFamilies(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)), reason: ReasonNoPool},
		}},
		{"release frees the lowest address again", p1(), []step{
			{svc: testSvc("a", "x"), wantIPs: "10.0.0.0"},
			{svc: testSvc("a", "y"), wantIPs: "10.0.0.1"},
			{svc: testSvc("a", "x"), release: true},
			{svc: testSvc("a", "z"), wantIPs: "10.0.0.0"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.pools, tc.steps) })
	}
}

func TestPoolPriorityOrder(t *testing.T) {
	a := NewAllocator()
	// Older catch-all, newer catch-all, and a selector pool: the selector pool comes first,
	// then by age, then by name.
	for _, p := range []*ciliumv2.CiliumLoadBalancerIPPool{
		testPool(t, "zeta-old", 0, "10.1.0.0/32"),
		testPool(t, "alpha-new", 5, "10.2.0.0/32"),
		testPool(t, "beta-new", 5, "10.3.0.0/32"),
		withSelector(testPool(t, "specific", 9, "10.4.0.0/32"), map[string]string{"tier": "edge"}),
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
		res := a.Assign(testSvc("ns", string(rune('a'+i)), withLabel("tier", "edge")))
		if ipsString(res.IPs) != w {
			t.Errorf("service %d got %v, want %s", i, res.IPs, w)
		}
	}
}

func TestPoolConflicts(t *testing.T) {
	a := NewAllocator()
	older := testPool(t, "older", 0, "10.0.0.0/30")
	newer := testPool(t, "newer", 1, "10.0.0.2-10.0.0.9")
	self := testPool(t, "self", 2, "10.9.0.0/30")
	self.Spec.Blocks = append(self.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Start: "10.9.0.3", Stop: "10.9.0.4"})
	_ = a.SetPool(newer)
	_ = a.SetPool(older)
	if err := a.SetPool(self); !errors.Is(err, ErrPoolConflict) {
		t.Errorf("self-overlapping pool: %v", err)
	}
	for _, c := range []struct {
		name     string
		conflict bool
	}{{"older", false}, {"newer", true}, {"self", true}} {
		st, _ := a.PoolStatus(c.name)
		if st.Conflicting != c.conflict || (c.conflict && (st.Available.Sign() != 0 || !errors.Is(st.Err, ErrPoolConflict))) {
			t.Errorf("%s: conflicting %v available %v err %v", c.name, st.Conflicting, st.Available, st.Err)
		}
	}
	// Only the older pool gives out addresses.
	for i, w := range []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", ""} {
		res := a.Assign(testSvc("ns", string(rune('a'+i))))
		if ipsString(res.IPs) != w {
			t.Errorf("service %d: %v, want %q", i, res.IPs, w)
		}
	}
	// Deleting the older pool settles the conflict: newer now gives out what is free.
	a.DeletePool("older")
	if st, _ := a.PoolStatus("newer"); st.Conflicting || st.Used.Int64() != 2 || st.Available.Int64() != 6 {
		t.Errorf("newer after delete: conflicting %v used %v available %v", st.Conflicting, st.Used, st.Available)
	}
	res := a.Assign(testSvc("ns", "late"))
	if ipsString(res.IPs) != "10.0.0.4" {
		t.Errorf("late service: %v (%v)", res.IPs, res.Err)
	}
	// The services holding .0 and .1 keep them and are told no pool contains them.
	res = a.Assign(testSvc("ns", "a"))
	if ipsString(res.IPs) != "10.0.0.0" || res.Reason != ReasonNotInPool {
		t.Errorf("service a: %v reason %q", res.IPs, res.Reason)
	}
}

func TestDisabledPoolKeepsWhatItGave(t *testing.T) {
	a := NewAllocator()
	p := testPool(t, "p", 0, "10.0.0.0/31")
	_ = a.SetPool(p)
	if res := a.Assign(testSvc("ns", "x")); ipsString(res.IPs) != "10.0.0.0" {
		t.Fatalf("x: %v", res.IPs)
	}
	d := p.DeepCopy()
	d.Spec.Disabled = true
	_ = a.SetPool(d)
	if res := a.Assign(testSvc("ns", "x")); ipsString(res.IPs) != "10.0.0.0" || !res.Satisfied {
		t.Errorf("x after disable: %v %v", res.IPs, res.Err)
	}
	if res := a.Assign(testSvc("ns", "y")); len(res.IPs) != 0 || res.Reason != ReasonNoPool {
		t.Errorf("y from disabled pool: %v %q", res.IPs, res.Reason)
	}
	if res := a.Assign(testSvc("ns", "z", withAnn("lbipam.cilium.io/ips", "10.0.0.1"))); len(res.IPs) != 0 || res.Reason != ReasonNoPool {
		t.Errorf("z requesting from disabled pool: %v %q", res.IPs, res.Reason)
	}
	st, _ := a.PoolStatus("p")
	if !st.Disabled || st.Used.Int64() != 1 || st.Available.Sign() != 0 || st.Total.Int64() != 2 {
		t.Errorf("status %+v", st)
	}
}

func TestStability(t *testing.T) {
	pool := testPool(t, "p", 0, "10.0.0.0/28")
	a := NewAllocator()
	_ = a.SetPool(pool)
	var svcs []*corev1.Service
	for i := range 5 {
		s := testSvc("ns", string(rune('a'+i)))
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
		b := NewAllocator()
		_ = b.SetPool(pool)
		for _, s := range kept {
			if err := b.Adopt(s); err != nil {
				t.Fatal(err)
			}
		}
		res := b.Assign(testSvc("ns", "new"))
		if ipsString(res.IPs) != "10.0.0.1" {
			t.Errorf("new service after restart: %v", res.IPs)
		}
		for _, s := range kept {
			if res := b.Assign(s); ipsString(res.IPs) != s.Status.LoadBalancer.Ingress[0].IP || !res.Satisfied {
				t.Errorf("%s moved: %v (was %s) %v", s.Name, res.IPs, s.Status.LoadBalancer.Ingress[0].IP, res.Err)
			}
		}
	})
	t.Run("pool edit still containing", func(t *testing.T) {
		edited := pool.DeepCopy()
		edited.Spec.Blocks = []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{{Start: "10.0.0.2", Stop: "10.0.0.4"}, {Cidr: "10.5.0.0/30"}}
		_ = a.SetPool(edited)
		for _, s := range kept {
			if res := a.Assign(s); ipsString(res.IPs) != s.Status.LoadBalancer.Ingress[0].IP {
				t.Errorf("%s moved: %v", s.Name, res.IPs)
			}
		}
		// .0 is outside the edited pool: kept, reported, not reassigned.
		res := a.Assign(svcs[0])
		if res.Reason != ReasonNotInPool || !errors.Is(res.Err, ErrNotInPool) || res.Satisfied {
			t.Errorf("a after edit: reason %q err %v", res.Reason, res.Err)
		}
		// Free in the edited pool: .3 only (.2 and .4 are held), then the new block.
		for _, w := range []string{"10.0.0.3", "10.5.0.0"} {
			if res := a.Assign(testSvc("ns", "n"+w)); ipsString(res.IPs) != w {
				t.Errorf("new service: %v, want %s", res.IPs, w)
			}
		}
	})
	t.Run("selector edit reported, not moved", func(t *testing.T) {
		sel := pool.DeepCopy()
		sel.Spec.ServiceSelector = &slimv1.LabelSelector{MatchLabels: map[string]string{"x": "y"}}
		_ = a.SetPool(sel)
		res := a.Assign(svcs[2])
		if ipsString(res.IPs) != "10.0.0.2" || res.Reason != ReasonSelectorMismatch {
			t.Errorf("c after selector edit: %v %q", res.IPs, res.Reason)
		}
	})
}

func TestBuilderValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    *PoolBuilder
		want []error
	}{
		{"bad name", NewPool("Bad_Name", CIDRBlock(mustPrefix("10.0.0.0/24"))), []error{ErrInvalidPool}},
		{"no blocks", NewPool("p"), []error{ErrInvalidPool}},
		{"unmasked", NewPool("p", CIDRBlock(mustPrefix("10.0.0.1/24"))), []error{ErrInvalidBlock}},
		{"reversed range", NewPool("p", BlockRange(mustAddr("10.0.0.9"), mustAddr("10.0.0.1"))), []error{ErrInvalidBlock}},
		{"mixed family", NewPool("p", BlockRange(mustAddr("10.0.0.1"), mustAddr("2001:db8::1"))), []error{ErrInvalidBlock}},
		{"empty block", NewPool("p", Block{}), []error{ErrInvalidBlock}},
		{"overlap", NewPool("p", CIDRBlock(mustPrefix("10.0.0.0/24")), CIDRBlock(mustPrefix("10.0.0.128/25"))), []error{ErrPoolConflict}},
		{"bad selector", NewPool("p", CIDRBlock(mustPrefix("10.0.0.0/24"))).ServiceSelector(&slimv1.LabelSelector{
			MatchExpressions: []slimv1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}), []error{ErrInvalidSelector}},
		{"all at once", NewPool("", CIDRBlock(mustPrefix("10.0.0.1/24")), Block{}), []error{ErrInvalidPool, ErrInvalidBlock}},
		{"ok", NewPool("p", CIDRBlock(mustPrefix("10.0.0.0/24")), BlockRange(mustAddr("2001:db8::1"), mustAddr("2001:db8::9"))).AllowFirstLastIPs(false).Disabled(true), nil},
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

func TestValidatePoolFromCluster(t *testing.T) {
	// The CRD schema accepts start/stop values that are not IPs; the allocator does not.
	p := testPool(t, "p", 0, "10.0.0.0/30")
	p.Spec.Blocks = []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{{Start: "10.10.200.1", Stop: "10.10.200.300"}}
	if err := ValidatePool(p); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("ValidatePool: %v", err)
	}
	a := NewAllocator()
	if err := a.SetPool(p); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("SetPool: %v", err)
	}
	if res := a.Assign(testSvc("ns", "x")); res.Reason != ReasonNoPool {
		t.Errorf("invalid pool gave %v (%q)", res.IPs, res.Reason)
	}
}

// TestBuilderRepeatedCalls checks what the setter docs promise: the last call wins, the
// builder copies its blocks, and the pool shares nothing with the builder.
func TestBuilderRepeatedCalls(t *testing.T) {
	blocks := []Block{CIDRBlock(mustPrefix("10.0.0.0/24"))}
	sel := &slimv1.LabelSelector{MatchLabels: map[string]string{"a": "1"}}
	b := NewPool("p", blocks...).
		AllowFirstLastIPs(false).AllowFirstLastIPs(true).
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"old": "x"}}).ServiceSelector(sel).
		Disabled(true).Disabled(false)
	blocks[0] = CIDRBlock(mustPrefix("192.0.2.0/24"))
	p, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.AllowFirstLastIPs != ciliumv2.AllowFirstLastIPYes || p.Spec.Disabled ||
		p.Spec.ServiceSelector.MatchLabels["a"] != "1" || len(p.Spec.ServiceSelector.MatchLabels) != 1 {
		t.Errorf("last call did not win: %+v", p.Spec)
	}
	if len(p.Spec.Blocks) != 1 || p.Spec.Blocks[0].Cidr != "10.0.0.0/24" {
		t.Errorf("blocks %+v, want the ones passed to NewPool", p.Spec.Blocks)
	}
	sel.MatchLabels["a"] = "2"
	if p.Spec.ServiceSelector.MatchLabels["a"] != "1" {
		t.Error("built pool shares its selector with the caller")
	}
}
