import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { guardError } from '../errors.js'
import type { KubeObject } from '../kube/object.js'
import type { ClusterContext } from '../policy/context.js'
import type { BackoffOptions } from './backoff.js'
import { contextCaches, type ContextCache } from './caches.js'
import { ContextIndex } from './context-index.js'
import { namespaceRecord, nodeRecord, serviceRecord, sliceRecord } from './records.js'
import { controllerSliceValues, isHandManagedSlice } from './static-context.js'
import { WatchedCollection, type CacheState, type CollectionResource, type HealthChange, type RecordStore } from './watched-collection.js'

export type { CacheState } from './watched-collection.js'
export { loadKubeConfig } from './kube-config.js'

export type LiveContextState = Record<ContextCache, CacheState> & {
  /** how many times contact with the API was lost (one per outage, however many retries it took) */
  outages: number
}

export interface LiveContext extends ClusterContext {
  /**
   * true once every cache has completed its initial list and is watching; stays true while an outage
   * serves stale data (see state() for that)
   */
  readonly synced: boolean
  /** resolves once synced; rejects when the signal aborts or the context is stopped first */
  waitForSync(signal?: AbortSignal): Promise<void>
  state(): LiveContextState
  /** how many records each cache holds */
  sizes(): Record<ContextCache, number>
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

/**
 * Only the slices the Kubernetes controllers do not write: they are what a rule asks about (planted slices),
 * and the controllers' own slices, one or more per Service, would make this the largest cache of all.
 */
export const handManagedSliceSelector = `endpointslice.kubernetes.io/managed-by notin (${controllerSliceValues.join(',')})`

const resources: Record<ContextCache, CollectionResource> = {
  namespaces: { path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  services: { path: '/api/v1/services', apiVersion: 'v1', kind: 'Service', namespaced: true },
  nodes: { path: '/api/v1/nodes', apiVersion: 'v1', kind: 'Node', namespaced: false },
  endpointslices: {
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespaced: true,
    labelSelector: handManagedSliceSelector,
  },
}

/** Each cache's trim and its place in the index: the index holds records only, never a wire object. */
function storesOf(index: ContextIndex) {
  const store = <R>(toRecord: (obj: KubeObject) => R | undefined, s: RecordStore<R>) => ({ toRecord, store: s })
  return {
    namespaces: store(namespaceRecord, {
      replace: (records) => index.replaceNamespaces(records),
      put: (record) => index.putNamespace(record.name, record.labels),
      remove: (_namespace, name) => index.removeNamespace(name),
    }),
    services: store((obj) => serviceRecord(obj), {
      replace: (records) => index.replaceServices(records),
      put: (record) => index.putService(record),
      remove: (namespace, name) => index.removeService(namespace ?? '', name),
    }),
    nodes: store(nodeRecord, {
      replace: (records) => index.replaceNodes(records),
      put: (record) => index.putNode(record),
      remove: (_namespace, name) => index.removeNode(name),
    }),
    // The selector leaves the controllers' slices out; the check here keeps them out of an API that ignored it.
    endpointslices: store((obj) => (isHandManagedSlice(obj) ? sliceRecord(obj) : undefined), {
      replace: (records) => index.replaceSlices(records),
      put: (record) => index.putSlice(record),
      remove: (namespace, name) => index.removeSlice(namespace ?? '', name),
    }),
  }
}

/**
 * Namespaces, Services, Nodes and hand-managed EndpointSlices from the cluster, kept in memory as trimmed
 * records by list + watch, so that a lookup on the admission path never touches the network and a large cluster
 * fits in a small cache. Starts at once; use `waitForSync` (or `synced`) to know when it has data.
 */
export function startLiveContext(options: LiveContextOptions): LiveContext {
  const logger = options.logger.child({ component: 'cluster-context' })
  let outages = 0
  let outageStarted = 0
  let announcedSync = false
  let stopped = false
  const failing = new Set<string>()
  const index = new ContextIndex()
  const waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>()

  const stores = storesOf(index)
  const collection = <R>(cache: ContextCache, trim: { toRecord: (obj: KubeObject) => R | undefined; store: RecordStore<R> }) =>
    new WatchedCollection<R>({
      kubeConfig: options.kubeConfig,
      resource: resources[cache],
      ...trim,
      logger,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      onHealthChange: (change) => onHealthChange(resources[cache].path, change),
    })
  const collections = {
    namespaces: collection('namespaces', stores.namespaces),
    services: collection('services', stores.services),
    nodes: collection('nodes', stores.nodes),
    endpointslices: collection('endpointslices', stores.endpointslices),
  }
  const all = contextCaches.map((cache) => collections[cache])

  const state = (): LiveContextState => ({
    namespaces: collections.namespaces.state,
    services: collections.services.state,
    nodes: collections.nodes.state,
    endpointslices: collections.endpointslices.state,
    outages,
  })
  const isSynced = (): boolean => all.every((c) => c.hasSynced)
  const sizes = (): Record<ContextCache, number> => {
    const { namespaces, services, nodes, slices } = index.size
    return { namespaces, services, nodes, endpointslices: slices }
  }

  function onHealthChange(path: string, change: HealthChange): void {
    // The watches break together when the API goes away; counting per context keeps it one outage, one line.
    if (change.failing) {
      if (failing.size === 0) {
        outages++
        outageStarted = Date.now()
        logger.warn(
          { err: change.error, resource: path, outages },
          isSynced()
            ? 'lost contact with the Kubernetes API; serving the last known cluster context while reconnecting'
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
        logger.info(sizes(), 'cluster caches synced')
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

  for (const c of all) c.start()

  return {
    get synced() {
      return isSynced()
    },
    namespaceLabels: (name) => index.namespaceLabels(name),
    service: (namespace, name) => index.service(namespace, name),
    serviceByClusterIP: (address) => index.serviceByClusterIP(address),
    nodeByAddress: (address) => index.nodeByAddress(address),
    nodeByPodCIDR: (address) => index.nodeByPodCIDR(address),
    slicesFor: (namespace, serviceName) => index.slicesFor(namespace, serviceName),
    sizes,
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
      await Promise.all(all.map((c) => c.stop()))
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
