import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { guardError } from '../errors.js'
import { labelsOf, objectKey, type KubeObject } from '../kube/object.js'
import type { ClusterContext, ServiceRecord } from '../policy/context.js'
import type { BackoffOptions } from './backoff.js'
import { serviceRecord } from './records.js'
import { WatchedCollection, type CacheState, type HealthChange } from './watched-collection.js'

export type { CacheState } from './watched-collection.js'
export { loadKubeConfig } from './kube-config.js'

export interface LiveContextState {
  namespaces: CacheState
  services: CacheState
  /** how many times contact with the API was lost (one per outage, however many retries it took) */
  outages: number
}

export interface LiveContext extends ClusterContext {
  /**
   * true once both caches have completed their initial list and are watching; stays true while an outage
   * serves stale data (see state() for that)
   */
  readonly synced: boolean
  /** resolves once synced; rejects when the signal aborts or the context is stopped first */
  waitForSync(signal?: AbortSignal): Promise<void>
  state(): LiveContextState
  /** ends the watches and timers; nothing of the context keeps the process alive afterwards */
  stop(): Promise<void>
}

export interface LiveContextOptions {
  kubeConfig: KubeConfig
  logger: Logger
  onStateChange?: (state: LiveContextState) => void
  /** reconnect delays; the default is 200 ms doubling to 10 s */
  backoff?: BackoffOptions
}

const NAMESPACES = { path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace', namespaced: false }
const SERVICES = { path: '/api/v1/services', apiVersion: 'v1', kind: 'Service', namespaced: true }

/**
 * Namespaces and Services from the cluster, kept in memory by list + watch so that a lookup on the admission
 * path never touches the network. Starts at once; use `waitForSync` (or `synced`) to know when it has data.
 */
export function startLiveContext(options: LiveContextOptions): LiveContext {
  const logger = options.logger.child({ component: 'cluster-context' })
  let outages = 0
  let outageStarted = 0
  let announcedSync = false
  let stopped = false
  const failing = new Set<string>()
  // Cached objects are frozen and replaced (never mutated) on change, so labels can be memoised per object.
  const labelsByNamespace = new WeakMap<KubeObject, Readonly<Record<string, string>>>()
  const recordByService = new WeakMap<KubeObject, ServiceRecord>()
  const waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>()

  const collection = (resource: typeof NAMESPACES): WatchedCollection =>
    new WatchedCollection({
      kubeConfig: options.kubeConfig,
      resource,
      logger,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      onHealthChange: (change) => onHealthChange(resource.path, change),
    })
  const namespaces = collection(NAMESPACES)
  const services = collection(SERVICES)

  const state = (): LiveContextState => ({ namespaces: namespaces.state, services: services.state, outages })
  const isSynced = (): boolean => namespaces.hasSynced && services.hasSynced

  function onHealthChange(path: string, change: HealthChange): void {
    // Both watches break together when the API goes away; counting per context keeps it one outage, one line.
    if (change.failing) {
      if (failing.size === 0) {
        outages++
        outageStarted = Date.now()
        logger.warn(
          { err: change.error, resource: path, outages },
          isSynced()
            ? 'lost contact with the Kubernetes API; serving the last known namespaces and services while reconnecting'
            : 'cannot reach the Kubernetes API; retrying',
        )
      }
      failing.add(path)
    } else if (failing.delete(path) && failing.size === 0) {
      logger.info({ outageMs: Date.now() - outageStarted }, 'reconnected to the Kubernetes API; caches relisted')
    }
    if (isSynced()) {
      if (!announcedSync) {
        announcedSync = true
        logger.info({ namespaces: namespaces.size, services: services.size }, 'cluster caches synced')
      }
      for (const waiter of waiters) waiter.resolve()
      waiters.clear()
    }
    try {
      options.onStateChange?.(state())
    } catch (err) {
      logger.error({ err }, 'onStateChange listener threw')
    }
  }

  namespaces.start()
  services.start()

  return {
    get synced() {
      return isSynced()
    },
    namespaceLabels(name: string) {
      const namespace = namespaces.get(name)
      if (namespace === undefined) return undefined
      let labels = labelsByNamespace.get(namespace)
      if (labels === undefined) {
        labels = labelsOf(namespace)
        labelsByNamespace.set(namespace, labels)
      }
      return labels
    },
    service(namespace: string, name: string): ServiceRecord | undefined {
      const service = services.get(objectKey(namespace, name))
      if (service === undefined) return undefined
      let record = recordByService.get(service)
      if (record === undefined) {
        record = serviceRecord(service)
        if (record !== undefined) recordByService.set(service, record)
      }
      return record
    },
    // Nodes and hand-managed slices are not watched yet: rules that need them stay silent with a live cluster.
    serviceByClusterIP: () => undefined,
    nodeByAddress: () => undefined,
    nodeByPodCIDR: () => undefined,
    slicesFor: () => [],
    state,
    waitForSync(signal?: AbortSignal): Promise<void> {
      if (isSynced()) return Promise.resolve()
      if (stopped) return Promise.reject(guardError('EG_CONTEXT_STOPPED'))
      if (signal?.aborted) return Promise.reject(abortError(signal))
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          waiters.delete(waiter)
          reject(abortError(signal))
        }
        const waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          reject: (err: Error) => {
            signal?.removeEventListener('abort', onAbort)
            reject(err)
          },
        }
        waiters.add(waiter)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
    async stop() {
      if (stopped) return
      stopped = true
      await Promise.all([namespaces.stop(), services.stop()])
      for (const waiter of waiters) waiter.reject(guardError('EG_CONTEXT_STOPPED'))
      waiters.clear()
    },
  }
}

/** What an aborted wait rejects with: the signal's reason when it is an Error (AbortSignal.timeout's is). */
function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new DOMException('The wait for the cluster caches was aborted', 'AbortError')
}
