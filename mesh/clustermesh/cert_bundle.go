package clustermesh

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// CAMismatchPolicy says what Connect does when the clusters' Cilium CAs differ.
type CAMismatchPolicy int

const (
	// RefuseCAMismatch (the default) fails with a *CAMismatchError.
	RefuseCAMismatch CAMismatchPolicy = iota
	// MergeCAs puts every mesh CA into each cluster's trust bundle (the ca.crt of its
	// clustermesh-apiserver certificate Secrets), as cilium-cli does, and logs a warning.
	MergeCAs
)

// CAMismatchError reports clusters whose Cilium CAs differ. It wraps ErrCAMismatch.
type CAMismatchError struct {
	// Fingerprints maps each cluster name to its CA's fingerprint (see CA.Fingerprint).
	Fingerprints map[string]string
}

// Error lists the clusters and their CA fingerprints, sorted by cluster name.
func (e *CAMismatchError) Error() string {
	names := make([]string, 0, len(e.Fingerprints))
	for n := range e.Fingerprints {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + e.Fingerprints[n]
	}
	return ErrCAMismatch.Error() + ": " + strings.Join(parts, ", ")
}

// Unwrap returns ErrCAMismatch.
func (e *CAMismatchError) Unwrap() error { return ErrCAMismatch }

// checkCAs returns a *CAMismatchError when cas (cluster name -> CA) hold more than one
// distinct CA, else nil.
func checkCAs(cas map[string]*CA) error {
	fps := map[string]string{}
	distinct := map[string]bool{}
	for n, ca := range cas {
		fps[n] = ca.Fingerprint()
		distinct[fps[n]] = true
	}
	if len(distinct) > 1 {
		return &CAMismatchError{Fingerprints: fps}
	}
	return nil
}

// TrustBundle returns the PEM bundle a cluster signed by own trusts: own first, then
// every other distinct CA ordered by fingerprint, so the result is deterministic.
func TrustBundle(own *CA, others ...*CA) []byte {
	var b bytes.Buffer
	b.Write(own.ca.CertPEM)
	seen := map[string]bool{own.Fingerprint(): true}
	rest := slices.Clone(others)
	slices.SortFunc(rest, func(a, b *CA) int { return strings.Compare(a.Fingerprint(), b.Fingerprint()) })
	for _, ca := range rest {
		if fp := ca.Fingerprint(); !seen[fp] {
			seen[fp] = true
			if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
				b.WriteByte('\n')
			}
			b.Write(ca.ca.CertPEM)
		}
	}
	return b.Bytes()
}

// String returns "refuse" or "merge".
func (p CAMismatchPolicy) String() string {
	switch p {
	case RefuseCAMismatch:
		return "refuse"
	case MergeCAs:
		return "merge"
	}
	return fmt.Sprintf("CAMismatchPolicy(%d)", int(p))
}
