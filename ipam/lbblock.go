package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
)

// lbBlock is one parsed block of a pool: its full bounds (used for conflict checks) and
// the addresses it hands out (the bounds minus a reserved first and last address).
type lbBlock struct {
	bounds lbInterval
	alloc  lbInterval
}

// parseLBAddr parses one block address; zones and IPv4-mapped IPv6 forms are refused so
// that a block has exactly one family.
func parseLBAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if ip.Zone() != "" || ip.Is4In6() {
		return netip.Addr{}, fmt.Errorf("%q: zoned or IPv4-mapped address", s)
	}
	return ip, nil
}

// parseLBBlock turns one CRD block into address bounds. reserve is true for
// allowFirstLastIPs "No": a cidr block then gives out neither its first nor its last
// address, except /31, /32, /127 and /128 blocks, which would have nothing left.
// A start/stop range never reserves; an empty stop means the single address start.
func parseLBBlock(b ciliumv2.CiliumLoadBalancerIPPoolIPBlock, reserve bool) (lbBlock, error) {
	switch {
	case b.Cidr != "" && (b.Start != "" || b.Stop != ""):
		return lbBlock{}, fmt.Errorf("cidr %q together with start %q/stop %q: %w", b.Cidr, b.Start, b.Stop, ErrLBInvalidBlock)
	case b.Cidr != "":
		p, err := netip.ParsePrefix(string(b.Cidr))
		if err != nil {
			return lbBlock{}, fmt.Errorf("cidr %q: %w: %v", b.Cidr, ErrLBInvalidBlock, err)
		}
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return lbBlock{}, fmt.Errorf("cidr %q: zoned or IPv4-mapped prefix: %w", b.Cidr, ErrLBInvalidBlock)
		}
		p = p.Masked()
		bounds := lbInterval{p.Addr(), lbLastAddr(p)}
		alloc := bounds
		if reserve && p.Bits() < p.Addr().BitLen()-1 {
			alloc = lbInterval{bounds.first.Next(), bounds.last.Prev()}
		}
		return lbBlock{bounds: bounds, alloc: alloc}, nil
	case b.Start != "":
		start, err := parseLBAddr(b.Start)
		if err != nil {
			return lbBlock{}, fmt.Errorf("start %q: %w: %v", b.Start, ErrLBInvalidBlock, err)
		}
		stop := start
		if b.Stop != "" {
			if stop, err = parseLBAddr(b.Stop); err != nil {
				return lbBlock{}, fmt.Errorf("stop %q: %w: %v", b.Stop, ErrLBInvalidBlock, err)
			}
		}
		if start.BitLen() != stop.BitLen() {
			return lbBlock{}, fmt.Errorf("start %s and stop %s of different families: %w", start, stop, ErrLBInvalidBlock)
		}
		if stop.Less(start) {
			return lbBlock{}, fmt.Errorf("stop %s before start %s: %w", stop, start, ErrLBInvalidBlock)
		}
		iv := lbInterval{start, stop}
		return lbBlock{bounds: iv, alloc: iv}, nil
	default:
		return lbBlock{}, fmt.Errorf("block with neither cidr nor start (stop %q): %w", b.Stop, ErrLBInvalidBlock)
	}
}

// lbLastAddr is the highest address of p.
func lbLastAddr(p netip.Prefix) netip.Addr { return fromU128(spanOf(p).to, p.Addr().Is6()) }

// parseLBBlocks parses every block of pool, sorted by address, and reports every bad
// block and every overlap between two blocks of the pool, joined.
func parseLBBlocks(pool *ciliumv2.CiliumLoadBalancerIPPool) ([]lbBlock, error) {
	reserve := pool.Spec.AllowFirstLastIPs == ciliumv2.AllowFirstLastIPNo
	var errs []error
	blocks := make([]lbBlock, 0, len(pool.Spec.Blocks))
	for i, b := range pool.Spec.Blocks {
		lb, err := parseLBBlock(b, reserve)
		if err != nil {
			errs = append(errs, fmt.Errorf("pool %q block %d: %w", pool.Name, i, err))
			continue
		}
		blocks = append(blocks, lb)
	}
	slices.SortFunc(blocks, func(a, b lbBlock) int { return a.bounds.first.Compare(b.bounds.first) })
	for i := 1; i < len(blocks); i++ {
		if blocks[i-1].bounds.overlaps(blocks[i].bounds) {
			errs = append(errs, fmt.Errorf("pool %q: blocks %s-%s and %s-%s overlap: %w", pool.Name,
				blocks[i-1].bounds.first, blocks[i-1].bounds.last, blocks[i].bounds.first, blocks[i].bounds.last, ErrLBPoolConflict))
		}
	}
	return blocks, errors.Join(errs...)
}
