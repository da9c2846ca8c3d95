package kvstore

// Note names something a decoded value holds that Cilium's own readers accept but
// ciliumkit would not write itself. The value is kept as it is; importers count notes in
// Stats.Notes so that a peer writing unusual data is visible without losing a service.
type Note string

// Notes DecodeClusterService reports.
const (
	// NoteUnknownField: JSON fields the wire format does not define (a newer peer's);
	// ignored, as Cilium's json.Unmarshal ignores them.
	NoteUnknownField Note = "unknown-field"
	// NoteNonCanonicalIP: a frontend or backend address that netip.ParseAddr accepts but
	// that is not in canonical text form: IPv4-mapped IPv6 (::ffff:10.0.0.1), upper case or
	// uncompressed IPv6, or zoned. Kept as written, as Cilium keeps what the API server
	// stored.
	NoteNonCanonicalIP Note = "noncanonical-ip"
	// NoteBadPort: a port entry that is null, has port 0 or a protocol other than TCP, UDP
	// or SCTP. Kept in the value; ClusterService.MeshBackends skips it.
	NoteBadPort Note = "bad-port"
	// NoteBadName: a namespace or service name that is not a DNS label.
	NoteBadName Note = "bad-name"
	// NoteBadAddress: a hostnames or zones entry keyed by something that is not an IP
	// address.
	NoteBadAddress Note = "bad-address"
)

// notes collects distinct notes in the order they were first added.
type notes []Note

func (n *notes) add(x Note) {
	for _, y := range *n {
		if y == x {
			return
		}
	}
	*n = append(*n, x)
}

func (n notes) list() []Note {
	if len(n) == 0 {
		return nil
	}
	return []Note(n)
}
