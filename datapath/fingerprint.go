package datapath

import "github.com/ciliumkit/ciliumkit/datapath/maglev"

// fingerprint identifies a Maglev row's inputs: M and each candidate backend with its ID.
// It does not depend on the candidates' order. It is stored in the services map (svc_val)
// and compared after a restart, so its values must not change between versions.
func fingerprint(m uint32, cand []maglev.Backend, ids []uint32) uint64 {
	if len(cand) == 0 {
		return 0
	}
	sum := maglev.Mix64(uint64(m)<<32 | uint64(len(cand)))
	for i := range cand {
		sum += maglev.Mix64(cand[i].Hash() ^ uint64(ids[i])*0x9e3779b97f4a7c15)
	}
	return sum | 1
}
