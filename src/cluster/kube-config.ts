import { KubeConfig } from '@kubernetes/client-node'
import type { InCluster } from '../config.js'
import { describeError, guardError } from '../errors.js'
import { hasServiceAccount } from './in-cluster.js'

export interface KubeConfigSource {
  /** `--kubeconfig` (or the first file of $KUBECONFIG), as parsed by the configuration */
  kubeconfig: string | undefined
  inCluster: InCluster
  /** for tests: client-node reads the service-account files from `${prefix}/var/run/secrets/...` */
  serviceAccountPrefix?: string
}

/**
 * A kubeconfig file when one is configured; without it, the in-cluster service account when the pod has one;
 * otherwise undefined: there is no cluster, and the webhook runs from manifests alone.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig | undefined {
  const kubeConfig = new KubeConfig()
  const file = source.kubeconfig
  if (file !== undefined) {
    try {
      kubeConfig.loadFromFile(file)
    } catch (err) {
      // client-node reports an empty or non-kubeconfig file as a TypeError from deep inside its parser.
      const why = err instanceof TypeError ? 'the file is empty or not a kubeconfig' : describeError(err)
      throw guardError('EG_KUBECONFIG', file, why)
    }
    if (kubeConfig.getCurrentCluster() === null) throw guardError('EG_KUBECONFIG', file, 'its current-context names no cluster')
    return kubeConfig
  }
  const prefix = source.serviceAccountPrefix ?? ''
  if (!hasServiceAccount(prefix)) return undefined
  // client-node would otherwise build the URL "https://undefined:undefined" and fail much later.
  if (source.inCluster.host === undefined || source.inCluster.port === undefined) throw guardError('EG_IN_CLUSTER')
  kubeConfig.loadFromCluster(prefix)
  return kubeConfig
}
