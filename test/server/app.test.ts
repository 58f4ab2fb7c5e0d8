import path from 'node:path'
import t from 'tap'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'
import { policySet } from '../../src/policy/policy-set.js'
import type { CompiledPolicy } from '../../src/policy/types.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { createMetrics } from '../../src/server/metrics.js'
import { capturingLogger, testApp, testLimits } from '../support/app.js'
import { fixturesDir, readJson } from '../support/fixtures.js'

const reviews = path.join(fixturesDir, 'reviews')
const json = { 'content-type': 'application/json' }

t.test('the wire contract for bad input: exact status and body', async (t) => {
  const app = testApp(await loadPolicies())
  t.teardown(() => app.close())
  const cases: Array<{ name: string; headers?: Record<string, string>; payload?: string; status: number; body: object }> = [
    {
      name: 'empty body',
      headers: json,
      payload: '',
      status: 400,
      body: { statusCode: 400, code: 'EG_BODY_EMPTY', error: 'Bad Request', message: 'The request body is empty; expected an AdmissionReview JSON object.' },
    },
    {
      name: 'malformed JSON',
      headers: json,
      payload: '{"apiVersion": ',
      status: 400,
      body: { statusCode: 400, code: 'EG_BODY_NOT_JSON', error: 'Bad Request', message: 'The request body is not valid JSON: the body ends inside a JSON value.' },
    },
    {
      name: 'wrong content type',
      headers: { 'content-type': 'text/plain' },
      payload: '{}',
      status: 415,
      body: { statusCode: 415, code: 'EG_CONTENT_TYPE', error: 'Unsupported Media Type', message: 'Unsupported content type "text/plain"; send application/json.' },
    },
    {
      name: 'oversized body',
      headers: json,
      payload: `{"pad":"${'x'.repeat(testLimits.bodyLimit)}"}`,
      status: 413,
      body: { statusCode: 413, code: 'EG_BODY_TOO_LARGE', error: 'Payload Too Large', message: `The request body is larger than the limit of ${testLimits.bodyLimit} bytes (--body-limit).` },
    },
    {
      name: 'not an AdmissionReview',
      headers: json,
      payload: '{"kind":"Pod","apiVersion":"v1"}',
      status: 400,
      body: { statusCode: 400, code: 'EG_NOT_ADMISSION_REVIEW', error: 'Bad Request', message: 'The body is not an AdmissionReview: kind must be "AdmissionReview".' },
    },
    {
      name: 'missing uid',
      headers: json,
      payload: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Service' } } }),
      status: 400,
      body: { statusCode: 400, code: 'EG_NO_UID', error: 'Bad Request', message: 'The AdmissionReview has no request.uid, so no answer can be matched to it.' },
    },
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/validate', ...(c.headers ? { headers: c.headers } : {}), ...(c.payload === undefined ? {} : { payload: c.payload }) })
    t.equal(res.statusCode, c.status, `${c.name}: status`)
    t.same(res.json(), c.body, `${c.name}: body`)
    t.notMatch(res.body, /"allowed":\s*true/, `${c.name}: never an allow`)
  }
  const notFound = await app.inject({ method: 'GET', url: '/validate' })
  t.equal(notFound.statusCode, 404)
  t.equal(notFound.json<{ code: string }>().code, 'EG_NOT_FOUND')
})

t.test('a readable uid with an unusable request gets an errored AdmissionReview (HTTP 200, allowed false)', async (t) => {
  const app = testApp(await loadPolicies())
  t.teardown(() => app.close())
  const payload = JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u-9', kind: { kind: 'Service' }, resource: { resource: 'services' }, operation: 'CREATE' } })
  const res = await app.inject({ method: 'POST', url: '/validate', headers: json, payload })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    apiVersion: 'admission.k8s.io/v1beta1',
    kind: 'AdmissionReview',
    response: { uid: 'u-9', allowed: false, status: { code: 400, message: 'The AdmissionReview request cannot be evaluated: request.object must be an object for CREATE.' } },
  })
})

t.test('a policy that throws gives an errored answer, never an allow', async (t) => {
  const real = await loadPolicies()
  const base = real.policies.find((p) => p.id === 'service-ports') as CompiledPolicy
  const throwing = Object.assign(() => {
    throw new Error('boom')
  }, { errors: null }) as unknown as CompiledPolicy['validate']
  const broken = policySet([{ ...base, id: 'exploding', validate: throwing }], 'test')
  const app = testApp(broken)
  t.teardown(() => app.close())
  const body = readJson<{ request: { uid: string } }>(path.join(reviews, 'pepr-service-create.review.json'))
  const res = await app.inject({ method: 'POST', url: '/validate', headers: json, payload: JSON.stringify(body) })
  t.equal(res.statusCode, 200)
  const response = res.json<AdmissionReviewResponse>().response
  t.equal(response.uid, body.request.uid)
  t.equal(response.allowed, false)
  t.equal(response.status?.code, 500)
  t.match(response.status?.message, /policy exploding failed while evaluating the object: boom/)
})

t.test('a denial over the wire, with one log line carrying the decision and no object body', async (t) => {
  const { logger, lines } = capturingLogger()
  const app = testApp(await loadPolicies(), { logger })
  t.teardown(() => app.close())
  const body = readJson(path.join(reviews, 'slice-metadata-injection.review.json'))
  const res = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: JSON.stringify(body) })
  t.equal(res.statusCode, 200)
  const response = res.json<AdmissionReviewResponse>().response
  t.equal(response.allowed, false)
  t.equal(response.status?.code, 403)
  t.match(response.status?.message, 'endpointslice-addresses: endpoints[0].addresses[0]: Invalid value: "169.254.169.254": must not be a link-local address')
  const admission = lines().filter((l) => l.msg === 'admission')
  t.equal(admission.length, 1)
  t.match(admission[0], {
    uid: '7a2b0000-0004-4d3e-8f00-000000000004',
    kind: 'EndpointSlice',
    namespace: 'default',
    name: 'evil-slice',
    operation: 'CREATE',
    user: 'mallory',
    decision: 'denied',
    webhook: 'validate',
  })
  t.type(admission[0]?.durationMs, 'number')
  t.notMatch(JSON.stringify(admission[0]), /169\.254\.169\.254/, 'no object content at info level')
})

t.test('an allowed request is logged at debug unless --log-allowed; the requests and violations counters count every answer', async (t) => {
  const policies = await loadPolicies()
  const allowedBody = JSON.stringify(readJson(path.join(reviews, 'endpoints-by-controller.review.json')))
  const deniedBody = JSON.stringify(readJson(path.join(reviews, 'slice-metadata-injection.review.json')))
  const post = (app: ReturnType<typeof testApp>, payload: string) => app.inject({ method: 'POST', url: '/validate', headers: json, payload })
  const levelName: Record<number, string> = { 20: 'debug', 30: 'info' }
  const decisions = (lines: () => Array<Record<string, unknown>>) => lines().filter((l) => l.msg === 'admission').map((l) => `${levelName[Number(l['level'])] ?? String(l['level'])} ${String(l['decision'])}`)
  for (const [name, level, logAllowed, expected] of [
    ['default', 'info', false, ['info denied']],
    ['--log-allowed', 'info', true, ['info allowed', 'info denied']],
    ['--log-level debug', 'debug', false, ['debug allowed', 'info denied']],
  ] as const) {
    const { logger, lines } = capturingLogger(level)
    const metrics = createMetrics()
    const app = testApp(policies, { logger, logAllowed, metrics })
    t.teardown(() => app.close())
    t.equal((await post(app, allowedBody)).json<AdmissionReviewResponse>().response.allowed, true)
    t.equal((await post(app, deniedBody)).json<AdmissionReviewResponse>().response.allowed, false)
    t.same(decisions(lines), expected, `${name}: the admission lines`)
    const text = await metrics.registry.metrics()
    t.match(text, /endpoint_guard_admission_requests_total\{webhook="validate",kind="Endpoints",operation="CREATE",decision="allowed"\} 1/, `${name}: the allowed request is counted`)
    t.match(text, /endpoint_guard_admission_requests_total\{webhook="validate",kind="EndpointSlice",operation="CREATE",decision="denied"\} 1/)
  }
})

t.test('the violations counter counts every violation of a denial, however many', async (t) => {
  const metrics = createMetrics()
  const app = testApp(await loadPolicies(), { metrics })
  t.teardown(() => app.close())
  const review = readJson<{ request: { object: { subsets: Array<{ addresses: unknown[] }> } } }>(path.join(reviews, 'adversarial-many-violations.review.json'))
  const res = await app.inject({ method: 'POST', url: '/validate', headers: json, payload: JSON.stringify(review) })
  t.equal(res.json<AdmissionReviewResponse>().response.status?.code, 403)
  const addresses = review.request.object.subsets[0]?.addresses.length ?? 0
  t.ok(addresses >= 1000, `${addresses} multicast addresses`)
  t.match(await metrics.registry.metrics(), new RegExp(`endpoint_guard_violations_total\\{policy="endpoints-addresses",action="deny"\\} ${addresses}\n`))
})

t.test('the log line carries request fields only as bounded strings, whatever the review sent', async (t) => {
  const { logger, lines } = capturingLogger()
  const app = testApp(await loadPolicies(), { logger })
  t.teardown(() => app.close())
  const body = readJson<{ request: Record<string, unknown> }>(path.join(reviews, 'slice-metadata-injection.review.json'))
  // decode() refuses request fields of the wrong type; the object's metadata is not checked before logging.
  const long = 'n'.repeat(20_000)
  body.request['name'] = long
  body.request['namespace'] = 'ns-'.repeat(2000)
  body.request['userInfo'] = { username: 'u'.repeat(10_000) }
  const second = structuredClone(body)
  delete second.request['name']
  ;(second.request['object'] as { metadata: Record<string, unknown> }).metadata['name'] = ['evil', { nested: true }]
  for (const review of [body, second]) {
    const res = await app.inject({ method: 'POST', url: '/validate', headers: json, payload: JSON.stringify(review) })
    t.equal(res.statusCode, 200)
  }
  const [first, other] = lines().filter((l) => l.msg === 'admission')
  for (const line of [first, other]) {
    for (const field of ['uid', 'kind', 'namespace', 'name', 'operation', 'subResource', 'user']) t.type(line?.[field], 'string', `${field} is a string`)
    t.ok(JSON.stringify(line).length < 2048, `the whole line is bounded (${JSON.stringify(line).length} characters)`)
  }
  t.equal(first?.['name'], `${'n'.repeat(256)}…(19744 more characters)`, 'a long name is cut, with a marker')
  t.equal(first?.['user'], `${'u'.repeat(256)}…(9744 more characters)`)
  t.equal(other?.['name'], '(not a string)', 'an array from the object is not copied')
})

t.test('/validate never patches and /mutate never denies', async (t) => {
  const app = testApp(await loadPolicies())
  t.teardown(() => app.close())
  const body = JSON.stringify(readJson(path.join(reviews, 'slice-metadata-injection.review.json')))
  const mutate = await app.inject({ method: 'POST', url: '/mutate', headers: json, payload: body })
  t.equal(mutate.json<AdmissionReviewResponse>().response.allowed, true, 'validation is /validate’s job')
  const validate = await app.inject({ method: 'POST', url: '/validate', headers: json, payload: body })
  t.equal(validate.json<AdmissionReviewResponse>().response.patch, undefined)
})
