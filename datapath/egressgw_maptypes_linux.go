package datapath

// The hand-written egress gateway map types must stay convertible to the generated ones.
var (
	_ = egressgwNatKey(natKey{})
	_ = egressgwNatVal(natVal{})
	_ = egressgwEgwCfg(egwCfg{})
	_ = egressgwEgressKey(egressKey{})
	_ = egressgwEgressVal(egressVal{})
)
