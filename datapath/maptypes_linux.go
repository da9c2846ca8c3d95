package datapath

// The hand-written map types must stay convertible to the generated ones: these
// conversions compile only while both have the same fields, with the same names and types,
// in the same order (so the same layout).
var (
	_ = lbSvcKey(svcKey{})
	_ = lbSvcVal(svcVal{})
	_ = lbBackend(backendEntry{})
	_ = lbRevnatKey(revnatKey{})
	_ = lbRevnatVal(revnatVal{})
	_ = lbEgressKey(egressKey{})
	_ = lbEgressVal(egressVal{})
	_ = lbL2Key(l2Key{})
	_ = lbL2Val(l2Val{})
	_ = lbSvcKey6(svcKey6{})
	_ = lbBackend6(backendEntry6{})
	_ = lbRevnatKey6(revnatKey6{})
	_ = lbRevnatVal6(revnatVal6{})
	_ = lbL2Key6(l2Key6{})
)
