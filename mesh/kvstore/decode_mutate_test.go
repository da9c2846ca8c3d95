package kvstore

import (
	"math/rand/v2"
	"testing"
)

// TestDecodeFastMutations runs the differential check of FuzzDecodeFast on mutations of
// its seeds (bytes replaced by JSON's structural and edge bytes, deleted, spans
// repeated), from a fixed seed, so that every plain test run covers more than the seeds.
func TestDecodeFastMutations(t *testing.T) {
	seeds := fastSeeds(t)
	key := ServiceKey("hk", "song", "userlist-svc")
	r := rand.New(rand.NewPCG(17, 11))
	const edge = "{}[],:\"\\ \t\n0123456789-+.eEntfrua\x00\x1f\x7f\xc3\xa9\xff"
	fast := 0
	for range 10000 {
		b := []byte(seeds[r.IntN(len(seeds))])
		for range 1 + r.IntN(3) {
			if len(b) == 0 {
				break
			}
			i := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b[i] = edge[r.IntN(len(edge))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			case 2:
				j := i + r.IntN(min(len(b)-i, 24)+1)
				b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
			}
		}
		if decodeBoth(t, key, b) {
			fast++
		}
	}
	t.Logf("%d of 10000 mutations took the fast path", fast)
	if fast == 0 {
		t.Fatal("no mutation took the fast path")
	}
}
