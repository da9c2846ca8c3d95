package datapath

import "github.com/ciliumkit/ciliumkit/datapath/maglev"

// fingerprint identifies a Maglev row's inputs: M and each candidate backend with its ID.
// It does not depend on the candidates' order. It is stored in the services map (svc_val)
// and compared after a restart, so its values must not change between versions.
func fingerprint(m uint32, cand []maglev.Backend, ids []uint32) uint64 {
	if len(cand) == 0 {
		return 0
	}
	sum := mix64(uint64(m)<<32 | uint64(len(cand)))
	for i := range cand {
		sum += mix64(cand[i].Hash() ^ uint64(ids[i])*0x9e3779b97f4a7c15)
	}
	return sum | 1
}

// mix64 is a 64-bit finalizer (MurmurHash3's fmix64), the one package maglev uses.
func mix64(z uint64) uint64 {
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	z ^= z >> 33
	return z
}
