package apply

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
)

// FieldManager is the server-side apply field manager of every write ciliumkit makes.
const FieldManager = "ciliumkit"

// Secret server-side applies s (which must carry a name and namespace) and returns the
// object the API server stored. Conflicts with other managers are forced: the fields
// in s become owned by FieldManager. Errors name the Secret, never its data.
func Secret(ctx context.Context, kube kubernetes.Interface, s *corev1ac.SecretApplyConfiguration) (*corev1.Secret, error) {
	if s == nil || s.Name == nil || s.Namespace == nil || *s.Name == "" || *s.Namespace == "" {
		return nil, fmt.Errorf("apply: Secret without name or namespace")
	}
	out, err := kube.CoreV1().Secrets(*s.Namespace).Apply(ctx, s, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return nil, fmt.Errorf("apply: Secret %s/%s: %w", *s.Namespace, *s.Name, err)
	}
	return out, nil
}
