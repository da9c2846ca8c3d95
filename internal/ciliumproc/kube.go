package ciliumproc

import (
	"context"
	"fmt"

	authv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// tokenValidity is the lifetime of the service account token a pod gets, in seconds: 24 h.
const tokenValidity = 24 * 3600

// serviceAccount creates the chart's clustermesh-apiserver ServiceAccount, ClusterRole and
// ClusterRoleBinding in the API server of cfg (updating them when they exist), and returns
// a token of the ServiceAccount, so that the apiserver container runs with exactly the
// rights the chart grants.
func serviceAccount(ctx context.Context, cfg *rest.Config, r *Rendered) (string, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	sa, cr, crb := r.ServiceAccount.DeepCopy(), r.ClusterRole.DeepCopy(), r.ClusterRoleBinding.DeepCopy()
	sas := kube.CoreV1().ServiceAccounts(sa.Namespace)
	if _, err := sas.Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ServiceAccount %s/%s: %w", sa.Namespace, sa.Name, err)
	}
	crs := kube.RbacV1().ClusterRoles()
	if _, err := crs.Create(ctx, cr, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		cur, gerr := crs.Get(ctx, cr.Name, metav1.GetOptions{})
		if gerr != nil {
			return "", gerr
		}
		cr.ResourceVersion = cur.ResourceVersion
		_, err = crs.Update(ctx, cr, metav1.UpdateOptions{})
		if err != nil {
			return "", fmt.Errorf("update ClusterRole %s: %w", cr.Name, err)
		}
	} else if err != nil {
		return "", fmt.Errorf("create ClusterRole %s: %w", cr.Name, err)
	}
	crbs := kube.RbacV1().ClusterRoleBindings()
	if _, err := crbs.Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("create ClusterRoleBinding %s: %w", crb.Name, err)
	}
	exp := int64(tokenValidity)
	tr, err := sas.CreateToken(ctx, sa.Name, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token of ServiceAccount %s/%s: %w", sa.Namespace, sa.Name, err)
	}
	return tr.Status.Token, nil
}
