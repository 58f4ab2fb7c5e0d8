/**
 * A fake kube-apiserver for tests: HTTPS on 127.0.0.1, a bearer token, and enough of the API (list with
 * pagination, watch with history and 410s, single GETs) for @kubernetes/client-node and our own list+watch.
 * Tests drive it: change objects (which emits watch events), drop watches, expire resourceVersions, go down.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import { generate } from 'selfsigned'

export type KubeObject = Record<string, unknown>

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  authorization: string | undefined
  watch: boolean
}

export interface FakeKubeApiOptions {
  /** the bearer token every request must carry; a request without it gets 401 */
  token?: string
  /** objects to start with; the recorded list responses in test/fixtures/kube-api by default */
  seed?: KubeObject[]
}

export type DownMode = 'unavailable' | 'reset'

interface ResourceType {
  resource: string
  kind: string
  apiVersion: string
  namespaced: boolean
  prefix: string
}

const RESOURCE_TYPES: readonly ResourceType[] = [
  { resource: 'namespaces', kind: 'Namespace', apiVersion: 'v1', namespaced: false, prefix: '/api/v1' },
  { resource: 'services', kind: 'Service', apiVersion: 'v1', namespaced: true, prefix: '/api/v1' },
  { resource: 'endpoints', kind: 'Endpoints', apiVersion: 'v1', namespaced: true, prefix: '/api/v1' },
  { resource: 'pods', kind: 'Pod', apiVersion: 'v1', namespaced: true, prefix: '/api/v1' },
  { resource: 'nodes', kind: 'Node', apiVersion: 'v1', namespaced: false, prefix: '/api/v1' },
  {
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    namespaced: true,
    prefix: '/apis/discovery.k8s.io/v1',
  },
]

const FIXTURES = new URL('../fixtures/kube-api/', import.meta.url)
const FIXTURE_FILES = ['namespaces.json', 'services.json', 'endpointslices.json', 'endpoints.json', 'pods.json', 'nodes.json']

/** The recorded list responses, flattened into objects with kind/apiVersion (fresh copies on every call). */
export function fixtureObjects(): KubeObject[] {
  const objects: KubeObject[] = []
  for (const file of FIXTURE_FILES) {
    const list = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as {
      kind: string
      apiVersion: string
      items: KubeObject[]
    }
    const kind = list.kind.slice(0, -'List'.length)
    for (const item of list.items) objects.push({ apiVersion: list.apiVersion, kind, ...item })
  }
  return objects
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: KubeObject
}

interface OpenWatch {
  type: ResourceType
  namespace: string | undefined
  selector: LabelSelector
  res: ServerResponse
  timer: NodeJS.Timeout | undefined
}

interface Snapshot {
  items: KubeObject[]
  resourceVersion: string
}

// RSA key generation takes a noticeable fraction of a second; one certificate serves every fake in a process.
let certificate: Promise<{ cert: string; key: string }> | undefined
function fakeCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'fake-kube-apiserver' }], {
    keySize: 2048,
    algorithm: 'sha256', // selfsigned defaults to sha1, which OpenSSL 3 rejects
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  }).then((pems) => ({ cert: pems.cert, key: pems.private }))
  return certificate
}

export class FakeKubeApi {
  /** every request received, in order; tests assert on it ("no request per lookup", the bearer token) */
  readonly requests: RecordedRequest[] = []
  private readonly store = new Map<string, Map<string, KubeObject>>()
  /** every change, with the object before it (a watch with a label selector needs both, see eventFor) */
  private readonly history: Array<{ rv: number; type: ResourceType; event: WatchEvent; previous: KubeObject | undefined }> = []
  private readonly watches = new Set<OpenWatch>()
  private readonly sockets = new Set<Socket>()
  private readonly snapshots = new Map<string, Snapshot>()
  private revision = 1
  /** watches from a resourceVersion below this get 410 Gone, as after an etcd compaction */
  private compactedRevision = 0
  private goneNext: string | boolean = false
  private expireNextContinue = false
  private down: { mode: DownMode; resources: string[] | undefined; watchesOnly: boolean } | undefined

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    /** PEM of the server certificate, which is its own CA */
    readonly ca: string,
    readonly token: string,
  ) {}

  static async start(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
    const { cert, key } = await fakeCertificate()
    const server = https.createServer({ cert, key })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('fake kube-apiserver has no port')
    const token = options.token ?? `fake-token-${randomUUID()}`
    const api = new FakeKubeApi(server, `https://127.0.0.1:${address.port}`, cert, token)
    server.on('secureConnection', (socket: Socket) => {
      api.sockets.add(socket)
      socket.on('close', () => api.sockets.delete(socket))
    })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => api.handle(req, res))
    api.seed(options.seed ?? fixtureObjects())
    return api
  }

  /** the current resourceVersion of the whole store, as a list would report it */
  get resourceVersion(): string {
    return String(this.revision)
  }

  get openWatchCount(): number {
    return this.watches.size
  }

  /** open watches on one collection path, e.g. `/api/v1/services` */
  openWatches(resource: string): number {
    return [...this.watches].filter((w) => w.type.resource === resource).length
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = typeForKind(kind)
    const obj = this.collection(type).get(keyOf(type, namespace, name))
    return obj === undefined ? undefined : withTypeMeta(type, obj)
  }

  /** Creates an object (server fields filled in) and tells the watches: ADDED. */
  add(obj: KubeObject): KubeObject {
    const type = typeForKind(String(obj['kind']))
    const stored = this.prepare(type, obj)
    const key = keyFor(type, stored)
    if (this.collection(type).has(key)) throw new Error(`fake kube-apiserver: ${type.kind} ${key} already exists`)
    return this.commit(type, key, stored, 'ADDED')
  }

  /** Replaces an existing object and tells the watches: MODIFIED. */
  modify(obj: KubeObject): KubeObject {
    const type = typeForKind(String(obj['kind']))
    const stored = this.prepare(type, obj)
    const key = keyFor(type, stored)
    const previous = this.collection(type).get(key)
    if (previous === undefined) throw new Error(`fake kube-apiserver: ${type.kind} ${key} does not exist`)
    meta(stored)['uid'] = meta(previous)['uid']
    meta(stored)['creationTimestamp'] = meta(previous)['creationTimestamp']
    return this.commit(type, key, stored, 'MODIFIED')
  }

  /** Deletes an object and tells the watches: DELETED. Returns what was deleted. */
  remove(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = typeForKind(kind)
    const key = keyOf(type, namespace, name)
    const previous = this.collection(type).get(key)
    if (previous === undefined) return undefined
    this.collection(type).delete(key)
    const deleted = structuredClone(previous)
    meta(deleted)['resourceVersion'] = String(++this.revision)
    this.publish(type, { type: 'DELETED', object: withTypeMeta(type, deleted) }, undefined)
    return withTypeMeta(type, deleted)
  }

  /** Destroys every open watch connection mid-stream, as a network failure or an apiserver crash would. */
  dropWatches(): void {
    for (const watch of this.watches) {
      clearTimeout(watch.timer)
      watch.res.socket?.destroy()
    }
    this.watches.clear()
  }

  /** Ends every open watch cleanly, as the apiserver does when a watch's timeoutSeconds runs out. */
  endWatches(): void {
    for (const watch of this.watches) {
      clearTimeout(watch.timer)
      watch.res.end()
    }
    this.watches.clear()
  }

  /**
   * The next watch request (on `resource`, e.g. 'services', when given) gets an ERROR event with a 410
   * Expired Status, then the stream ends.
   */
  goneOnNextWatch(resource?: string): void {
    this.goneNext = resource ?? true
  }

  /** Forgets the watch history: every watch from an older resourceVersion now gets 410, as after compaction. */
  compact(): void {
    this.history.length = 0
    this.compactedRevision = this.revision
  }

  /** The next request that carries a continue token gets 410 Expired, as after the snapshot was compacted. */
  expireNextContinueToken(): void {
    this.expireNextContinue = true
  }

  /** Sends a BOOKMARK with the current resourceVersion on every open watch. */
  bookmark(): void {
    for (const watch of this.watches) {
      const object = { kind: watch.type.kind, apiVersion: watch.type.apiVersion, metadata: { resourceVersion: this.resourceVersion } }
      writeEvent(watch.res, { type: 'BOOKMARK', object })
    }
  }

  /**
   * While down, requests fail: `unavailable` answers 503 with a Status (an apiserver behind a load balancer
   * with no healthy backend), `reset` destroys the connection (nothing listening any more). `resources`
   * limits the failure to some collections, e.g. ['services']; `watchesOnly` to watch requests (as with RBAC
   * that grants list but not watch). Open watches are not touched: dropWatches().
   */
  setDown(down: boolean, options: { mode?: DownMode; resources?: string[]; watchesOnly?: boolean } = {}): void {
    this.down = down
      ? { mode: options.mode ?? 'unavailable', resources: options.resources, watchesOnly: options.watchesOnly === true }
      : undefined
  }

  /** the requests made to one path, e.g. requestsTo('/api/v1/services') */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path)
  }

  async close(): Promise<void> {
    this.dropWatches()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  // --- PolicyReports (wgpolicyk8s.io/v1alpha2): list, server-side apply, delete; kept apart from the core kinds ---

  /** the server-side apply requests received for PolicyReports, in order */
  readonly applies: AppliedPatch[] = []
  private policyReportCrdInstalled = true

  /** Whether the PolicyReport CRD is installed; without it every wgpolicyk8s.io path answers 404. */
  setPolicyReportCrd(installed: boolean): void {
    this.policyReportCrdInstalled = installed
  }

  /** Stores a PolicyReport or ClusterPolicyReport as if some writer had applied it earlier. */
  addPolicyReport(report: KubeObject): KubeObject {
    const type = policyReportType(String(report['kind']))
    const stored = this.prepare(type, report)
    meta(stored)['resourceVersion'] = String(++this.revision)
    this.collection(type).set(keyFor(type, stored), stored)
    return withTypeMeta(type, structuredClone(stored))
  }

  /** Every stored PolicyReport and ClusterPolicyReport, sorted by kind, then namespace/name. */
  policyReports(): KubeObject[] {
    return POLICY_REPORT_TYPES.flatMap((type) =>
      [...this.collection(type).values()]
        .sort((a, b) => keyFor(type, a).localeCompare(keyFor(type, b)))
        .map((obj) => withTypeMeta(type, obj)),
    )
  }

  private handlePolicyReports(req: IncomingMessage, res: ServerResponse, pathname: string, query: Record<string, string>): void {
    if (!this.policyReportCrdInstalled) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource')
    if (pathname === POLICY_REPORT_PREFIX) {
      if (req.method !== 'GET') return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} on a group/version`)
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'wgpolicyk8s.io/v1alpha2',
        resources: POLICY_REPORT_TYPES.map((t) => ({
          name: t.resource,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      })
    }
    const route = parsePolicyReportRoute(pathname)
    if (route === undefined) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource')
    const { type, namespace, name } = route
    if (req.method === 'GET') {
      if (name !== undefined) return this.getOne(res, type, namespace, name)
      let selector: LabelSelector
      try {
        selector = parseLabelSelector(query['labelSelector'] ?? '')
      } catch (err) {
        return sendStatus(res, 400, 'BadRequest', (err as Error).message)
      }
      return this.list(res, type, namespace, selector, query)
    }
    if (name === undefined) return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} on a collection`)
    if (req.method === 'DELETE') {
      const key = keyOf(type, namespace, name)
      if (!this.collection(type).delete(key)) return sendStatus(res, 404, 'NotFound', `${type.resource}.wgpolicyk8s.io "${name}" not found`)
      return sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' })
    }
    if (req.method !== 'PATCH') return sendStatus(res, 405, 'MethodNotAllowed', `the fake serves GET, PATCH and DELETE on ${type.resource}`)
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? ''
      let body: unknown
      try {
        // Only JSON, the subset of YAML endpoint-guard sends.
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        body = undefined
      }
      this.applies.push({ path: pathname, query, contentType, body })
      if (contentType !== 'application/apply-patch+yaml') return sendStatus(res, 415, 'UnsupportedMediaType', `the fake only takes apply patches, not ${contentType}`)
      if (query['fieldManager'] === undefined || query['fieldManager'] === '') {
        return sendStatus(res, 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendStatus(res, 400, 'BadRequest', 'the apply patch is not an object')
      const patch = body as KubeObject
      const patchMeta = meta(patch)
      if (patch['apiVersion'] !== type.apiVersion || patch['kind'] !== type.kind || patchMeta['name'] !== name || (type.namespaced && patchMeta['namespace'] !== namespace)) {
        return sendStatus(res, 400, 'BadRequest', 'the object in the apply patch does not match the path')
      }
      const key = keyOf(type, namespace, name)
      const previous = this.collection(type).get(key)
      // Forced apply by the only manager: the applied object is the whole object.
      const stored = this.prepare(type, patch)
      if (previous !== undefined) {
        meta(stored)['uid'] = meta(previous)['uid']
        meta(stored)['creationTimestamp'] = meta(previous)['creationTimestamp']
      }
      meta(stored)['resourceVersion'] = String(++this.revision)
      this.collection(type).set(key, stored)
      sendJson(res, previous === undefined ? 201 : 200, withTypeMeta(type, stored))
    })
  }

  private seed(objects: KubeObject[]): void {
    let highest = 0
    for (const obj of objects) {
      const type = typeForKind(String(obj['kind']))
      const stored = stripTypeMeta(structuredClone(obj))
      if (type.namespaced) meta(stored)['namespace'] ??= 'default'
      const rv = Number(meta(stored)['resourceVersion'] ?? 0)
      if (Number.isFinite(rv)) highest = Math.max(highest, rv)
      this.collection(type).set(keyFor(type, stored), stored)
    }
    // The recorded lists were taken at one resourceVersion (3654 in the fixtures); start there.
    this.revision = Math.max(highest, 3654, this.revision)
    this.compactedRevision = this.revision
  }

  private prepare(type: ResourceType, obj: KubeObject): KubeObject {
    const stored = stripTypeMeta(structuredClone(obj))
    const metadata = meta(stored)
    if (typeof metadata['name'] !== 'string' || metadata['name'] === '') {
      throw new Error(`fake kube-apiserver: a ${type.kind} needs metadata.name`)
    }
    if (type.namespaced) metadata['namespace'] ??= 'default'
    else delete metadata['namespace']
    metadata['uid'] ??= randomUUID()
    metadata['creationTimestamp'] ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    return stored
  }

  private commit(type: ResourceType, key: string, stored: KubeObject, verb: 'ADDED' | 'MODIFIED'): KubeObject {
    const previous = this.collection(type).get(key)
    meta(stored)['resourceVersion'] = String(++this.revision)
    this.collection(type).set(key, stored)
    const previousObject = previous === undefined ? undefined : withTypeMeta(type, previous)
    this.publish(type, { type: verb, object: withTypeMeta(type, structuredClone(stored)) }, previousObject)
    return withTypeMeta(type, structuredClone(stored))
  }

  private publish(type: ResourceType, event: WatchEvent, previous: KubeObject | undefined): void {
    this.history.push({ rv: this.revision, type, event, previous })
    for (const watch of this.watches) {
      const seen = eventFor(watch, type, event, previous)
      if (seen !== undefined) writeEvent(watch.res, seen)
    }
  }

  private collection(type: ResourceType): Map<string, KubeObject> {
    let collection = this.store.get(type.resource)
    if (collection === undefined) {
      collection = new Map()
      this.store.set(type.resource, collection)
    }
    return collection
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake')
    const query = Object.fromEntries(url.searchParams)
    const watch = query['watch'] === 'true' || query['watch'] === '1'
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      authorization: req.headers.authorization,
      watch,
    })
    const route = parseRoute(url.pathname)
    const down =
      this.down !== undefined &&
      (this.down.resources === undefined || this.down.resources.includes(route?.type.resource ?? '')) &&
      (!this.down.watchesOnly || watch)
    if (down && this.down?.mode === 'reset') {
      req.socket.destroy()
      return
    }
    if (down) return sendStatus(res, 503, 'ServiceUnavailable', 'the fake kube-apiserver is down')
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized')
    }
    if (url.pathname === POLICY_REPORT_PREFIX || url.pathname.startsWith(`${POLICY_REPORT_PREFIX}/`)) {
      return this.handlePolicyReports(req, res, url.pathname, query)
    }
    if (req.method !== 'GET') {
      return sendStatus(res, 405, 'MethodNotAllowed', `the fake kube-apiserver only serves GET, not ${req.method}`)
    }
    if (route === undefined) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource')
    let selector: LabelSelector
    try {
      selector = parseLabelSelector(query['labelSelector'] ?? '')
    } catch (err) {
      return sendStatus(res, 400, 'BadRequest', (err as Error).message)
    }
    if (route.name !== undefined) return this.getOne(res, route.type, route.namespace, route.name)
    if (watch) return this.startWatch(req, res, route.type, route.namespace, selector, query)
    return this.list(res, route.type, route.namespace, selector, query)
  }

  private getOne(res: ServerResponse, type: ResourceType, namespace: string | undefined, name: string): void {
    const obj = this.collection(type).get(keyOf(type, namespace, name))
    if (obj === undefined) return sendStatus(res, 404, 'NotFound', `${type.resource} "${name}" not found`)
    sendJson(res, 200, withTypeMeta(type, obj))
  }

  private list(
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    selector: LabelSelector,
    query: Record<string, string>,
  ): void {
    const limit = Number(query['limit'] ?? 0)
    const continueToken = query['continue']
    let snapshotId: string
    let offset = 0
    let snapshot: Snapshot | undefined
    if (continueToken !== undefined && continueToken !== '') {
      let decoded: { id?: unknown; offset?: unknown }
      try {
        decoded = JSON.parse(Buffer.from(continueToken, 'base64url').toString('utf8')) as typeof decoded
      } catch {
        return sendStatus(res, 400, 'BadRequest', 'continue key is not valid: illegal base64 data')
      }
      snapshotId = String(decoded.id)
      offset = Number(decoded.offset)
      snapshot = this.snapshots.get(snapshotId)
      if (this.expireNextContinue || snapshot === undefined) {
        this.expireNextContinue = false
        this.snapshots.delete(snapshotId)
        return sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. ' +
            'You can start a new list without the continue parameter.',
        )
      }
    } else {
      snapshotId = randomUUID()
      const items = [...this.collection(type).values()]
        .filter((obj) => (namespace === undefined || meta(obj)['namespace'] === namespace) && selector(labelsOf(obj)))
        .sort((a, b) => keyFor(type, a).localeCompare(keyFor(type, b)))
        .map((obj) => structuredClone(obj))
      snapshot = { items, resourceVersion: this.resourceVersion }
    }
    const end = limit > 0 ? offset + limit : snapshot.items.length
    const metadata: Record<string, unknown> = { resourceVersion: snapshot.resourceVersion }
    if (end < snapshot.items.length) {
      this.snapshots.set(snapshotId, snapshot)
      metadata['continue'] = Buffer.from(JSON.stringify({ id: snapshotId, offset: end })).toString('base64url')
      metadata['remainingItemCount'] = snapshot.items.length - end
    } else {
      this.snapshots.delete(snapshotId)
    }
    sendJson(res, 200, {
      kind: `${type.kind}List`,
      apiVersion: type.apiVersion,
      metadata,
      items: snapshot.items.slice(offset, end),
    })
  }

  private startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    selector: LabelSelector,
    query: Record<string, string>,
  ): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })
    res.flushHeaders()
    const from = query['resourceVersion'] ?? ''
    const tooOld = from !== '' && from !== '0' && Number(from) < this.compactedRevision
    const gone = this.goneNext === true || this.goneNext === type.resource
    if (gone || tooOld) {
      if (gone) this.goneNext = false
      writeEvent(res, { type: 'ERROR', object: goneStatus(from, this.resourceVersion) })
      res.end()
      return
    }
    const watch: OpenWatch = { type, namespace, selector, res, timer: undefined }
    if (from === '' || from === '0') {
      // "Any" resourceVersion: the watch starts with the current state as synthetic ADDED events.
      for (const obj of this.collection(type).values()) {
        if (watchMatches(watch, type, obj)) writeEvent(res, { type: 'ADDED', object: withTypeMeta(type, obj) })
      }
    } else {
      for (const entry of this.history) {
        const seen = entry.rv > Number(from) ? eventFor(watch, entry.type, entry.event, entry.previous) : undefined
        if (seen !== undefined) writeEvent(res, seen)
      }
    }
    const timeoutSeconds = Number(query['timeoutSeconds'] ?? 0)
    if (timeoutSeconds > 0) {
      watch.timer = setTimeout(() => {
        this.watches.delete(watch)
        res.end()
      }, timeoutSeconds * 1000)
    }
    this.watches.add(watch)
    req.socket.on('close', () => {
      clearTimeout(watch.timer)
      this.watches.delete(watch)
    })
  }
}

const POLICY_REPORT_PREFIX = '/apis/wgpolicyk8s.io/v1alpha2'
const POLICY_REPORT_TYPES: readonly ResourceType[] = [
  { resource: 'policyreports', kind: 'PolicyReport', apiVersion: 'wgpolicyk8s.io/v1alpha2', namespaced: true, prefix: POLICY_REPORT_PREFIX },
  { resource: 'clusterpolicyreports', kind: 'ClusterPolicyReport', apiVersion: 'wgpolicyk8s.io/v1alpha2', namespaced: false, prefix: POLICY_REPORT_PREFIX },
]

export interface AppliedPatch {
  path: string
  query: Record<string, string>
  contentType: string
  /** the parsed JSON body, undefined when it was not JSON */
  body: unknown
}

function policyReportType(kind: string): ResourceType {
  const type = POLICY_REPORT_TYPES.find((t) => t.kind === kind)
  if (type === undefined) throw new Error(`fake kube-apiserver: ${kind} is not a PolicyReport kind`)
  return type
}

type Route = { type: ResourceType; namespace: string | undefined; name: string | undefined }

/**
 * `<prefix>/<resource>[/NAME]` or `<prefix>/namespaces/NS/<resource>[/NAME]`, for one of `types`. A namespaced kind
 * across all namespaces can be listed, not named.
 */
function routeUnder(pathname: string, prefix: string, types: readonly ResourceType[]): Route | undefined {
  if (!pathname.startsWith(`${prefix}/`)) return undefined
  const segments = pathname.slice(prefix.length + 1).split('/').map(decodeURIComponent)
  const find = (resource: string | undefined) => types.find((t) => t.resource === resource)
  const [first, second, third, fourth, ...rest] = segments
  if (rest.length > 0) return undefined
  if (first === 'namespaces' && second !== undefined && third !== undefined) {
    const type = find(third)
    return type?.namespaced === true ? { type, namespace: second, name: fourth } : undefined
  }
  const type = find(first)
  if (type === undefined || third !== undefined) return undefined
  if (type.namespaced && second !== undefined) return undefined
  return { type, namespace: undefined, name: second }
}

/** `/policyreports`, `/namespaces/NS/policyreports[/NAME]`, `/clusterpolicyreports[/NAME]` under the group/version. */
function parsePolicyReportRoute(pathname: string): Route | undefined {
  return routeUnder(pathname, POLICY_REPORT_PREFIX, POLICY_REPORT_TYPES)
}

function parseRoute(pathname: string): Route | undefined {
  for (const prefix of ['/api/v1', '/apis/discovery.k8s.io/v1']) {
    const route = routeUnder(pathname, prefix, RESOURCE_TYPES.filter((t) => t.prefix === prefix))
    if (route !== undefined) return route
  }
  return undefined
}

type LabelSelector = (labels: Record<string, string>) => boolean

/**
 * The API server's label selector syntax: equality (`a=b`, `a==b`, `a!=b`), existence (`a`, `!a`) and sets
 * (`a in (x,y)`, `a notin (x,y)`), requirements separated by commas outside the parentheses. As in the API
 * server, `!=` and `notin` also select objects without the label.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements = splitRequirements(text).map((part): LabelSelector => {
    const set = /^([^=!\s()]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part)
    if (set !== null) {
      const [, key = '', op, list = ''] = set
      const values = new Set(list.split(',').map((v) => v.trim()).filter((v) => v !== ''))
      if (values.size === 0) throw new Error(`unable to parse requirement: ${part}: for 'in', 'notin' operators, values set can't be empty`)
      return op === 'in'
        ? (labels) => labels[key] !== undefined && values.has(labels[key])
        : (labels) => labels[key] === undefined || !values.has(labels[key])
    }
    const match = /^([^=!\s()]+)\s*(==|=|!=)\s*([^=!\s()]*)$/.exec(part)
    if (match !== null) {
      const [, key = '', op, value = ''] = match
      return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value
    }
    if (/^![^=!\s()]+$/.test(part)) return (labels) => !(part.slice(1) in labels)
    if (/^[^=!\s()]+$/.test(part)) return (labels) => part in labels
    throw new Error(`unable to parse requirement: ${part}`)
  })
  return (labels) => requirements.every((requirement) => requirement(labels))
}

/** `a in (x,y),b` → ['a in (x,y)', 'b']: the commas inside a set do not separate requirements. */
function splitRequirements(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of text) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (char === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += char
  }
  parts.push(current)
  return parts.map((part) => part.trim()).filter((part) => part !== '')
}

function watchMatches(watch: OpenWatch, type: ResourceType, obj: KubeObject): boolean {
  if (watch.type.resource !== type.resource) return false
  if (watch.namespace !== undefined && meta(obj)['namespace'] !== watch.namespace) return false
  return watch.selector(labelsOf(obj))
}

/**
 * What one watch sees of a change, as the API server's watch cache sends it: an object whose labels move it
 * into the selection is ADDED, one that moves out is DELETED (the object as it was, at the new
 * resourceVersion), and a change outside the selection is not sent at all.
 */
function eventFor(watch: OpenWatch, type: ResourceType, event: WatchEvent, previous: KubeObject | undefined): WatchEvent | undefined {
  const now = watchMatches(watch, type, event.object)
  if (event.type !== 'MODIFIED' || previous === undefined) return now ? event : undefined
  const before = watchMatches(watch, type, previous)
  if (now && before) return event
  if (now) return { type: 'ADDED', object: event.object }
  if (!before) return undefined
  const gone = structuredClone(previous)
  meta(gone)['resourceVersion'] = meta(event.object)['resourceVersion']
  return { type: 'DELETED', object: gone }
}

function writeEvent(res: ServerResponse, event: WatchEvent): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(event)}\n`)
}

function goneStatus(requested: string, current: string): KubeObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${requested} (${current})`,
    reason: 'Expired',
    code: 410,
  }
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code })
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function typeForKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind)
  if (type === undefined) throw new Error(`fake kube-apiserver: unsupported kind ${kind}`)
  return type
}

function meta(obj: KubeObject): Record<string, unknown> {
  const metadata = obj['metadata']
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) {
    return metadata as Record<string, unknown>
  }
  const created: Record<string, unknown> = {}
  obj['metadata'] = created
  return created
}

function labelsOf(obj: KubeObject): Record<string, string> {
  const labels = meta(obj)['labels']
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : {}
}

function keyOf(type: ResourceType, namespace: string | undefined, name: string): string {
  return type.namespaced ? `${namespace ?? 'default'}/${name}` : name
}

function keyFor(type: ResourceType, obj: KubeObject): string {
  return keyOf(type, meta(obj)['namespace'] as string | undefined, String(meta(obj)['name']))
}

/** The apiserver stores no kind/apiVersion per item: list items lack them, watch events and GETs carry them. */
function withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
  return { kind: type.kind, apiVersion: type.apiVersion, ...structuredClone(stripTypeMeta({ ...obj })) }
}

function stripTypeMeta(obj: KubeObject): KubeObject {
  delete obj['kind']
  delete obj['apiVersion']
  return obj
}
