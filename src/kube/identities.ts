/**
 * The users the Kubernetes control plane writes Services, EndpointSlices and Endpoints as. One list: the engine
 * (who counts as "the Kubernetes controllers"), audit's writer inference and the chart's matchConditions follow it
 * (test/deploy checks the chart against it).
 */
export const kubernetesUsers = {
  endpointSliceController: 'system:serviceaccount:kube-system:endpointslice-controller',
  mirroringController: 'system:serviceaccount:kube-system:endpointslicemirroring-controller',
  /** the Endpoints controller when kube-controller-manager runs with per-controller credentials (kubeadm) */
  endpointsController: 'system:serviceaccount:kube-system:endpoint-controller',
  controllerManager: 'system:kube-controller-manager',
  /** maintains the `default/kubernetes` Service and its endpoints */
  apiServer: 'system:apiserver',
  serviceController: 'system:serviceaccount:kube-system:service-controller',
} as const

/** The values of `endpointslice.kubernetes.io/managed-by` that the controllers set on the slices they own. */
export const controllerManagedBy = {
  endpointSlice: 'endpointslice-controller.k8s.io',
  mirroring: 'endpointslicemirroring-controller.k8s.io',
} as const

export const wellKnownLabels = {
  serviceName: 'kubernetes.io/service-name',
  sliceManagedBy: 'endpointslice.kubernetes.io/managed-by',
  endpointsManagedBy: 'endpoints.kubernetes.io/managed-by',
  namespaceName: 'kubernetes.io/metadata.name',
} as const
