// Package ciliumproc runs Cilium's own clustermesh-apiserver processes (etcdinit, etcd,
// clustermesh, kvstoremesh) on one machine, with the commands, args, env, volumes and host
// aliases that the real Cilium Helm chart renders from ciliumkit's values.
//
// Each cluster is one "pod": a private network namespace with only loopback up (plus veth
// links to the peers it connects to), and one private mount namespace per container in which
// the pod's volumes (certificate Secrets, the cilium-kvstoremesh config, the users ConfigMap,
// the etcd emptyDir, the service account) and the image's files (/usr/bin/clustermesh-apiserver,
// /usr/bin/etcd, /var/lib/cilium/etcd-config.yaml) are mounted at the paths the Deployment
// names. Nothing listens outside loopback and the namespaces the package creates; the host
// reaches a pod's ports through forwarders on 127.0.0.1 (see Pod.Forward).
//
// The binaries are built once per machine by .ci/build-cilium-bins and cached by version
// under $CIK_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/ciliumkit):
// cilium/<version>/clustermesh-apiserver and etcd/<version>/etcd. CIK_CLUSTERMESH_APISERVER
// and CIK_ETCD override the paths.
//
// Start and Stop need no testing.T; StartT adds the testing.TB conveniences (skip or, under
// CIK_REQUIRE_PRIVILEGED=1, fail when a binary or privilege is missing; Stop at cleanup; the
// tail of every process log on failure). The package never prints: each process logs to a
// file in the pod's directory.
//
// It needs root (network and mount namespaces, overlay and bind mounts) and the util-linux
// and iproute2 tools (unshare, nsenter, mount, ip).
package ciliumproc
