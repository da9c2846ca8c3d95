package datapath

// splitFamilies partitions keys and the parallel vals by address family, in order: the
// IPv4 entries keep their types, the IPv6 ones (six reports them) are converted by conv
// to the IPv6 maps' types. Without an IPv6 entry keys and vals are returned as they are.
func splitFamilies[K, V, K6, V6 any](keys []K, vals []V, six func(*K) bool, conv func(*K, *V) (K6, V6)) ([]K, []V, []K6, []V6) {
	n6 := 0
	for i := range keys {
		if six(&keys[i]) {
			n6++
		}
	}
	if n6 == 0 {
		return keys, vals, nil, nil
	}
	k4, v4 := make([]K, 0, len(keys)-n6), make([]V, 0, len(keys)-n6)
	k6, v6 := make([]K6, 0, n6), make([]V6, 0, n6)
	for i := range keys {
		if !six(&keys[i]) {
			k4, v4 = append(k4, keys[i]), append(v4, vals[i])
			continue
		}
		a, b := conv(&keys[i], &vals[i])
		k6, v6 = append(k6, a), append(v6, b)
	}
	return k4, v4, k6, v6
}

// splitKeys is splitFamilies for keys without values.
func splitKeys[K, K6 any](keys []K, six func(*K) bool, conv func(*K) K6) ([]K, []K6) {
	k4, _, k6, _ := splitFamilies(keys, make([]struct{}, len(keys)), six,
		func(k *K, _ *struct{}) (K6, struct{}) { return conv(k), struct{}{} })
	return k4, k6
}

func svcKeyIs6(k *svcKey) bool       { return is6(k.Vip) }
func revnatKeyIs6(k *revnatKey) bool { return is6(k.Addr) }
