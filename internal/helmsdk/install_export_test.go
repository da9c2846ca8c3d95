package helmsdk

import (
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// RESTGetterForTest exposes the rest.Config adapter to the external tests.
func RESTGetterForTest(cfg *rest.Config, namespace string) genericclioptions.RESTClientGetter {
	return &restGetter{cfg: cfg, namespace: namespace}
}
