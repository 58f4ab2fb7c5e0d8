import path from 'node:path'
import jsonPatch, { type Operation } from 'fast-json-patch'
import t from 'tap'
import { reviewAdmission } from '../../src/admission/review.js'
import { judgingAt } from '../../src/engine/judging.js'
import { syntheticRequest } from '../../src/engine/synthesize.js'
import type { KubeObject } from '../../src/kube/object.js'
import { emptyContext } from '../../src/policy/context.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { fixturesDir, readJson } from '../support/fixtures.js'

const slice = (labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 's', namespace: 'default', ...(labels === undefined ? {} : { labels }) },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.1.2.3'] }],
})

function mutate(object: KubeObject, operation: 'CREATE' | 'UPDATE' = 'CREATE') {
  const request = syntheticRequest(object, operation === 'UPDATE' ? { oldObject: object } : {})
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request })
}

function patchOf(answer: ReturnType<typeof reviewAdmission>): Operation[] | undefined {
  if (answer.kind !== 'answer') throw new Error(`not answered: ${answer.kind}`)
  const r = answer.review.response
  if (r.patch === undefined) return undefined
  t.equal(r.patchType, 'JSONPatch')
  return JSON.parse(Buffer.from(r.patch, 'base64').toString()) as Operation[]
}

t.test('a slice without managed-by gets "manual"; applying the patch and sending again gives no patch', async (t) => {
  const policies = await loadPolicies()
  for (const [name, object] of [
    ['no labels at all', slice()],
    ['other labels', slice({ 'kubernetes.io/service-name': 'example' })],
  ] as const) {
    const patch = patchOf(reviewAdmission(mutate(object), policies, emptyContext, 'mutate', judgingAt(0)))
    t.ok(patch !== undefined && patch.length > 0, `${name}: patched`)
    const patched = jsonPatch.applyPatch(structuredClone(object), patch ?? [], true, false).newDocument
    t.equal((patched.metadata as { labels: Record<string, string> }).labels['endpointslice.kubernetes.io/managed-by'], 'manual', `${name}: label set`)
    t.equal(patchOf(reviewAdmission(mutate(patched), policies, emptyContext, 'mutate', judgingAt(0))), undefined, `${name}: second pass yields no patch`)
  }
})

t.test('patch paths escape "/" in label keys as ~1 and create a missing labels map', async (t) => {
  const policies = await loadPolicies()
  t.same(patchOf(reviewAdmission(mutate(slice({ team: 'a' })), policies, emptyContext, 'mutate', judgingAt(0))), [
    { op: 'add', path: '/metadata/labels/endpointslice.kubernetes.io~1managed-by', value: 'manual' },
  ])
  t.same(patchOf(reviewAdmission(mutate(slice()), policies, emptyContext, 'mutate', judgingAt(0))), [
    { op: 'add', path: '/metadata/labels', value: { 'endpointslice.kubernetes.io/managed-by': 'manual' } },
  ])
})

t.test('no patch when nothing changes, on UPDATE, or for other kinds; the request object is never modified', async (t) => {
  const policies = await loadPolicies()
  const labelled = slice({ 'endpointslice.kubernetes.io/managed-by': 'team-x' })
  t.equal(patchOf(reviewAdmission(mutate(labelled), policies, emptyContext, 'mutate', judgingAt(0))), undefined, 'already labelled')
  t.equal(patchOf(reviewAdmission(mutate(slice(), 'UPDATE'), policies, emptyContext, 'mutate', judgingAt(0))), undefined, 'only on CREATE')
  const svc = readJson<{ request: KubeObject }>(path.join(fixturesDir, 'reviews', 'pepr-service-create.review.json'))
  t.equal(patchOf(reviewAdmission(JSON.stringify(svc), policies, emptyContext, 'mutate', judgingAt(0))), undefined, 'Services are not mutated')
  const object = slice()
  const before = JSON.stringify(object)
  reviewAdmission(mutate(object), policies, emptyContext, 'mutate', judgingAt(0))
  t.equal(JSON.stringify(object), before)
})

t.test('the audit action allows and records in auditAnnotations, with no warning to the user', async (t) => {
  const policies = await loadPolicies([path.join(fixturesDir, 'policies-audit')])
  const review = readJson<{ request: KubeObject }>(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'))
  const answer = reviewAdmission(JSON.stringify(review), policies, emptyContext, 'validate', judgingAt(0))
  if (answer.kind !== 'answer') throw new Error('not answered')
  t.same(answer.review.response, {
    uid: '6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01',
    allowed: true,
    auditAnnotations: { 'externalips-audit': 'spec.externalIPs: Too many: 1: external IPs in use' },
  })
  for (const key of Object.keys(answer.review.response.auditAnnotations ?? {})) {
    t.match(key, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'annotation keys are valid qualified names')
  }
})
