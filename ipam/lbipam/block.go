package lbipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// parsedBlock is one parsed block of a pool: its full bounds (used for conflict checks)
// and the addresses it hands out (the bounds minus a reserved first and last address).
type parsedBlock struct {
	bounds ipam.Range
	alloc  ipam.Range
}

// parseAddr parses one block address; zones and IPv4-mapped IPv6 forms are refused so
// that a block has exactly one family.
func parseAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if ip.Zone() != "" || ip.Is4In6() {
		return netip.Addr{}, fmt.Errorf("%q: zoned or IPv4-mapped address", s)
	}
	return ip, nil
}

// parseBlock turns one CRD block into address bounds. reserve is true for
// allowFirstLastIPs "No": a cidr block then gives out neither its first nor its last
// address, except /31, /32, /127 and /128 blocks, which would have nothing left.
// A start/stop range never reserves; an empty stop means the single address start.
func parseBlock(b ciliumv2.CiliumLoadBalancerIPPoolIPBlock, reserve bool) (parsedBlock, error) {
	switch {
	case b.Cidr != "" && (b.Start != "" || b.Stop != ""):
		return parsedBlock{}, fmt.Errorf("cidr %q together with start %q/stop %q: %w", b.Cidr, b.Start, b.Stop, ErrInvalidBlock)
	case b.Cidr != "":
		p, err := netip.ParsePrefix(string(b.Cidr))
		if err != nil {
			return parsedBlock{}, fmt.Errorf("cidr %q: %w: %v", b.Cidr, ErrInvalidBlock, err)
		}
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return parsedBlock{}, fmt.Errorf("cidr %q: zoned or IPv4-mapped prefix: %w", b.Cidr, ErrInvalidBlock)
		}
		bounds := ipam.RangeOf(p)
		alloc := bounds
		if reserve && p.Bits() < p.Addr().BitLen()-1 {
			alloc = between(bounds.First().Next(), bounds.Last().Prev())
		}
		return parsedBlock{bounds: bounds, alloc: alloc}, nil
	case b.Start != "":
		start, err := parseAddr(b.Start)
		if err != nil {
			return parsedBlock{}, fmt.Errorf("start %q: %w: %v", b.Start, ErrInvalidBlock, err)
		}
		stop := start
		if b.Stop != "" {
			if stop, err = parseAddr(b.Stop); err != nil {
				return parsedBlock{}, fmt.Errorf("stop %q: %w: %v", b.Stop, ErrInvalidBlock, err)
			}
		}
		if start.BitLen() != stop.BitLen() {
			return parsedBlock{}, fmt.Errorf("start %s and stop %s of different families: %w", start, stop, ErrInvalidBlock)
		}
		if stop.Less(start) {
			return parsedBlock{}, fmt.Errorf("stop %s before start %s: %w", stop, start, ErrInvalidBlock)
		}
		r := between(start, stop)
		return parsedBlock{bounds: r, alloc: r}, nil
	default:
		return parsedBlock{}, fmt.Errorf("block with neither cidr nor start (stop %q): %w", b.Stop, ErrInvalidBlock)
	}
}

// parseBlocks parses every block of pool, sorted by address, and reports every bad block
// and every overlap between two blocks of the pool, joined.
func parseBlocks(pool *ciliumv2.CiliumLoadBalancerIPPool) ([]parsedBlock, error) {
	reserve := pool.Spec.AllowFirstLastIPs == ciliumv2.AllowFirstLastIPNo
	var errs []error
	blocks := make([]parsedBlock, 0, len(pool.Spec.Blocks))
	for i, b := range pool.Spec.Blocks {
		pb, err := parseBlock(b, reserve)
		if err != nil {
			errs = append(errs, fmt.Errorf("pool %q block %d: %w", pool.Name, i, err))
			continue
		}
		blocks = append(blocks, pb)
	}
	slices.SortFunc(blocks, func(a, b parsedBlock) int { return a.bounds.First().Compare(b.bounds.First()) })
	for i := 1; i < len(blocks); i++ {
		if blocks[i-1].bounds.Overlaps(blocks[i].bounds) {
			errs = append(errs, fmt.Errorf("pool %q: blocks %s-%s and %s-%s overlap: %w", pool.Name,
				blocks[i-1].bounds.First(), blocks[i-1].bounds.Last(), blocks[i].bounds.First(), blocks[i].bounds.Last(), ErrPoolConflict))
		}
	}
	return blocks, errors.Join(errs...)
}
