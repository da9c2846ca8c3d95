// Package apply writes Kubernetes objects with server-side apply under one field
// manager, "ciliumkit", so that re-applying the same object changes nothing (not even
// its resourceVersion). Fields the applied object does not set are left to their other
// managers; conflicts on the fields it does set are forced, so ciliumkit owns them.
package apply
