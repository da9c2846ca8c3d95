package helmsdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/rest"
)

// Errors of the install path.
var (
	// ErrPending reports a release whose last install or upgrade never finished.
	ErrPending = errors.New("helmsdk: release has an operation in progress")
)

// Action says what InstallOrUpgrade did to a release.
type Action string

// Actions reported in InstallResult.
const (
	// Installed: the release did not exist and was installed (revision 1).
	Installed Action = "install"
	// Upgraded: the release existed and a new revision was deployed.
	Upgraded Action = "upgrade"
	// Unchanged: the deployed revision already had this chart version and these values;
	// nothing was written.
	Unchanged Action = "unchanged"
)

// InstallOptions configure InstallOrUpgrade. The zero value manages release "cilium" in
// "kube-system" with a five-minute timeout and does not take over pending releases.
type InstallOptions struct {
	// ReleaseName is the Helm release name; default "cilium".
	ReleaseName string
	// Namespace is the release namespace; default "kube-system".
	Namespace string
	// Timeout bounds each Helm operation; default 5 minutes.
	Timeout time.Duration
	// RecoverPending marks a release left in a pending-* state (an install or upgrade
	// that was cut off) as failed, so that this run can upgrade it. Only safe when no
	// other client is working on the release at the same time.
	RecoverPending bool
	// Logger receives Helm's debug output at debug level; nil discards it.
	Logger *slog.Logger
}

// InstallResult describes the release after InstallOrUpgrade.
type InstallResult struct {
	Action Action
	// Revision is the deployed revision number (1 after an install).
	Revision int
	// RecoveredRevision is the revision of a pending release that was marked failed
	// first, or 0.
	RecoveredRevision int
}

// InstallOrUpgrade installs c with values into the cluster at cfg, or upgrades the
// existing release. Helm stores releases as Secrets (its default storage driver). When
// the deployed revision already has the same chart name, version and values, it writes
// nothing and reports Unchanged, so that a re-run is a no-op.
func InstallOrUpgrade(ctx context.Context, cfg *rest.Config, c *chart.Chart, values map[string]any, opts *InstallOptions) (*InstallResult, error) {
	o := InstallOptions{ReleaseName: "cilium", Namespace: "kube-system", Timeout: 5 * time.Minute}
	if opts != nil {
		if opts.ReleaseName != "" {
			o.ReleaseName = opts.ReleaseName
		}
		if opts.Namespace != "" {
			o.Namespace = opts.Namespace
		}
		if opts.Timeout > 0 {
			o.Timeout = opts.Timeout
		}
		o.RecoverPending = opts.RecoverPending
		o.Logger = opts.Logger
	}
	where := fmt.Sprintf("release %s/%s", o.Namespace, o.ReleaseName)
	norm, err := normalize(values)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: %s: values: %w", where, err)
	}
	ac := new(action.Configuration)
	logf := func(string, ...any) {}
	if o.Logger != nil {
		lg := o.Logger
		logf = func(format string, v ...any) { lg.Debug(fmt.Sprintf(format, v...), "release", o.ReleaseName) }
	}
	if err := ac.Init(&restGetter{cfg: cfg, namespace: o.Namespace}, o.Namespace, "secret", logf); err != nil {
		return nil, fmt.Errorf("helmsdk: %s: helm init: %w", where, err)
	}
	res := new(InstallResult)
	last, err := ac.Releases.Last(o.ReleaseName)
	switch {
	case errors.Is(err, driver.ErrReleaseNotFound):
		inst := action.NewInstall(ac)
		inst.ReleaseName = o.ReleaseName
		inst.Namespace = o.Namespace
		inst.Timeout = o.Timeout
		rel, err := inst.RunWithContext(ctx, c, norm)
		if err != nil {
			return nil, fmt.Errorf("helmsdk: %s: install %s %s: %w", where, c.Name(), c.Metadata.Version, err)
		}
		res.Action, res.Revision = Installed, rel.Version
		return res, nil
	case err != nil:
		return nil, fmt.Errorf("helmsdk: %s: read history: %w", where, err)
	}
	if last.Info.Status == release.StatusDeployed && sameChart(last.Chart, c) && reflect.DeepEqual(nonNil(last.Config), nonNil(norm)) {
		res.Action, res.Revision = Unchanged, last.Version
		return res, nil
	}
	if last.Info.Status.IsPending() {
		if !o.RecoverPending {
			return nil, fmt.Errorf("helmsdk: %s: %w: revision %d is %s", where, ErrPending, last.Version, last.Info.Status)
		}
		last.SetStatus(release.StatusFailed, "interrupted before it finished; superseded by the next upgrade")
		if err := ac.Releases.Update(last); err != nil {
			return nil, fmt.Errorf("helmsdk: %s: mark revision %d failed: %w", where, last.Version, err)
		}
		res.RecoveredRevision = last.Version
	}
	up := action.NewUpgrade(ac)
	up.Namespace = o.Namespace
	up.Timeout = o.Timeout
	up.MaxHistory = 10
	rel, err := up.RunWithContext(ctx, o.ReleaseName, c, norm)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: %s: upgrade to %s %s: %w", where, c.Name(), c.Metadata.Version, err)
	}
	res.Action, res.Revision = Upgraded, rel.Version
	return res, nil
}

// DeployedValues returns the user-supplied values and chart version of the last
// revision of a release, and its status. found is false when the release does not exist.
func DeployedValues(cfg *rest.Config, namespace, releaseName string) (values map[string]any, chartVersion string, status release.Status, found bool, err error) {
	ac := new(action.Configuration)
	if err := ac.Init(&restGetter{cfg: cfg, namespace: namespace}, namespace, "secret", func(string, ...any) {}); err != nil {
		return nil, "", "", false, fmt.Errorf("helmsdk: release %s/%s: helm init: %w", namespace, releaseName, err)
	}
	last, err := ac.Releases.Last(releaseName)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, "", "", false, nil
	}
	if err != nil {
		return nil, "", "", false, fmt.Errorf("helmsdk: release %s/%s: read history: %w", namespace, releaseName, err)
	}
	v := ""
	if last.Chart != nil && last.Chart.Metadata != nil {
		v = last.Chart.Metadata.Version
	}
	return last.Config, v, last.Info.Status, true, nil
}

func sameChart(a, b *chart.Chart) bool {
	return a != nil && b != nil && a.Metadata != nil && b.Metadata != nil &&
		a.Metadata.Name == b.Metadata.Name && a.Metadata.Version == b.Metadata.Version
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// normalize round-trips values through JSON, the form in which Helm stores them, so
// that a stored release compares equal to the values that produced it.
func normalize(values map[string]any) (map[string]any, error) {
	b, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
