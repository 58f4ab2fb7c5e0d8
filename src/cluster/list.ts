import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { guardError } from '../errors.js'
import { isObject, withTypeMeta, type KubeObject } from '../kube/object.js'

/** A non-2xx answer from the API server (or none at all: `statusCode` undefined), with its Status body. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly status: KubeObject | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'KubeApiError'
  }
}

class ContinueTokenExpired extends KubeApiError {}

export interface ListResult<T = KubeObject> {
  items: T[]
  /** the collection's resourceVersion: where a watch must start to miss nothing */
  resourceVersion: string
}

export interface ListOptions {
  signal?: AbortSignal
  /** page size; the API server's own default page is 500 for kubectl, so that is ours too */
  limit?: number
  labelSelector?: string
}

/** A hung connection must not stall a relist forever; a minute is far beyond any healthy list. */
const LIST_TIMEOUT_MS = 60_000
/** A continue token expires after ~5 min (etcd compaction); restarting from scratch twice more is plenty. */
const MAX_LIST_RESTARTS = 3

/**
 * Lists a whole collection, following `continue` tokens, and returns the items as the raw JSON the server
 * sent. client-node's typed list calls would deserialise into model classes (Dates, dropped unknown fields),
 * and policies must see what the API server stores.
 */
export function listAll(kubeConfig: KubeConfig, path: string, options: ListOptions = {}): Promise<ListResult> {
  return listRecords(kubeConfig, path, (item) => item, options)
}

/**
 * Lists a whole collection as `toRecord` trims each item (undefined: left out), page by page: a large
 * collection never sits in memory as whole objects, only one page of them at a time.
 */
export async function listRecords<T>(
  kubeConfig: KubeConfig,
  path: string,
  toRecord: (item: KubeObject) => T | undefined,
  options: ListOptions = {},
): Promise<ListResult<T>> {
  for (let restart = 0; ; restart++) {
    try {
      return await listPages(kubeConfig, path, toRecord, options)
    } catch (err) {
      if (!(err instanceof ContinueTokenExpired) || restart >= MAX_LIST_RESTARTS) throw err
    }
  }
}

async function listPages<T>(
  kubeConfig: KubeConfig,
  path: string,
  toRecord: (item: KubeObject) => T | undefined,
  options: ListOptions,
): Promise<ListResult<T>> {
  const items: T[] = []
  let continueToken: string | undefined
  for (;;) {
    const query = new URLSearchParams({ limit: String(options.limit ?? 500) })
    if (options.labelSelector !== undefined) query.set('labelSelector', options.labelSelector)
    if (continueToken !== undefined) query.set('continue', continueToken)
    let page: PageResult
    try {
      page = trimPage(await getJson(kubeConfig, `${path}?${query.toString()}`, options.signal), toRecord, items)
    } catch (err) {
      // Only a 410 on a continued page means "the snapshot is gone, start again"; on a first page it is real.
      if (continueToken !== undefined && err instanceof KubeApiError && err.statusCode === 410) {
        throw new ContinueTokenExpired(`list ${path}: continue token expired`, 410, err.status, { cause: err })
      }
      throw err
    }
    if (page.continueToken !== undefined) {
      continueToken = page.continueToken
      continue
    }
    return { items, resourceVersion: page.resourceVersion }
  }
}

interface PageResult {
  continueToken: string | undefined
  resourceVersion: string
}

/**
 * Appends one page's records to `items` and returns only its list metadata: the parsed page goes out of scope
 * here, so it is garbage before the next page is requested rather than held through that request.
 */
function trimPage<T>(page: KubeObject, toRecord: (item: KubeObject) => T | undefined, items: T[]): PageResult {
  const metadata = isObject(page['metadata']) ? page['metadata'] : {}
  const listKind = typeof page['kind'] === 'string' ? page['kind'] : ''
  const apiVersion = typeof page['apiVersion'] === 'string' ? page['apiVersion'] : ''
  const itemKind = listKind.endsWith('List') ? listKind.slice(0, -'List'.length) : listKind
  const pageItems = Array.isArray(page['items']) ? page['items'] : []
  for (const item of pageItems) {
    if (!isObject(item)) continue
    const record = toRecord(withTypeMeta(item, apiVersion, itemKind))
    if (record !== undefined) items.push(record)
  }
  const next = metadata['continue']
  const resourceVersion = metadata['resourceVersion']
  return {
    continueToken: typeof next === 'string' && next !== '' ? next : undefined,
    resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : '',
  }
}

/** One GET with the kubeconfig's TLS settings and credentials (token, client certificate, auth plugins). */
export function getJson(kubeConfig: KubeConfig, pathAndQuery: string, signal?: AbortSignal): Promise<KubeObject> {
  return requestJson(kubeConfig, 'GET', pathAndQuery, signal === undefined ? {} : { signal })
}

export interface RequestOptions {
  signal?: AbortSignal
  /** sent as JSON (also for application/apply-patch+yaml: JSON is YAML) */
  body?: unknown
  /** the body's content type; application/json by default */
  contentType?: string
}

/** A request with the kubeconfig's TLS settings and credentials; the answer's JSON body, a KubeApiError on non-2xx. */
export async function requestJson(kubeConfig: KubeConfig, method: string, pathAndQuery: string, options: RequestOptions = {}): Promise<KubeObject> {
  const cluster = kubeConfig.getCurrentCluster()
  if (cluster === null) throw guardError('EG_NO_CURRENT_CLUSTER')
  const url = new URL(cluster.server.replace(/\/+$/, '') + pathAndQuery)
  const requestOptions: https.RequestOptions = {}
  await kubeConfig.applyToHTTPSOptions(requestOptions)
  const agent = requestOptions.agent
  const timeout = AbortSignal.timeout(LIST_TIMEOUT_MS)
  const requestSignal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  const send = url.protocol === 'http:' ? http.request : https.request
  const body = options.body === undefined ? undefined : JSON.stringify(options.body)
  const bodyHeaders = body === undefined ? {} : { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) }
  try {
    return await new Promise<KubeObject>((resolve, reject) => {
      const req = send(
        url,
        {
          ...requestOptions,
          method,
          headers: { ...requestOptions.headers, Accept: 'application/json', ...bodyHeaders },
          signal: requestSignal,
        },
        (res) => {
          // Decoded chunk by chunk into one string: each socket Buffer is freed as soon as it is read, and no
          // page-sized Buffer is ever allocated (Buffer.concat of a 1–5 MB page went through malloc, and glibc
          // kept those pages after the list: tens of MB of RSS at 50,000 Services).
          res.setEncoding('utf8')
          let text = ''
          res.on('data', (chunk: string) => (text += chunk))
          res.on('error', reject)
          res.on('end', () => {
            const statusCode = res.statusCode ?? 0
            let parsed: unknown
            try {
              parsed = JSON.parse(text)
            } catch {
              parsed = undefined
            }
            if (statusCode >= 200 && statusCode < 300 && isObject(parsed)) return resolve(parsed)
            const status = isObject(parsed) ? parsed : undefined
            const message = typeof status?.['message'] === 'string' ? status['message'] : `HTTP ${statusCode}`
            reject(new KubeApiError(`${method} ${url.pathname}: ${message}`, statusCode, status))
          })
        },
      )
      req.on('error', (err) =>
        reject(new KubeApiError(`${method} ${url.pathname}: ${err.message}`, undefined, undefined, { cause: err })),
      )
      req.end(body)
    })
  } finally {
    // kubeConfig hands out a fresh agent per call; destroying it leaves no idle socket behind.
    if (agent instanceof http.Agent) agent.destroy()
  }
}
