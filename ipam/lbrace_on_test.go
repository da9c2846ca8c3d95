//go:build race

package ipam

const lbRaceEnabled = true
