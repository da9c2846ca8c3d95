// Package interop holds no code: its tests run ciliumkit's kvstore, clustermesh and global
// packages against Cilium's own processes (etcdinit, etcd, kvstoremesh and the clustermesh
// subcommand of clustermesh-apiserver, built from the Cilium module in go.mod) started by
// internal/ciliumproc with the container commands, args, env and volumes the real Cilium
// chart renders from ciliumkit's Helm values.
//
// One mesh of five pods serves every test:
//
//	tokyo (1)  etcd only; ciliumkit's Exporter plays its clustermesh-apiserver, with KeepAlive
//	nara  (4)  etcd and an idle kvstoremesh, with the chart's own certificates
//	           (tls.auto.method=helm); ciliumkit exports into it and writes a single heartbeat
//	osaka (3)  etcd and Cilium's clustermesh subcommand against a real kube-apiserver,
//	           tls.authMode=cluster, peers hk and kyoto
//	hk    (2)  etcd and Cilium's kvstoremesh, peers tokyo, nara and osaka (authMode migration)
//	kyoto (6)  etcd and Cilium's kvstoremesh, tls.authMode=cluster, peer osaka
//
// The tests need root and the binaries .ci/build-cilium-bins and .ci/build-kube-apiserver
// cache; they skip without them, and fail instead under CIK_REQUIRE_PRIVILEGED=1. The
// heartbeat test waits for Cilium's fixed two-minute heartbeat timeout (there is no flag to
// shorten it in Cilium 1.19), in parallel with the others.
package interop
