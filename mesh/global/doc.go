// Package global reads and writes the ClusterMesh global-service annotations on Kubernetes
// objects: service.cilium.io/global, /shared, /affinity and /global-sync-endpoint-slices on
// Services (and their legacy io.cilium/* aliases when reading), and
// clustermesh.cilium.io/global on Namespaces. The model it reads into and writes from is
// lb.Global.
//
// Reading is stricter than Cilium, which takes any unknown value as false or none: an
// invalid value is an error naming the object, the key and the value. Writing never emits
// the literal affinity "none" (Cilium 1.18.6 and 1.19.3 treat it as local-only).
package global
