// Package kubecfg prepares the *rest.Config ciliumkit's clients use, so that a library
// call never logs through client-go's global logger.
package kubecfg

import "k8s.io/client-go/rest"

// Quiet returns a copy of cfg that drops API server warnings (deprecations, unknown
// formats) instead of logging them through klog to the process's stderr, unless the
// caller set a warning handler of its own. cfg is not modified; nil stays nil.
func Quiet(cfg *rest.Config) *rest.Config {
	if cfg == nil {
		return nil
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.WarningHandler == nil && cfg.WarningHandlerWithContext == nil {
		cfg.WarningHandler = rest.NoWarnings{}
	}
	return cfg
}
