// SPDX-License-Identifier: (MIT OR GPL-2.0)
// The egress gateway LPM map, defined with the same name in lb.c's object (through
// maps.h) and egressgw.c's; the Go loader hands lb.c's map to egressgw.c's programs.

#ifndef CIK_EGRESS_MAP_H
#define CIK_EGRESS_MAP_H

#include "egress_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct egress_key);
	__type(value, struct egress_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_egress_v4 SEC(".maps");

#endif
