// Package testenv runs the real components ciliumkit's tests talk to: an embedded etcd
// (go.etcd.io/etcd/server/v3/embed), a real kube-apiserver built from the
// k8s.io/kubernetes module source, and Cilium's CRDs installed from the Cilium module.
//
// Every environment picks its own free loopback ports, so several run side by side in one
// test (two environments are two clusters). Everything started is stopped through
// testing.TB.Cleanup.
//
// The kube-apiserver binary is built once per machine by .ci/build-kube-apiserver and
// cached under $CIK_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/ciliumkit) in
// kube-apiserver/<version>/kube-apiserver. CIK_KUBE_APISERVER overrides the path.
//
// Privileged tests call RequirePrivileged: it skips with the reason when the process lacks
// the privilege, and fails instead when CIK_REQUIRE_PRIVILEGED=1, so that CI can never go
// green by skipping the real datapath.
package testenv
