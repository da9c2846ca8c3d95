package ipam

import (
	"errors"
	"fmt"
	"net/netip"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// LBBlock is one block of a CiliumLoadBalancerIPPool: either a CIDR (Prefix) or an
// inclusive address range (Start..Stop). Make one with Block or BlockRange.
type LBBlock struct {
	// Prefix is the block's CIDR; it must be masked (no host bits). Zero for a range.
	Prefix netip.Prefix
	// Start and Stop bound an inclusive range of one family; zero for a CIDR block.
	Start, Stop netip.Addr
}

// Block returns a CIDR block. With AllowFirstLastIPs(false) its first and last addresses
// are not handed out, unless it is a /31, /32, /127 or /128.
func Block(p netip.Prefix) LBBlock { return LBBlock{Prefix: p} }

// BlockRange returns an inclusive start..stop block; every address in it is handed out
// (AllowFirstLastIPs does not apply to ranges).
func BlockRange(start, stop netip.Addr) LBBlock { return LBBlock{Start: start, Stop: stop} }

// LBPoolBuilder builds a cilium.io/v2 CiliumLoadBalancerIPPool. The zero settings are
// Cilium's defaults: first and last IPs allowed, every Service selected, enabled.
type LBPoolBuilder struct {
	name     string
	blocks   []LBBlock
	allowFL  *bool
	selector *slimv1.LabelSelector
	disabled bool
}

// NewLBPool starts a pool named name (a DNS-1123 subdomain, at most 253 characters) with
// the given blocks (at least one).
func NewLBPool(name string, blocks ...LBBlock) *LBPoolBuilder {
	return &LBPoolBuilder{name: name, blocks: blocks}
}

// AllowFirstLastIPs sets allowFirstLastIPs to "Yes" (true) or "No" (false). Unset, the
// field is left empty, which Cilium treats as "Yes".
func (b *LBPoolBuilder) AllowFirstLastIPs(allow bool) *LBPoolBuilder {
	b.allowFL = &allow
	return b
}

// ServiceSelector limits the pool to Services whose labels match sel. Besides their own
// labels, Services carry io.kubernetes.service.namespace and io.kubernetes.service.name
// for matching. Nil (the default) selects every Service.
func (b *LBPoolBuilder) ServiceSelector(sel *slimv1.LabelSelector) *LBPoolBuilder {
	b.selector = sel
	return b
}

// Disabled stops the pool from handing out new IPs; Services keep the IPs they have.
// Default false.
func (b *LBPoolBuilder) Disabled(disabled bool) *LBPoolBuilder {
	b.disabled = disabled
	return b
}

// Build validates the settings and returns the pool. It reports every problem at once,
// joined: a bad name (ErrLBInvalidPool), no blocks, an invalid, unmasked or mixed-family
// block (ErrLBInvalidBlock), overlapping blocks (ErrLBPoolConflict) and a selector that
// does not parse (ErrLBInvalidSelector).
func (b *LBPoolBuilder) Build() (*ciliumv2.CiliumLoadBalancerIPPool, error) {
	var errs []error
	for _, msg := range validation.IsDNS1123Subdomain(b.name) {
		errs = append(errs, fmt.Errorf("pool name %q: %s: %w", b.name, msg, ErrLBInvalidPool))
	}
	if len(b.blocks) == 0 {
		errs = append(errs, fmt.Errorf("pool %q has no blocks: %w", b.name, ErrLBInvalidPool))
	}
	pool := &ciliumv2.CiliumLoadBalancerIPPool{
		TypeMeta:   metav1.TypeMeta{APIVersion: ciliumv2.SchemeGroupVersion.String(), Kind: ciliumv2.PoolKindDefinition},
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec: ciliumv2.CiliumLoadBalancerIPPoolSpec{
			ServiceSelector: b.selector,
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
			errs = append(errs, fmt.Errorf("pool %q block %d: prefix %s together with a start/stop range: %w", b.name, i, blk.Prefix, ErrLBInvalidBlock))
		case blk.Prefix.IsValid():
			if blk.Prefix.Masked() != blk.Prefix {
				errs = append(errs, fmt.Errorf("pool %q block %d: prefix %s has host bits set (use %s): %w", b.name, i, blk.Prefix, blk.Prefix.Masked(), ErrLBInvalidBlock))
			}
			pool.Spec.Blocks = append(pool.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Cidr: ciliumv2.IPv4orIPv6CIDR(blk.Prefix.String())})
		case blk.Start.IsValid() && blk.Stop.IsValid():
			pool.Spec.Blocks = append(pool.Spec.Blocks, ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Start: blk.Start.String(), Stop: blk.Stop.String()})
		default:
			errs = append(errs, fmt.Errorf("pool %q block %d: neither a prefix nor a valid start (%s) and stop (%s): %w", b.name, i, blk.Start, blk.Stop, ErrLBInvalidBlock))
		}
	}
	if err := ValidateLBPool(pool); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pool, nil
}

// ValidateLBPool checks a pool as the allocator reads it: every block parses (the CRD
// schema alone accepts start/stop values that are not IPs), blocks of the pool do not
// overlap, and the service selector converts to a label selector. It returns every problem
// joined; the allocator gives nothing out of a pool that fails it.
func ValidateLBPool(pool *ciliumv2.CiliumLoadBalancerIPPool) error {
	_, err := parseLBBlocks(pool)
	errs := []error{err}
	if _, serr := lbPoolSelector(pool); serr != nil {
		errs = append(errs, serr)
	}
	return errors.Join(errs...)
}

// lbPoolSelector converts the pool's service selector; nil means "every Service".
func lbPoolSelector(pool *ciliumv2.CiliumLoadBalancerIPPool) (lbSelector, error) {
	if pool.Spec.ServiceSelector == nil {
		return nil, nil
	}
	sel, err := slimv1.LabelSelectorAsSelector(pool.Spec.ServiceSelector)
	if err != nil {
		return nil, fmt.Errorf("pool %q serviceSelector: %w: %v", pool.Name, ErrLBInvalidSelector, err)
	}
	return sel, nil
}
