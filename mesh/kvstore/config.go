package kvstore

// Capabilities are what a cluster's ClusterMesh data supports, as in Cilium's cluster
// config.
type Capabilities struct {
	// SyncedCanaries: the cluster writes a canary under SyncedPrefix once each prefix is
	// fully synced. Importers then wait for it before calling the import complete.
	SyncedCanaries bool `json:"syncedCanaries,omitempty"`
	// Cached: the data is a kvstoremesh cache of another kvstore (cilium/cache prefix).
	Cached bool `json:"cached,omitempty"`
	// MaxConnectedClusters is 255 or 511; 0 when unset (Cilium then assumes 255).
	MaxConnectedClusters uint32 `json:"maxConnectedClusters,omitempty"`
	// ServiceExportsEnabled tells whether MCS-API ServiceExports are enabled; nil when the
	// cluster does not support them.
	ServiceExportsEnabled *bool `json:"serviceExportsEnabled,omitempty"`
}

// ClusterConfig is the value under ClusterConfigKey: the cluster's ID and capabilities.
type ClusterConfig struct {
	// ID is the cluster ID, 1-511.
	ID uint32 `json:"id,omitempty"`
	// Capabilities of the cluster's ClusterMesh data.
	Capabilities Capabilities `json:"capabilities,omitempty"`
}
