package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// kubeSource follows the local cluster's Services and EndpointSlices through
// informers and writes each Service, with its slices, into the view as local data.
type kubeSource struct {
	kube      kubernetes.Interface
	view      *view
	clusterID uint32
	// lbFrontends programs LoadBalancer Services at their LB IP (see fromKube).
	lbFrontends bool
	log         *slog.Logger
	synced      atomic.Bool
	// mu serialises updates: the Service and EndpointSlice handlers run concurrently,
	// and each update reads both caches, so the last update of a key sees both latest.
	mu       sync.Mutex
	services cache.Indexer
	slices   cache.Indexer
}

const byServiceIndex = "service"

// name returns "kubernetes", the source's name in logs and metrics.
func (s *kubeSource) name() string { return "kubernetes" }

func (s *kubeSource) isSynced() bool { return s.synced.Load() }

// run starts the informers and feeds the view until ctx ends.
func (s *kubeSource) run(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(s.kube, 0)
	svcInf := f.Core().V1().Services().Informer()
	epsInf := f.Discovery().V1().EndpointSlices().Informer()
	if err := epsInf.AddIndexers(cache.Indexers{byServiceIndex: func(obj any) ([]string, error) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok || es.Labels[discoveryv1.LabelServiceName] == "" {
			return nil, nil
		}
		return []string{es.Namespace + "/" + es.Labels[discoveryv1.LabelServiceName]}, nil
	}}); err != nil {
		return err
	}
	s.services, s.slices = svcInf.GetIndexer(), epsInf.GetIndexer()
	svcReg, err := svcInf.AddEventHandler(handler(func(obj any) (types.NamespacedName, bool) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return types.NamespacedName{}, false
		}
		return types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, true
	}, s.update))
	if err != nil {
		return err
	}
	epsReg, err := epsInf.AddEventHandler(handler(func(obj any) (types.NamespacedName, bool) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok || es.Labels[discoveryv1.LabelServiceName] == "" {
			return types.NamespacedName{}, false
		}
		return types.NamespacedName{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}, true
	}, s.update))
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), svcReg.HasSynced, epsReg.HasSynced) {
		return nil // ctx ended
	}
	s.synced.Store(true)
	s.log.Info("source synced", "source", s.name(), "services", len(s.services.ListKeys()))
	<-ctx.Done()
	return nil
}

// handler calls update with the key of every added, changed or deleted object.
func handler(key func(any) (types.NamespacedName, bool), update func(types.NamespacedName)) cache.ResourceEventHandler {
	on := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if k, ok := key(obj); ok {
			update(k)
		}
	}
	return cache.ResourceEventHandlerFuncs{AddFunc: on, UpdateFunc: func(_, obj any) { on(obj) }, DeleteFunc: on}
}

// update recomputes key k from the caches and writes it into the view.
func (s *kubeSource) update(k types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok, err := s.services.GetByKey(k.String())
	if err != nil || !ok {
		s.view.setLocal(k, nil)
		return
	}
	svc := obj.(*corev1.Service)
	objs, _ := s.slices.ByIndex(byServiceIndex, k.String())
	eps := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		eps = append(eps, o.(*discoveryv1.EndpointSlice))
	}
	d, err := fromKube(svc, eps, s.clusterID, s.lbFrontends)
	if err != nil {
		s.log.Warn("service annotation ignored: treated as a local service", "service", k.String(), "error", err)
	} else if d.global != nil {
		if w := d.global.Warning(); w != "" {
			s.log.Warn("global service", "service", k.String(), "warning", w)
		}
	}
	s.view.setLocal(k, d)
}
