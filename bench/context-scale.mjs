// The cluster context at scale: the real webhook (`startServer`, the built dist/) against an HTTPS fake API
// server that lists in pages (limit/continue) 50,000 realistic Services, 5,000 Namespaces, 2,000 Nodes and some
// hand-managed EndpointSlices (every object with managedFields and annotations; Nodes with a real Node's status).
//   npm run bench -- context                      full size
//   BENCH_SCALE=0.1 npm run bench -- context      a tenth of every count (a quick check)
// Measured in a child process run with --expose-gc (the fake API stays in this one): spawn of the server → /readyz
// 200 (every cache listed and watching), RSS after GC (2 s after sync, and idle), and the heap bytes per record of a second live context
// started beside it (its delta over the server's own heap, divided by the records it holds).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generate } from 'selfsigned'

const here = fileURLToPath(import.meta.url)
const distUrl = (file) => pathToFileURL(path.join(path.dirname(here), '..', 'dist', file)).href
const scaleOf = () => Number(process.env.BENCH_SCALE ?? 1)
const PAGE_LIMIT_SEEN = new Set()

export const targets = { readySeconds: 30, rssMiB: 200 }

const ts = '2026-11-02T10:15:42Z'
const uid = (kind, i) => `${kind.slice(0, 8).padEnd(8, '0')}-${String(i).padStart(4, '0').slice(-4)}-4${String(i % 1000).padStart(3, '0')}-8abc-${String(i).padStart(12, '0')}`
const ipv4 = (base, i) => `${base}.${(i >> 8) & 255}.${i & 255}`

function service(i, namespaces) {
  const namespace = `team-${i % namespaces}`
  const name = `svc-${i}`
  const headless = i % 20 === 0
  const selector = i % 25 === 3 ? undefined : { app: name }
  const spec = {
    ...(headless ? { clusterIP: 'None', clusterIPs: ['None'] } : { clusterIP: ipv4('10.96', i + 10), clusterIPs: [ipv4('10.96', i + 10)] }),
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 'metrics' },
    ],
    ...(selector === undefined ? {} : { selector }),
    sessionAffinity: 'None',
    type: i % 10 === 5 ? 'NodePort' : 'ClusterIP',
  }
  const labels = { app: name, team: `team-${i % 200}`, 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': `release-${i % 3000}`, 'app.kubernetes.io/version': '1.24.3' }
  const applied = { apiVersion: 'v1', kind: 'Service', metadata: { labels, name, namespace }, spec: { ports: spec.ports, selector, type: spec.type } }
  return {
    metadata: {
      name,
      namespace,
      uid: uid('service', i),
      resourceVersion: String(100000 + i),
      creationTimestamp: ts,
      labels,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n`,
        'meta.helm.sh/release-name': `release-${i % 3000}`,
        'meta.helm.sh/release-namespace': namespace,
      },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: ts,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {}, 'f:meta.helm.sh/release-name': {}, 'f:meta.helm.sh/release-namespace': {} }, 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) },
            'f:spec': { 'f:internalTrafficPolicy': {}, 'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} }, 'k:{"port":9090,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} } }, 'f:selector': {}, 'f:sessionAffinity': {}, 'f:type': {} },
          },
        },
      ],
    },
    spec,
    status: { loadBalancer: {} },
  }
}

function namespaceObject(i) {
  const name = `team-${i}`
  return {
    metadata: {
      name,
      uid: uid('namespace', i),
      resourceVersion: String(5000 + i),
      creationTimestamp: ts,
      labels: { 'kubernetes.io/metadata.name': name, environment: i % 3 === 0 ? 'production' : 'staging', team: `team-${i % 200}`, 'pod-security.kubernetes.io/enforce': 'baseline' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{"environment":"staging"},"name":"${name}"}}\n` },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: ts, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} }, 'f:labels': { '.': {}, 'f:environment': {}, 'f:kubernetes.io/metadata.name': {}, 'f:team': {} } } } }],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }
}

/** A Node as kubelet reports it: a long status (conditions, ~50 images, nodeInfo) and several managers' fields. */
function node(i) {
  const name = `node-${i}`
  const images = Array.from({ length: 50 }, (_, k) => ({
    names: [`registry.example.com/team-${k}/service-${k}@sha256:${String(k).padStart(4, '0')}${'9c3f1e0b7a2d'.repeat(5)}`, `registry.example.com/team-${k}/service-${k}:v1.${k}.${i % 10}`],
    sizeBytes: 10_000_000 + k * 123_457,
  }))
  const condition = (type, status, reason) => ({ type, status, lastHeartbeatTime: ts, lastTransitionTime: ts, reason, message: `kubelet ${reason}` })
  return {
    metadata: {
      name,
      uid: uid('node', i),
      resourceVersion: String(200000 + i),
      creationTimestamp: ts,
      labels: {
        'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/instance-type': 'm6i.2xlarge', 'beta.kubernetes.io/os': 'linux',
        'failure-domain.beta.kubernetes.io/region': 'eu-west-1', 'failure-domain.beta.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
        'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge', 'topology.kubernetes.io/region': 'eu-west-1', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
        'node-pool': `pool-${i % 8}`,
      },
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': ipv4('10.0', i + 10),
        'csi.volume.kubernetes.io/nodeid': `{"ebs.csi.aws.com":"i-0${String(i).padStart(16, '0')}"}`,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      managedFields: ['kubelet', 'kube-controller-manager', 'aws-node'].map((manager) => ({
        manager, operation: 'Update', apiVersion: 'v1', time: ts, fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:node.alpha.kubernetes.io/ttl': {} }, 'f:labels': { 'f:kubernetes.io/hostname': {}, 'f:node-pool': {} } }, 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:lastHeartbeatTime': {}, 'f:status': {} } }, 'f:images': {}, 'f:nodeInfo': { 'f:bootID': {} } } },
      })),
    },
    spec: { podCIDR: `10.${100 + (i >> 8)}.${i & 255}.0/24`, podCIDRs: [`10.${100 + (i >> 8)}.${i & 255}.0/24`], providerID: `aws:///eu-west-1a/i-0${String(i).padStart(16, '0')}` },
    status: {
      addresses: [
        { type: 'InternalIP', address: ipv4('10.0', i + 10) },
        { type: 'ExternalIP', address: ipv4('198.18', i + 10) },
        { type: 'InternalDNS', address: `ip-10-0-${i}.eu-west-1.compute.internal` },
        { type: 'Hostname', address: name },
      ],
      allocatable: { cpu: '7910m', 'ephemeral-storage': '95491281146', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '31619740Ki', pods: '58' },
      capacity: { cpu: '8', 'ephemeral-storage': '104845292Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '32456380Ki', pods: '58' },
      conditions: [condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'), condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'), condition('PIDPressure', 'False', 'KubeletHasSufficientPID'), condition('Ready', 'True', 'KubeletReady')],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images,
      nodeInfo: { architecture: 'amd64', bootID: uid('boot', i), containerRuntimeVersion: 'containerd://1.7.23', kernelVersion: '6.1.115-126.197.amzn2023.x86_64', kubeProxyVersion: 'v1.31.4', kubeletVersion: 'v1.31.4', machineID: uid('machine', i).replace(/-/g, ''), operatingSystem: 'linux', osImage: 'Amazon Linux 2023', systemUUID: uid('system', i) },
    },
  }
}

function slice(i, namespaces) {
  const namespace = `team-${i % namespaces}`
  return {
    metadata: {
      name: `external-db-${i}`,
      namespace,
      uid: uid('slice', i),
      resourceVersion: String(300000 + i),
      creationTimestamp: ts,
      labels: { 'kubernetes.io/service-name': `external-db-${i}`, 'endpointslice.kubernetes.io/managed-by': 'manual' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"external-db-${i}"}}\n` },
      managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'discovery.k8s.io/v1', time: ts, fieldsType: 'FieldsV1', fieldsV1: { 'f:addressType': {}, 'f:endpoints': {}, 'f:ports': {} } }],
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ipv4('192.0', i)], conditions: { ready: true } }, { addresses: [ipv4('198.51', i)], conditions: { ready: true } }],
    ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }],
  }
}

/** The counts at BENCH_SCALE (1: 50,000 Services, 5,000 Namespaces, 2,000 Nodes, 500 hand-managed slices). */
export function counts(scale = scaleOf()) {
  const n = (x) => Math.max(1, Math.round(x * scale))
  return { services: n(50_000), namespaces: n(5_000), nodes: n(2_000), endpointslices: n(500) }
}

/** Every collection as pre-serialised pages of `limit`: the server does no JSON work while the webhook lists. */
function collections(c, limit) {
  const make = (kind, apiVersion, count, build) => {
    const pages = []
    for (let first = 0; first < count; first += limit) {
      const items = []
      for (let i = first; i < Math.min(count, first + limit); i++) items.push(build(i))
      pages.push(JSON.stringify(items))
    }
    return { kind, apiVersion, pages, count }
  }
  return {
    '/api/v1/namespaces': make('NamespaceList', 'v1', c.namespaces, namespaceObject),
    '/api/v1/services': make('ServiceList', 'v1', c.services, (i) => service(i, c.namespaces)),
    '/api/v1/nodes': make('NodeList', 'v1', c.nodes, node),
    '/apis/discovery.k8s.io/v1/endpointslices': make('EndpointSliceList', 'discovery.k8s.io/v1', c.endpointslices, (i) => slice(i, c.namespaces)),
  }
}

/** The list+watch part of an API server for these collections: pages by continue token, watches held open. */
async function startApi(data, token) {
  const pems = await generate([{ name: 'commonName', value: 'bench-kube-apiserver' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  })
  const watches = new Set()
  const server = https.createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://bench')
    const collection = data[url.pathname]
    if (req.headers.authorization !== `Bearer ${token}` || collection === undefined) {
      res.writeHead(collection === undefined ? 404 : 401).end()
      return
    }
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })
      res.flushHeaders()
      watches.add(res)
      res.on('close', () => watches.delete(res))
      return
    }
    const limit = Number(url.searchParams.get('limit') ?? 0)
    PAGE_LIMIT_SEEN.add(limit)
    const page = Number(url.searchParams.get('continue') ?? 0)
    const items = collection.pages[page] ?? '[]'
    const next = page + 1 < collection.pages.length ? `,"continue":"${page + 1}","remainingItemCount":${collection.count - (page + 1) * PAGE_SIZE}` : ''
    const body = `{"kind":"${collection.kind}","apiVersion":"${collection.apiVersion}","metadata":{"resourceVersion":"900000"${next}},"items":${items}}`
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
    res.end(body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    ca: pems.cert,
    async close() {
      for (const res of watches) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** The page size the webhook asks for (src/cluster/list.ts) and this server serves. */
const PAGE_SIZE = 500
/** How long the synced server idles before the judged RSS reading: past V8's memory reducer (see child). */
const IDLE_MS = 12_000

/**
 * The glibc setting the image runs with (Dockerfile ENV), read from there so the child measures what is deployed;
 * an explicit MALLOC_TRIM_THRESHOLD_ in the environment wins, and BENCH_GLIBC_DEFAULTS=1 measures without it.
 */
function imageMallocEnv() {
  if (process.env.MALLOC_TRIM_THRESHOLD_ !== undefined || process.env.BENCH_GLIBC_DEFAULTS === '1') return {}
  const dockerfile = readFileSync(path.join(path.dirname(here), '..', 'Dockerfile'), 'utf8')
  const value = /^ENV MALLOC_TRIM_THRESHOLD_=(\d+)$/m.exec(dockerfile)?.[1]
  return value === undefined ? {} : { MALLOC_TRIM_THRESHOLD_: value }
}

/** Runs in the child: the real server, then a second live context beside it for the bytes per record. */
async function child(kubeconfig) {
  const { startServer } = await import(distUrl('server/serve.js'))
  const { parseConfig } = await import(distUrl('config.js'))
  const { startLiveContext, loadKubeConfig } = await import(distUrl('cluster/live-context.js'))
  const { pino } = await import('pino')
  const logger = pino({ level: 'silent' })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eg-context-scale-'))
  const config = parseConfig('serve', { kubeconfig, port: '0', probePort: '0', host: '127.0.0.1', generatedCaFile: path.join(dir, 'ca.pem') }, {})
  const gc = () => {
    for (let i = 0; i < 4; i++) globalThis.gc()
  }
  const started = performance.now()
  const server = await startServer(config, logger)
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${server.probePort}/readyz`).catch(() => undefined)
    if (res?.status === 200) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const readySeconds = (performance.now() - started) / 1000
  const settle = async (ms) => {
    await new Promise((resolve) => setTimeout(resolve, ms))
    gc()
    const usage = process.memoryUsage()
    return { rssMiB: usage.rss / 2 ** 20, breakdown: Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Math.round(v / 2 ** 20)])) }
  }
  gc()
  // 2 s after sync, then idle: V8's memory reducer first runs ~8 s after the last major GC (kLongDelayMs) and
  // only then shrinks the young generation and compacts, so the second figure is what an idle server settles at.
  const soon = await settle(2000)
  const idle = await settle(IDLE_MS - 2000)
  const { rssMiB, breakdown } = idle
  const heapBefore = process.memoryUsage().heapUsed
  const second = startLiveContext({ kubeConfig: loadKubeConfig(config), logger })
  await second.waitForSync()
  gc()
  const heapAfter = process.memoryUsage().heapUsed
  const sizes = second.sizes()
  const records = Object.values(sizes).reduce((a, b) => a + b, 0)
  await second.stop()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
  return { readySeconds, rssMiB, breakdown, soon, heapMiB: heapBefore / 2 ** 20, bytesPerRecord: (heapAfter - heapBefore) / records, sizes }
}

/** Builds the data, serves it, runs the child once; returns the figures and their targets. */
export async function contextScaleBench({ scale = scaleOf(), log = (s) => process.stderr.write(`bench: ${s}\n`) } = {}) {
  const c = counts(scale)
  const t0 = performance.now()
  const data = collections(c, PAGE_SIZE)
  const wireMiB = Object.values(data).reduce((sum, d) => sum + d.pages.reduce((s, p) => s + p.length, 0), 0) / 2 ** 20
  log(`context scale ${scale}: ${c.services} Services, ${c.namespaces} Namespaces, ${c.nodes} Nodes, ${c.endpointslices} slices (${wireMiB.toFixed(0)} MiB of JSON, built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  const token = `bench-${process.pid}`
  const api = await startApi(data, token)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eg-context-kubeconfig-'))
  const kubeconfig = path.join(dir, 'kubeconfig.yaml')
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'bench',
    clusters: [{ name: 'bench', cluster: { server: api.url, 'certificate-authority-data': Buffer.from(api.ca).toString('base64') } }],
    users: [{ name: 'bench', user: { token } }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
  }))
  try {
    const result = await new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--expose-gc', here, '--child', kubeconfig], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...imageMallocEnv(), KUBECONFIG: '' } })
      let out = ''
      proc.stdout.on('data', (d) => (out += d))
      proc.on('error', reject)
      proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`context-scale child exited ${code}: ${out}`))))
    })
    return { scale, counts: c, wireMiB, pageLimits: [...PAGE_LIMIT_SEEN], mallocEnv: imageMallocEnv(), ...result, targets }
  } finally {
    await api.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const breakdownText = (breakdown) => Object.entries(breakdown).map(([k, v]) => `${k} ${v}`).join(', ')

/** The report lines: each target with its figure and the ratio to its limit. */
export function contextScaleReport(r) {
  const ratio = (value, limit) => `${(value / limit).toFixed(2)} of the limit, ${value < limit ? 'met' : '**missed**'}`
  const records = Object.values(r.sizes).reduce((a, b) => a + b, 0)
  return [
    `cluster context at scale ${r.scale}: ${r.counts.services} Services, ${r.counts.namespaces} Namespaces, ${r.counts.nodes} Nodes, ${r.counts.endpointslices} hand-managed slices (${r.wireMiB.toFixed(0)} MiB of JSON, pages of ${r.pageLimits.join('/')}) over HTTPS`,
    `| context: startServer → /readyz 200 (all four caches listed and watching) | ${r.readySeconds.toFixed(1)} s | < ${r.targets.readySeconds} s | ${ratio(r.readySeconds, r.targets.readySeconds)} |`,
    `| context: RSS after GC, synced and idle ${IDLE_MS / 1000} s | ${r.rssMiB.toFixed(0)} MiB (heap ${r.heapMiB.toFixed(0)} MiB) | < ${r.targets.rssMiB} MiB | ${ratio(r.rssMiB, r.targets.rssMiB)} |`,
    `| context: memory after GC, idle, MiB | ${breakdownText(r.breakdown)} | | |`,
    `| context: memory after GC, 2 s after sync, MiB | ${breakdownText(r.soon.breakdown)} | | |`,
    `| context: child's malloc environment | ${Object.entries(r.mallocEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'glibc defaults'} | | |`,
    `| context: heap per record (${records} records) | ${r.bytesPerRecord.toFixed(0)} B | | |`,
  ].join('\n')
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await child(process.argv[3])))
} else if (process.argv[1] === here) {
  console.log(contextScaleReport(await contextScaleBench()))
}
