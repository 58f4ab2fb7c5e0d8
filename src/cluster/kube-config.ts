import { KubeConfig } from '@kubernetes/client-node'
import { hasServiceAccount } from './in-cluster.js'

/**
 * `--kubeconfig PATH` loads that file; without it, the in-cluster service account when the pod has one;
 * otherwise undefined: there is no cluster, and the webhook runs from manifests alone.
 *
 * `serviceAccountPrefix` exists for tests: client-node reads the service-account files from
 * `${prefix}/var/run/secrets/...`.
 */
export function loadKubeConfig(path?: string, serviceAccountPrefix = ''): KubeConfig | undefined {
  const kubeConfig = new KubeConfig()
  if (path !== undefined) {
    try {
      kubeConfig.loadFromFile(path)
    } catch (err) {
      // client-node reports an empty or non-kubeconfig file as a TypeError from deep inside its parser.
      const why = err instanceof TypeError ? 'the file is empty or not a kubeconfig' : (err as Error).message
      throw new Error(`Cannot load kubeconfig ${path}: ${why}`, { cause: err })
    }
    if (kubeConfig.getCurrentCluster() === null) {
      throw new Error(`Cannot load kubeconfig ${path}: its current-context names no cluster`)
    }
    return kubeConfig
  }
  if (!hasServiceAccount(serviceAccountPrefix)) return undefined
  // client-node would otherwise build the URL "https://undefined:undefined" and fail much later.
  if (!process.env['KUBERNETES_SERVICE_HOST'] || !process.env['KUBERNETES_SERVICE_PORT']) {
    throw new Error(
      'A service-account token is mounted but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set; ' +
        'pass --kubeconfig to say which cluster to use',
    )
  }
  kubeConfig.loadFromCluster(serviceAccountPrefix)
  return kubeConfig
}
