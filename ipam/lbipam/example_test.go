package lbipam_test

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/ipam/lbipam"
)

func ExampleNewPool() {
	pool, err := lbipam.NewPool("cilium-pool", lbipam.CIDRBlock(netip.MustParsePrefix("10.10.200.0/29"))).
		AllowFirstLastIPs(false).Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pool.Kind, pool.Name, pool.Spec.Blocks[0].Cidr, pool.Spec.AllowFirstLastIPs)

	_, err = lbipam.NewPool("bad", lbipam.BlockRange(netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.1"))).Build()
	fmt.Println(err)
	// Output:
	// CiliumLoadBalancerIPPool cilium-pool 10.10.200.0/29 No
	// pool "bad" block 0: stop 10.0.0.1 before start 10.0.0.9: lbipam: invalid pool block
}

func ExampleAllocator() {
	pool, _ := lbipam.NewPool("cilium-pool", lbipam.CIDRBlock(netip.MustParsePrefix("10.10.200.0/29"))).
		AllowFirstLastIPs(false).Build()
	a := lbipam.NewAllocator()
	if err := a.SetPool(pool); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := a.PoolStatus("cilium-pool")
	fmt.Println("available:", st.Available)
	for _, name := range []string{"web", "api", "db"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
		}
		res := a.Assign(svc)
		fmt.Println(name, res.IPs, res.Reason)
	}
	taken := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "late",
			Annotations: map[string]string{"lbipam.cilium.io/ips": "10.10.200.2"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
	}
	res := a.Assign(taken)
	fmt.Println(res.Reason)
	fmt.Println(res.Err)
	st, _ = a.PoolStatus("cilium-pool")
	fmt.Println("total:", st.Total, "used:", st.Used, "available:", st.Available)
	// Output:
	// available: 6
	// web [10.10.200.1] satisfied
	// api [10.10.200.2] satisfied
	// db [10.10.200.3] satisfied
	// already_allocated
	// service default/late: IP 10.10.200.2 is already allocated to service default/api: lbipam: IP already allocated
	// total: 6 used: 3 available: 3
}
