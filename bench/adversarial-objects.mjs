// The attacker's objects of issue 10, at any size: bench/adversarial.mjs builds them at full size, and
// scripts/write-adversarial-reviews.mjs writes small ones as recorded reviews (test/fixtures/reviews/adversarial-*).
// Every object is one a real API server accepts under its 3 MiB request limit (at full size), or would reach a
// mutating webhook with.

const review = (uid, kind, group, resource, operation, object, extra = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    kind: { group, version: 'v1', kind },
    resource: { group, version: 'v1', resource },
    name: object.metadata.name,
    namespace: 'default',
    operation,
    userInfo: { username: 'mallory', groups: ['system:authenticated'] },
    object,
    ...extra,
  },
})

/** The i-th multicast address, all distinct: 224.0.0.0, 224.0.0.1, ... */
export const multicast = (i) => `224.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`

/**
 * Endpoints: one subset of `addresses` multicast addresses (one violation each), then `duplicateSubsets` subsets
 * with two ports named "a" (one uniqueBy violation each). Kubernetes' own validation checks neither.
 */
export function endpointsReview({ addresses, duplicateSubsets = 0, uid = 'a0000000-0000-4000-8000-000000000001' }) {
  const subsets = [{ addresses: Array.from({ length: addresses }, (_, i) => ({ ip: multicast(i) })), ports: [{ port: 80 }] }]
  for (let i = 0; i < duplicateSubsets; i++) subsets.push({ ports: [{ name: 'a', port: 1 }, { name: 'a', port: 2 }] })
  const object = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'attack', namespace: 'default' }, subsets }
  return review(uid, 'Endpoints', '', 'endpoints', 'CREATE', object)
}

/** A Service whose selector has `keys` keys of `keyLength` characters (values of 100), none valid. */
export function selectorKeysReview({ keys = 3, keyLength, uid = 'a0000000-0000-4000-8000-000000000002' }) {
  const selector = {}
  for (let i = 0; i < keys; i++) selector[`${String.fromCharCode(97 + i)}${'/x'.repeat(Math.floor((keyLength - 1) / 2))}`] = '_'.repeat(100)
  const object = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'attack', namespace: 'default' }, spec: { selector, ports: [{ name: 'http', port: 80 }] } }
  return review(uid, 'Service', '', 'services', 'CREATE', object)
}

/** An EndpointSlice of `count` loopback endpoints, UPDATEd with only a label changed: `count` ratcheted warnings. */
export function ratchetedWarningsReview({ count, uid = 'a0000000-0000-4000-8000-000000000003' }) {
  const slice = (team) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'legacy', namespace: 'default', labels: { 'kubernetes.io/service-name': 'example', 'endpointslice.kubernetes.io/managed-by': 'manual', team } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: count }, (_, i) => ({ addresses: [`127.0.${i >> 8}.${(i & 255) + 1}`] })),
  })
  return review(uid, 'EndpointSlice', 'discovery.k8s.io', 'endpointslices', 'UPDATE', slice('payments'), { oldObject: slice('billing') })
}
