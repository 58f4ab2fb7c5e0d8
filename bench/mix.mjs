// The request mix every bench uses: the recorded AdmissionReviews of test/fixtures/reviews plus generated
// EndpointSlices (1, 10, 100 endpoints; 1000 for decide) and Endpoints, each allowed and denied.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))
export const reviewsDir = path.join(repoRoot, 'test', 'fixtures', 'reviews')
export const contextFile = path.join(reviewsDir, 'context.yaml')

const controller = 'system:serviceaccount:kube-system:endpointslice-controller'

function envelope(uid, kind, resource, group, version, namespace, name, operation, username, object, oldObject = null) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version, kind },
      resource: { group, version, resource },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource },
      name,
      namespace,
      operation,
      userInfo: { username, groups: username.startsWith('system:') ? ['system:serviceaccounts', 'system:authenticated'] : ['system:authenticated'] },
      object,
      oldObject,
      dryRun: false,
      options: { kind: operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  }
}

/** 10.a.b.c addresses, distinct for up to 2^24 endpoints. */
const address = (i) => `10.${((i + 1) >> 16) & 255}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`

/** An EndpointSlice of n endpoints; `bad` puts a loopback address in the last endpoint (denied). */
export function endpointSlice(n, { bad = false, managedBy = 'manual', name = `web-${n}` } = {}) {
  const endpoints = []
  for (let i = 0; i < n; i++) {
    endpoints.push({
      addresses: [bad && i === n - 1 ? '127.0.0.1' : address(i)],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: `node-${i % 3}`,
      targetRef: { kind: 'Pod', namespace: 'default', name: `web-${i}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
      zone: `zone-${i % 3}`,
    })
  }
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': managedBy },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    endpoints,
  }
}

export function endpointsObject(n, { bad = false } = {}) {
  const addresses = []
  for (let i = 0; i < n; i++) addresses.push({ ip: bad && i === n - 1 ? '169.254.169.254' : address(i), nodeName: `node-${i % 3}` })
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: `legacy-${n}`, namespace: 'default' },
    subsets: [{ addresses, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  }
}

export function sliceReview(n, variant, uid = `bench-slice-${n}-${variant}`) {
  switch (variant) {
    case 'allowed':
      return envelope(uid, 'EndpointSlice', 'endpointslices', 'discovery.k8s.io', 'v1', 'default', `web-${n}`, 'CREATE', 'kubernetes-admin', endpointSlice(n))
    case 'denied':
      return envelope(uid, 'EndpointSlice', 'endpointslices', 'discovery.k8s.io', 'v1', 'default', `web-${n}`, 'CREATE', 'kubernetes-admin', endpointSlice(n, { bad: true }))
    case 'controller-update': {
      const object = endpointSlice(n, { managedBy: 'endpointslice-controller.k8s.io' })
      const oldObject = endpointSlice(n, { managedBy: 'endpointslice-controller.k8s.io' })
      oldObject.endpoints[0].conditions.ready = false
      return envelope(uid, 'EndpointSlice', 'endpointslices', 'discovery.k8s.io', 'v1', 'default', `web-${n}`, 'UPDATE', controller, object, oldObject)
    }
    default:
      throw new Error(`unknown variant ${variant}`)
  }
}

export function endpointsReview(n, variant, uid = `bench-endpoints-${n}-${variant}`) {
  const user = variant === 'denied' ? 'alice' : 'system:kube-controller-manager'
  return envelope(uid, 'Endpoints', 'endpoints', '', 'v1', 'default', `legacy-${n}`, 'CREATE', user, endpointsObject(n, { bad: variant === 'denied' }))
}

/**
 * The mix: every recorded review once (except the adversarial ones: their cost is what bench/adversarial.mjs
 * measures, and one 30 ms decision in the mix would make every latency figure here about it), plus generated slices of 1, 10 and 100 endpoints (allowed, denied,
 * controller UPDATE) and Endpoints of 10 addresses (allowed by the controller, denied for a user).
 * Each entry: { name, kind, size (endpoints, when generated), review (object), body (string), expectAllowed? }.
 */
export function requestMix({ sliceSizes = [1, 10, 100] } = {}) {
  const mix = []
  for (const file of readdirSync(reviewsDir).filter((f) => f.endsWith('.review.json') && !f.startsWith('adversarial-')).sort()) {
    const name = file.replace(/\.review\.json$/, '')
    const review = JSON.parse(readFileSync(path.join(reviewsDir, file), 'utf8'))
    const expected = JSON.parse(readFileSync(path.join(reviewsDir, `${name}.expected.json`), 'utf8'))
    mix.push({ name, kind: review.request.kind.kind, review, expectAllowed: expected.response.allowed })
  }
  for (const n of sliceSizes) {
    for (const variant of ['allowed', 'denied', 'controller-update']) {
      mix.push({ name: `slice-${n}-${variant}`, kind: 'EndpointSlice', size: n, review: sliceReview(n, variant), expectAllowed: variant !== 'denied' })
    }
  }
  for (const variant of ['allowed', 'denied']) {
    mix.push({ name: `endpoints-10-${variant}`, kind: 'Endpoints', size: 10, review: endpointsReview(10, variant), expectAllowed: variant !== 'denied' })
  }
  for (const entry of mix) entry.body = JSON.stringify(entry.review)
  return mix
}

/** `copies` bodies per mix entry, each with its own uid, interleaved so consecutive requests differ. */
export function bodiesWithFreshUids(mix, copies) {
  const out = []
  for (let c = 0; c < copies; c++) {
    for (const entry of mix) {
      const uid = `${String(c).padStart(4, '0')}${entry.review.request.uid}`.slice(0, 100)
      const review = { ...entry.review, request: { ...entry.review.request, uid } }
      out.push({ name: entry.name, uid, body: JSON.stringify(review) })
    }
  }
  return out
}

export function describeMix(mix) {
  const byKind = {}
  for (const e of mix) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1
  const bytes = mix.reduce((s, e) => s + Buffer.byteLength(e.body), 0)
  const denied = mix.filter((e) => e.expectAllowed === false).length
  return { entries: mix.length, byKind, denied, meanBytes: Math.round(bytes / mix.length) }
}
