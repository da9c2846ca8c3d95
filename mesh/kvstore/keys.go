package kvstore

import (
	"strings"
	"time"
)

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
	// HeartbeatKey is updated periodically by the kvstore's owner (see HeartbeatInterval).
	HeartbeatKey = "cilium/.heartbeat"

	// StatePrefix is the root of a cluster's own state in its kvstore.
	StatePrefix = "cilium/state"
	// CachePrefix is the root of what kvstoremesh mirrors from remote clusters into the
	// local kvstore: the same layout as StatePrefix, with the cluster name after the
	// resource prefix (CachedServicesPrefix).
	CachePrefix = "cilium/cache"

	// NodesPrefix, IdentitiesPrefix, IPPrefix and ServiceExportsPrefix are the other
	// state prefixes Cilium's kvstoremesh and agents wait for a sync canary of when a
	// cluster config announces syncedCanaries. ciliumkit exports services only; the
	// others are written empty and marked synced.
	NodesPrefix          = "cilium/state/nodes/v1"
	IdentitiesPrefix     = "cilium/state/identities/v1"
	IPPrefix             = "cilium/state/ip/v1"
	ServiceExportsPrefix = "cilium/state/serviceexports/v1"
)

// HeartbeatInterval is how often the owner of a ClusterMesh kvstore updates HeartbeatKey:
// one minute, Cilium's HeartbeatWriteInterval. Cilium's remote clients drop a connection
// whose heartbeat has not changed for twice this interval.
const HeartbeatInterval = time.Minute

// SyncedKey returns the sync canary of prefix for cluster: cilium/synced/<cluster>/<prefix>,
// for example cilium/synced/hk/cilium/state/nodes/v1.
func SyncedKey(cluster, prefix string) string { return SyncedPrefix + "/" + cluster + "/" + prefix }

// CachedServicesPrefix returns where kvstoremesh mirrors cluster's services in the local
// kvstore, with a trailing slash: cilium/cache/services/v1/<cluster>/.
func CachedServicesPrefix(cluster string) string {
	return stateToCache(ServicesPrefix) + "/" + cluster + "/"
}

// CachedServicesSyncedKey returns the canary kvstoremesh writes once cluster's services
// are mirrored: cilium/synced/<cluster>/cilium/cache/services/v1.
func CachedServicesSyncedKey(cluster string) string {
	return SyncedKey(cluster, stateToCache(ServicesPrefix))
}

// stateToCache turns a cilium/state/... prefix into its cilium/cache/... form.
func stateToCache(prefix string) string {
	if rest, ok := strings.CutPrefix(prefix, StatePrefix); ok {
		return CachePrefix + rest
	}
	return prefix
}

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
func ServicesSyncedKey(cluster string) string { return SyncedKey(cluster, ServicesPrefix) }

// splitServiceKey splits a full service key of cluster, in the state or the cache layout,
// into namespace and name.
func splitServiceKey(cluster, key string) (namespace, name string, ok bool) {
	return splitKey(key, ClusterServicesPrefix(cluster), CachedServicesPrefix(cluster))
}

// splitKey is splitServiceKey with the cluster's two prefixes given; namespace and name
// are substrings of key.
func splitKey(key, statePrefix, cachePrefix string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, statePrefix)
	if !ok {
		if rest, ok = strings.CutPrefix(key, cachePrefix); !ok {
			return "", "", false
		}
	}
	namespace, name, ok = strings.Cut(rest, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return namespace, name, true
}
