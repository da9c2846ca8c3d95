package clustermesh

import (
	"log/slog"
	"time"
)

// ConnectOptions configure Connect. The zero value builds a full mesh, reuses the CA
// already in the clusters (or creates one), refuses differing CAs, and uses the
// EnableOptions and CertOptions defaults.
type ConnectOptions struct {
	// CA signs the certificates of clusters that have no cilium-ca Secret yet. A cluster
	// that already has one keeps it. nil: the first cluster's existing CA, else a new CA.
	CA *CA
	// CAMismatch says what to do when the clusters' CAs differ; default RefuseCAMismatch.
	CAMismatch CAMismatchPolicy
	// Topology says who connects to whom; default FullMesh.
	Topology Topology
	// Enable configures the clustermesh-apiserver of every cluster.
	Enable EnableOptions
	// CertValidity is the validity of new certificates; default DefaultCertValidity.
	CertValidity time.Duration
	// CertRenewBefore: existing certificates closer to expiry are reissued; default
	// DefaultRenewBefore.
	CertRenewBefore time.Duration
	// HelmTimeout bounds each Helm install or upgrade; default 5 minutes.
	HelmTimeout time.Duration
	// Logger receives progress and warnings (e.g. NodePort access, CA mismatch); nil
	// discards them.
	Logger *slog.Logger
	// Progress, if set, is called before each step of each cluster, one call at a time
	// (never concurrently), from the goroutine working on that cluster.
	Progress func(Progress)
	// DryRun reads every cluster and returns the report of what a run would change
	// (ClusterReport.Changes, ChartVersion) without writing anything. A peer whose access
	// cannot be known before its clustermesh-apiserver exists (a LoadBalancer without a
	// Service yet) shows as Pending.
	DryRun bool
	// AllowOtherChanges lets a run change Helm values that are neither the mesh's
	// (OwnerMesh) nor in the Target's Values (OwnerCaller). Default false: such a change
	// is refused with ErrUnownedChange, naming each key. Since the release's deployed
	// values are the base of every run, this only happens when a Target's Values remove
	// or replace a map the release holds.
	AllowOtherChanges bool
	// AllowChartChange lets a run install a chart version other than the deployed one
	// (an upgrade of Cilium itself, with the new chart's defaults). Default false: refused
	// with ErrUnownedChange naming both versions.
	AllowChartChange bool
	// Parallel is how many clusters are worked on at once within a step; 0 means
	// DefaultParallel. Every cluster is still read before any is written, and each step
	// ends for all clusters before the next starts.
	Parallel int
}

// DefaultParallel is the default ConnectOptions.Parallel.
const DefaultParallel = 4

// Step names a stage of Connect.
type Step string

// Steps of Connect, in order. Each cluster goes through each step before the next
// step starts for any cluster, so a failure leaves the earliest possible state.
const (
	// StepRead reads the release, CA and certificates of a cluster (no writes).
	StepRead Step = "read"
	// StepEnable installs or upgrades the release with the clustermesh-apiserver on.
	StepEnable Step = "enable"
	// StepDiscover reads how the cluster's clustermesh-apiserver is reached.
	StepDiscover Step = "discover"
	// StepCertificates server-side applies the four certificate Secrets.
	StepCertificates Step = "certificates"
	// StepConnect upgrades the release with the peers in clustermesh.config.
	StepConnect Step = "connect"
)

// Progress reports a step of Connect or a round of Wait.
type Progress struct {
	// Cluster is the cluster name ("" for mesh-wide events).
	Cluster string
	// Step is the stage.
	Step Step
	// Detail is a short human-readable note, never containing key material.
	Detail string
}

// HelmAction is what happened to a Helm release: "install", "upgrade" or "unchanged".
type HelmAction string

// ConnectReport says what Connect did to each cluster.
type ConnectReport struct {
	// Clusters are in the order of the targets.
	Clusters []ClusterReport
}

// ClusterReport says what Connect did to one cluster.
type ClusterReport struct {
	// Cluster is the cluster name.
	Cluster string
	// ServiceType is the clustermesh-apiserver service type used.
	ServiceType ServiceType
	// Enable is what the enable step did to the release.
	Enable HelmAction
	// Connect is what the connect step did to the release.
	Connect HelmAction
	// CAFingerprint identifies the cluster's CA.
	CAFingerprint string
	// Access is how the other clusters reach this one; nil after Enable when it is not
	// known yet.
	Access *Access
	// Peers are the clusters this one connects to, sorted.
	Peers []string
	// Changes are the release's user-supplied Helm values the run changed (or, with
	// DryRun, would change), sorted by key: deployed values before, installed values
	// after. A fresh install lists every value it sets.
	Changes []ValueChange
	// ChartVersion is the deployed chart version and the one installed; Old is "" for a
	// fresh install.
	ChartVersion struct{ Old, New string }
	// Pending lists peers whose access was not known at a dry run (their entries in
	// Changes are what is known so far).
	Pending []string
}
