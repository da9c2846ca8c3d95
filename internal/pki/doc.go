// Package pki issues X.509 certificate authorities and leaf certificates in PEM form.
//
// It is the one place in ciliumkit that creates X.509 keys and certificates: the test
// environment uses it for its API server (including the service-account signing key)
// and etcd, and mesh/ uses it for the ClusterMesh CA and the clustermesh-apiserver
// certificates. Keys are ECDSA P-256 unless a caller asks otherwise. Private keys never
// appear in errors.
package pki
