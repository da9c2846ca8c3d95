package kvstore

import "errors"

// Sentinel errors. Rejections of remote data wrap one of the Err* rejection reasons below
// with the key and the offending value; test with errors.Is, count with Reason.
var (
	// ErrTooLarge: a value larger than the importer's size limit.
	ErrTooLarge = errors.New("kvstore: value too large")
	// ErrMalformed: a value that is not one JSON object of the expected shape.
	ErrMalformed = errors.New("kvstore: malformed value")
	// ErrBadKey: a key that is not <prefix>/<cluster>/<namespace>/<name>.
	ErrBadKey = errors.New("kvstore: bad key")
	// ErrClusterMismatch: a value whose cluster name or ID differs from its key or from the
	// remote cluster's config.
	ErrClusterMismatch = errors.New("kvstore: cluster does not match key")
	// ErrNameMismatch: a value whose namespace or name differs from its key.
	ErrNameMismatch = errors.New("kvstore: namespace/name does not match key")
	// ErrBadName: an invalid cluster name; for an Exporter also a namespace or service
	// name that is not a DNS label (importers accept those with NoteBadName).
	ErrBadName = errors.New("kvstore: invalid name")
	// ErrBadClusterID: a cluster ID outside 1-511.
	ErrBadClusterID = errors.New("kvstore: invalid cluster ID")
	// ErrBadIP: a frontend or backend address that netip.ParseAddr refuses; for an Exporter
	// also a hostnames or zones key that is not an IP address. Non-canonical forms are
	// accepted (NoteNonCanonicalIP).
	ErrBadIP = errors.New("kvstore: invalid IP address")
	// ErrBadPort: an Exporter was given a port entry that is missing, has port 0 or a
	// protocol other than TCP, UDP or SCTP (importers accept those with NoteBadPort).
	ErrBadPort = errors.New("kvstore: invalid port")

	// ErrAlreadyRunning: Importer.Run called while another Run of the same importer runs.
	ErrAlreadyRunning = errors.New("kvstore: importer already running")
	// ErrExport: an Exporter was given a service it cannot write.
	ErrExport = errors.New("kvstore: export")
)

// reasons lists the rejection reasons in the order Reason checks them.
var reasons = [...]struct {
	err  error
	name string
}{
	{ErrTooLarge, "too-large"},
	{ErrMalformed, "malformed"},
	{ErrBadKey, "bad-key"},
	{ErrClusterMismatch, "cluster-mismatch"},
	{ErrNameMismatch, "name-mismatch"},
	{ErrBadName, "bad-name"},
	{ErrBadClusterID, "bad-cluster-id"},
	{ErrBadIP, "bad-ip"},
	{ErrBadPort, "bad-port"},
}

// Reason returns the short name of the rejection reason err wraps ("too-large",
// "malformed", "bad-key", "cluster-mismatch", "name-mismatch", "bad-name",
// "bad-cluster-id", "bad-ip", "bad-port"), or "other".
func Reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "other"
}
