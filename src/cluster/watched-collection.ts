import http from 'node:http'
import { Watch, type KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { guardError } from '../errors.js'
import { isObject, objectName, objectNamespace, resourceVersionOf, withTypeMeta, type KubeObject } from '../kube/object.js'
import { Backoff, defaultBackoff, sleep, type BackoffOptions } from './backoff.js'
import { listRecords } from './list.js'

/**
 * `syncing` until the first list has completed and its watch is running; `synced` while listed and watching;
 * `stale` when the watch is down: the cache serves the last state it knew while it retries.
 */
export type CacheState = 'syncing' | 'synced' | 'stale'

export interface CollectionResource {
  /** the collection's URL path, e.g. `/api/v1/services` */
  path: string
  apiVersion: string
  kind: string
  namespaced: boolean
  /** list and watch only the objects it selects (the API server filters, so the others never reach us) */
  labelSelector?: string
}

/**
 * Where a collection's records live (the context index): put and remove per watch event, replace per relist.
 * The collection itself keeps nothing, so no whole object outlives the event or list page it came in.
 */
export interface RecordStore<R> {
  /** the records of a complete list: afterwards the store holds exactly these */
  replace(records: readonly R[]): void
  put(record: R): void
  /** namespace is undefined for cluster-scoped resources */
  remove(namespace: string | undefined, name: string): void
}

export interface HealthChange {
  /** true when the first attempt after a success (or at start) failed; false when a relist succeeded again */
  failing: boolean
  error?: unknown
}

export interface WatchedCollectionOptions<R> {
  kubeConfig: KubeConfig
  resource: CollectionResource
  /** trims a wire object to what is kept; undefined: nothing is kept of it */
  toRecord: (obj: KubeObject) => R | undefined
  store: RecordStore<R>
  logger: Logger
  backoff?: BackoffOptions
  onHealthChange: (change: HealthChange) => void
}

interface WatchOutcome {
  /** how far the watch got: where the next watch resumes when no relist is needed */
  resourceVersion: string
  /** a 410 Gone (ERROR event or HTTP status): the resourceVersion is too old, only a relist helps */
  gone: boolean
  /** set when the watch failed rather than ended; forces a relist after a backoff */
  error: unknown
  /** the watch stayed up long enough to count as healthy (resets the backoff) */
  healthy: boolean
}

/**
 * A watch that ends within this time without being told to counts as unhealthy, so a server that accepts
 * and at once closes watches gets backoff instead of a reconnect loop.
 */
const HEALTHY_WATCH_MS = 1_000
/**
 * The API server ends a watch after `timeoutSeconds`; asking for 5–10 min (randomised like client-go's
 * reflector) spreads reconnects. The client-side guard 30 s later catches a connection that died silently.
 */
const WATCH_TIMEOUT_MIN_S = 300
const WATCH_GUARD_GRACE_MS = 30_000

/**
 * One collection (all Services, all Nodes, ...) kept in memory as records by list + watch. It never gives up:
 * after any failure the store keeps serving what it has while this retries with capped exponential backoff,
 * and every recovery is a full relist, so objects deleted while the watch was down disappear.
 */
export class WatchedCollection<R> {
  private currentState: CacheState = 'syncing'
  private failing = false
  private stopped = false
  private readonly stopSignal = new AbortController()
  private readonly watch: Watch
  private activeWatch: AbortController | undefined
  private activeAgent: http.Agent | undefined
  private loop: Promise<void> | undefined
  private readonly logger: Logger

  constructor(private readonly options: WatchedCollectionOptions<R>) {
    this.logger = options.logger.child({ resource: options.resource.path })
    // Watch.watch() awaits the response headers before it hands back its AbortController, so a connection
    // that hangs could not be cancelled by stop(). Recording the per-request agent lets stop() destroy it.
    const tracking = Object.create(options.kubeConfig) as KubeConfig
    tracking.applyToFetchOptions = async (opts) => {
      const init = await options.kubeConfig.applyToFetchOptions(opts)
      if (init.agent instanceof http.Agent) this.activeAgent = init.agent
      return init
    }
    this.watch = new Watch(tracking)
  }

  get state(): CacheState {
    return this.currentState
  }

  /** true once the initial list has completed and its watch started; stays true through later outages */
  get hasSynced(): boolean {
    return this.currentState !== 'syncing'
  }

  start(): void {
    // run() handles every failure it expects; anything else is a bug, which must not become an unhandled
    // rejection that takes the webhook down with it.
    this.loop ??= this.run().catch((err: unknown) => {
      this.logger.error({ err }, 'the list/watch loop failed; this cache is no longer updated')
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stopSignal.abort()
    this.activeWatch?.abort()
    this.activeAgent?.destroy()
    await this.loop
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.options.backoff ?? defaultBackoff)
    const signal = this.stopSignal.signal
    let resourceVersion = ''
    while (!this.stopped) {
      if (resourceVersion === '') {
        try {
          const { path, labelSelector } = this.options.resource
          const list = await listRecords(this.options.kubeConfig, path, (obj) => this.options.toRecord(obj), {
            signal,
            ...(labelSelector === undefined ? {} : { labelSelector }),
          })
          this.options.store.replace(list.items)
          resourceVersion = list.resourceVersion
        } catch (err) {
          if (this.stopped) break
          this.markFailing(err)
          await sleep(backoff.next(), signal)
          continue
        }
      }
      const outcome = await this.watchOnce(resourceVersion)
      if (this.stopped) break
      if (outcome.healthy) backoff.reset()
      if (outcome.gone) {
        this.logger.info('watch answered 410 Gone (resourceVersion too old); relisting')
        resourceVersion = ''
        if (!outcome.healthy) await sleep(backoff.next(), signal)
      } else if (outcome.error !== undefined) {
        // The watch history may not cover the gap, so recovery is a relist, never a resumed watch.
        this.markFailing(outcome.error)
        resourceVersion = ''
        await sleep(backoff.next(), signal)
      } else {
        resourceVersion = outcome.resourceVersion
        if (!outcome.healthy) await sleep(backoff.next(), signal)
      }
    }
  }

  private watchOnce(fromResourceVersion: string): Promise<WatchOutcome> {
    const { path } = this.options.resource
    const started = Date.now()
    let resourceVersion = fromResourceVersion
    let gone = false
    let eventError: unknown
    let endedByUs = false
    let controller: AbortController | undefined
    const abortWatch = (): void => {
      endedByUs = true
      controller?.abort()
    }
    const timeoutSeconds = WATCH_TIMEOUT_MIN_S + Math.floor(Math.random() * WATCH_TIMEOUT_MIN_S)
    const guard = setTimeout(abortWatch, timeoutSeconds * 1000 + WATCH_GUARD_GRACE_MS)
    guard.unref()

    const onEvent = (type: string, obj: unknown): void => {
      // Watch swallows anything a callback throws (it shares a try with JSON.parse), so catch here and say so.
      try {
        if (type === 'ERROR') {
          if (isObject(obj) && obj['code'] === 410) gone = true
          else eventError = guardError('EG_WATCH', path, `ERROR event ${JSON.stringify(obj).slice(0, 500)}`)
          abortWatch()
          return
        }
        if (!isObject(obj)) return
        if (type === 'ADDED' || type === 'MODIFIED') this.put(obj)
        else if (type === 'DELETED') this.remove(obj)
        // BOOKMARK carries nothing but a resourceVersion, which is all we need from it.
        resourceVersion = resourceVersionOf(obj) ?? resourceVersion
      } catch (err) {
        this.logger.error({ err, type }, 'failed to apply a watch event')
      }
    }

    return new Promise<WatchOutcome>((resolve) => {
      let finished = false
      const finish = (err: unknown): void => {
        finished = true
        clearTimeout(guard)
        this.activeWatch = undefined
        this.activeAgent?.destroy()
        this.activeAgent = undefined
        const status = isObject(err) ? (err['statusCode'] ?? err['code']) : undefined
        const httpGone = status === 410
        resolve({
          resourceVersion,
          gone: gone || httpGone,
          // An abort we asked for (410, ERROR, guard timer) is not a connection failure.
          error: eventError ?? (endedByUs || httpGone || err === null || err === undefined ? undefined : err),
          healthy: Date.now() - started >= HEALTHY_WATCH_MS,
        })
      }
      const { labelSelector } = this.options.resource
      const query = {
        resourceVersion: fromResourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        ...(labelSelector === undefined ? {} : { labelSelector }),
      }
      this.watch.watch(path, query, onEvent, finish).then(
        (c) => {
          controller = c
          this.activeWatch = c
          if (endedByUs || this.stopped) c.abort()
          // Synced means "listed and following changes": a list that cannot be watched (RBAC without the
          // watch verb, say) would go stale unnoticed, so the state turns synced only once the watch is up.
          else if (!finished) this.markHealthy()
        },
        // Raised before any request: no cluster in the kubeconfig, or an auth plugin that failed.
        (err: unknown) => finish(err ?? guardError('EG_WATCH', path, 'no request was made')),
      )
    })
  }

  private put(obj: KubeObject): void {
    const { apiVersion, kind } = this.options.resource
    const record = this.options.toRecord(withTypeMeta(obj, apiVersion, kind))
    // An object the trim refuses (no name) cannot be looked up; one that was there before is then gone.
    if (record !== undefined) this.options.store.put(record)
    else this.remove(obj)
  }

  private remove(obj: KubeObject): void {
    const name = objectName(obj)
    if (name === undefined) return
    this.options.store.remove(this.options.resource.namespaced ? (objectNamespace(obj) ?? '') : undefined, name)
  }

  private markHealthy(): void {
    const changed = this.failing || this.currentState !== 'synced'
    this.failing = false
    this.currentState = 'synced'
    if (changed) this.options.onHealthChange({ failing: false })
  }

  private markFailing(error: unknown): void {
    this.logger.debug({ err: error }, 'list/watch failed; retrying')
    if (this.failing) return
    this.failing = true
    if (this.currentState === 'synced') this.currentState = 'stale'
    this.options.onHealthChange({ failing: true, error })
  }
}
