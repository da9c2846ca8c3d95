// Package helmsdk loads and renders Helm charts with the Helm SDK, client-side, for the
// values that ciliumkit produces. The install and upgrade path for live clusters lives
// beside it and uses the same loaded chart.
package helmsdk
