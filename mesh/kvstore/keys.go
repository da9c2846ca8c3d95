package kvstore

import "strings"

// Key prefixes of ClusterMesh's etcd layout (stable API in Cilium).
const (
	// ServicesPrefix holds one ClusterService per key:
	// ServicesPrefix/<cluster>/<namespace>/<name>.
	ServicesPrefix = "cilium/state/services/v1"
	// ClusterConfigPrefix holds each cluster's config: ClusterConfigPrefix/<cluster>.
	ClusterConfigPrefix = "cilium/cluster-config"
	// SyncedPrefix holds the sync canaries: SyncedPrefix/<cluster>/<prefix>, written once
	// the cluster's initial state under <prefix> is complete.
	SyncedPrefix = "cilium/synced"
	// HeartbeatKey is updated periodically by the kvstore's owner.
	HeartbeatKey = "cilium/.heartbeat"
)

// ServiceKey returns the key of a service: cilium/state/services/v1/<cluster>/<ns>/<name>.
func ServiceKey(cluster, namespace, name string) string {
	return ServicesPrefix + "/" + cluster + "/" + namespace + "/" + name
}

// ClusterServicesPrefix returns the prefix of every service key of cluster, with a
// trailing slash.
func ClusterServicesPrefix(cluster string) string { return ServicesPrefix + "/" + cluster + "/" }

// ClusterConfigKey returns cilium/cluster-config/<cluster>.
func ClusterConfigKey(cluster string) string { return ClusterConfigPrefix + "/" + cluster }

// ServicesSyncedKey returns the canary key cilium/synced/<cluster>/cilium/state/services/v1.
func ServicesSyncedKey(cluster string) string {
	return SyncedPrefix + "/" + cluster + "/" + ServicesPrefix
}

// splitServiceKey splits a full service key of cluster into namespace and name.
func splitServiceKey(cluster, key string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, ClusterServicesPrefix(cluster))
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return namespace, name, true
}
