// Package meshtest starts throwaway clusters for trying ciliumkit without clusters of your
// own, in the style of net/http/httptest and controller-runtime's envtest: each Cluster
// is a real kube-apiserver on a real embedded etcd, on loopback, with Cilium's CRDs
// installed, one Node registered, and nothing else — no kubelet, no pods. Connect, Enable,
// Status and the policy and LB IPAM calls work against it; MarkAPIServerReady stands in
// for the kubelet that would start the clustermesh-apiserver pod.
//
// The kube-apiserver binary is the one ciliumkit's own tests use: built from the
// k8s.io/kubernetes module source by .ci/build-kube-apiserver and cached under
// ${CIK_CACHE_DIR:-$HOME/.cache/ciliumkit}/kube-apiserver/<version>/ (CIK_KUBE_APISERVER
// overrides the path). Without it, Start skips the test with the reason (or fails it
// under CIK_REQUIRE_PRIVILEGED=1).
package meshtest
