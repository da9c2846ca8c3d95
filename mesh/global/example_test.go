package global_test

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/global"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

func ExampleSet() {
	svc, err := global.Set(corev1ac.Service("userlist-svc", "song"), lb.Global{Affinity: lb.AffinityLocal})
	if err != nil {
		fmt.Println(err)
		return
	}
	keys := make([]string, 0, len(svc.Annotations))
	for k := range svc.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s: %q\n", k, svc.Annotations[k])
	}
	// Output:
	// service.cilium.io/affinity: "local"
	// service.cilium.io/global: "true"
	// service.cilium.io/shared: "true"
}

func ExampleFromService() {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "song", Name: "userlist-svc", Annotations: map[string]string{
		"io.cilium/global-service": "true", // legacy alias
		"service.cilium.io/shared": "false",
	}}}
	g, err := global.FromService(svc)
	fmt.Printf("affinity=%s shared=%v err=%v\n", g.Affinity, !g.Unshared, err)

	svc.Annotations["service.cilium.io/affinity"] = "nearest"
	_, err = global.FromService(svc)
	fmt.Println(err)
	// Output:
	// affinity=none shared=false err=<nil>
	// service song/userlist-svc: annotation service.cilium.io/affinity="nearest": lb: invalid service affinity "nearest": want none, local or remote
}
