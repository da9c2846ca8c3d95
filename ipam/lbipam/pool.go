package lbipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Block is one block of a CiliumLoadBalancerIPPool: either a CIDR (Prefix) or an
// inclusive address range (Start..Stop). Make one with CIDRBlock or BlockRange.
type Block struct {
	// Prefix is the block's CIDR; it must be masked (no host bits). Zero for a range.
	Prefix netip.Prefix
	// Start and Stop bound an inclusive range of one family, Start <= Stop; zero for a
	// CIDR block.
	Start, Stop netip.Addr
}

// CIDRBlock returns a CIDR block. With AllowFirstLastIPs(false) its first and last
// addresses are not handed out, unless it is a /31, /32, /127 or /128.
func CIDRBlock(p netip.Prefix) Block { return Block{Prefix: p} }

// BlockRange returns an inclusive start..stop block; every address in it is handed out
// (AllowFirstLastIPs does not apply to ranges).
func BlockRange(start, stop netip.Addr) Block { return Block{Start: start, Stop: stop} }

// PoolBuilder builds a cilium.io/v2 CiliumLoadBalancerIPPool. The zero settings are
// Cilium's defaults: first and last IPs allowed, every Service selected, enabled. Setters
// only record; Build validates and reports every problem at once.
type PoolBuilder struct {
	name     string
	blocks   []Block
	allowFL  *bool
	selector *slimv1.LabelSelector
	disabled bool
}

// NewPool starts a pool named name (a DNS-1123 subdomain, at most 253 characters) with
// the given blocks (at least one, in the order they appear in spec.blocks). The builder
// keeps its own copy of blocks.
func NewPool(name string, blocks ...Block) *PoolBuilder {
	return &PoolBuilder{name: name, blocks: slices.Clone(blocks)}
}

// AllowFirstLastIPs sets allowFirstLastIPs to "Yes" (true) or "No" (false). Unset, the
// field is left empty, which Cilium treats as "Yes". If called multiple times, the last
// call wins.
func (b *PoolBuilder) AllowFirstLastIPs(allow bool) *PoolBuilder {
	b.allowFL = &allow
	return b
}

// ServiceSelector limits the pool to Services whose labels match sel. Besides their own
// labels, Services carry l2.ServiceNamespaceLabel (io.kubernetes.service.namespace) and
// l2.ServiceNameLabel (io.kubernetes.service.name) for matching. Nil (the default) selects
// every Service. Build stores a deep copy of sel. If called multiple times, the last call
// wins.
func (b *PoolBuilder) ServiceSelector(sel *slimv1.LabelSelector) *PoolBuilder {
	b.selector = sel
	return b
}

// Disabled stops the pool from handing out new IPs; Services keep the IPs they have.
// Default false. If called multiple times, the last call wins.
func (b *PoolBuilder) Disabled(disabled bool) *PoolBuilder {
	b.disabled = disabled
	return b
}

// Build validates the settings and returns the pool. It reports every problem at once,
// joined: a bad name (ErrInvalidPool), no blocks (ErrInvalidPool), an invalid, unmasked
// or mixed-family block (ErrInvalidBlock), overlapping blocks (ErrPoolConflict) and a
// selector that does not parse (ErrInvalidSelector). The pool shares nothing with the
// builder, which may be changed and built again.
func (b *PoolBuilder) Build() (*ciliumv2.CiliumLoadBalancerIPPool, error) {
	var errs []error
	for _, msg := range validation.IsDNS1123Subdomain(b.name) {
		errs = append(errs, fmt.Errorf("pool name %q: %s: %w", b.name, msg, ErrInvalidPool))
	}
	if len(b.blocks) == 0 {
		errs = append(errs, fmt.Errorf("pool %q has no blocks: %w", b.name, ErrInvalidPool))
	}
	pool := &ciliumv2.CiliumLoadBalancerIPPool{
		TypeMeta:   metav1.TypeMeta{APIVersion: ciliumv2.SchemeGroupVersion.String(), Kind: ciliumv2.PoolKindDefinition},
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec: ciliumv2.CiliumLoadBalancerIPPoolSpec{
			ServiceSelector: b.selector.DeepCopy(),
			Disabled:        b.disabled,
		},
	}
	if b.allowFL != nil {
		pool.Spec.AllowFirstLastIPs = ciliumv2.AllowFirstLastIPNo
		if *b.allowFL {
			pool.Spec.AllowFirstLastIPs = ciliumv2.AllowFirstLastIPYes
		}
	}
	for i, blk := range b.blocks {
		switch {
		case blk.Prefix.IsValid() && (blk.Start.IsValid() || blk.Stop.IsValid()):
			errs = append(errs, fmt.Errorf("pool %q block %d: prefix %s together with a start/stop range: %w", b.name, i, blk.Prefix, ErrInvalidBlock))
		case blk.Prefix.IsValid():
			if blk.Prefix.Masked() != blk.Prefix {
				errs = append(errs, fmt.Errorf("pool %q block %d: prefix %s has host bits set (use %s): %w", b.name, i, blk.Prefix, blk.Prefix.Masked(), ErrInvalidBlock))
			}
			pool.Spec.Blocks = append(pool.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Cidr: ciliumv2.IPv4orIPv6CIDR(blk.Prefix.String())})
		case blk.Start.IsValid() && blk.Stop.IsValid():
			pool.Spec.Blocks = append(pool.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Start: blk.Start.String(), Stop: blk.Stop.String()})
		default:
			errs = append(errs, fmt.Errorf("pool %q block %d: neither a prefix nor a valid start (%s) and stop (%s): %w", b.name, i, blk.Start, blk.Stop, ErrInvalidBlock))
		}
	}
	if err := ValidatePool(pool); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pool, nil
}

// ValidatePool checks a pool as the allocator reads it: every block parses (the CRD
// schema alone accepts start/stop values that are not IPs), blocks of the pool do not
// overlap, and the service selector converts to a label selector. It returns every problem
// joined; the allocator gives nothing out of a pool that fails it.
func ValidatePool(pool *ciliumv2.CiliumLoadBalancerIPPool) error {
	_, err := parseBlocks(pool)
	errs := []error{err}
	if _, serr := poolSelector(pool); serr != nil {
		errs = append(errs, serr)
	}
	return errors.Join(errs...)
}

// poolSelector converts the pool's service selector; nil means "every Service".
func poolSelector(pool *ciliumv2.CiliumLoadBalancerIPPool) (labelSelector, error) {
	if pool.Spec.ServiceSelector == nil {
		return nil, nil
	}
	sel, err := slimv1.LabelSelectorAsSelector(pool.Spec.ServiceSelector)
	if err != nil {
		return nil, fmt.Errorf("pool %q serviceSelector: %w: %v", pool.Name, ErrInvalidSelector, err)
	}
	return sel, nil
}
