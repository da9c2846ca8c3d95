// Package apply writes Kubernetes objects with server-side apply under one field
// manager, "ciliumkit", so that re-applying the same object changes nothing (not even
// its resourceVersion) and fields owned by other managers are left alone.
package apply
