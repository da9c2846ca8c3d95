//go:build race

package lbipam

const raceEnabled = true
