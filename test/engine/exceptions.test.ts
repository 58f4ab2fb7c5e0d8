// Exceptions in the engine: which objects an exception covers, when it stops applying (a fixed clock, passed in),
// and what exempted, expired and monitored findings do to the outcome. Pure: no files, no clock.
import t from 'tap'
import { exempted, withExceptions, type ExceptionTarget } from '../../src/engine/exceptions.js'
import { judgingAt } from '../../src/engine/judging.js'
import { denies, outcomeOf, warns } from '../../src/engine/outcome.js'
import { syntheticRequest } from '../../src/engine/synthesize.js'
import { validate } from '../../src/engine/validate.js'
import { emptyContext } from '../../src/policy/context.js'
import { policySet } from '../../src/policy/policy-set.js'
import type { Finding, PolicyException, PolicyExceptionDocument } from '../../src/policy/types.js'
import { loadPolicies } from '../../src/policy-files/read.js'

const expiry = Date.parse('2030-01-31T18:00:00Z')

function exception(id: string, match: PolicyExceptionDocument['match'], policies = ['p'], expiresAt = expiry): PolicyException {
  return { id, file: `${id}.json`, expiresAt, document: { kind: 'PolicyException', id, policies, match, reason: `because ${id}`, expires: new Date(expiresAt).toISOString() } }
}

const finding = (policy = 'p', action: Finding['action'] = 'deny'): Finding => ({ policy, action, path: 'spec', type: 'Forbidden', detail: 'no', preexisting: false })
const slice: ExceptionTarget = { kind: 'EndpointSlice', namespace: 'shop', name: 'web-1' }
const idOf = (findings: Finding[]) => findings.map((f) => f.exception?.id ?? '-')

t.test('what an exception covers: every condition given holds', async (t) => {
  const before = expiry - 1
  const cases: Array<[string, PolicyExceptionDocument['match'], boolean]> = [
    ['its namespace', { namespaces: ['shop'] }, true],
    ['another namespace', { namespaces: ['prod'] }, false],
    ['its name', { names: ['web-1'] }, true],
    ['its name in another namespace', { namespaces: ['prod'], names: ['web-1'] }, false],
    ['its kind, namespace and name', { kinds: ['EndpointSlice'], namespaces: ['shop'], names: ['web-1'] }, true],
    ['another kind', { kinds: ['Endpoints'], namespaces: ['shop'] }, false],
  ]
  for (const [what, match, covered] of cases) {
    const [f] = withExceptions([finding()], [exception('e', match)], slice, before)
    t.equal(f?.exception?.id, covered ? 'e' : undefined, what)
  }
  t.same(idOf(withExceptions([finding('p'), finding('q')], [exception('e', { namespaces: ['shop'] })], slice, before)), ['e', '-'], 'only the policies it names')
  t.same(idOf(withExceptions([finding()], [exception('e', { names: ['web-1'] })], { ...slice, name: undefined }, before)), ['-'], 'an object with no name (generateName) matches no names')
  const namespace: ExceptionTarget = { kind: 'Namespace', namespace: 'team-a', name: 'team-a' }
  t.same(idOf(withExceptions([finding()], [exception('e', { kinds: ['Namespace'], namespaces: ['team-a'] })], namespace, before)), ['e'], 'a Namespace is its own namespace')
})

t.test('expiry, judged at the time given', async (t) => {
  const e = exception('e', { namespaces: ['shop'] })
  const at = (now: number) => withExceptions([finding()], [e], slice, now)[0] as Finding
  t.ok(exempted(at(expiry - 1)), 'a millisecond before: exempted')
  t.notOk(exempted(at(expiry)), 'at the expiry: no longer')
  t.same(at(expiry).exception, { id: 'e', reason: 'because e', expires: '2030-01-31T18:00:00.000Z', expired: true }, 'the finding says which exception expired')
  t.ok(denies(at(expiry)), 'and denies again')
  const renewed = exception('renewed', { names: ['web-1'] }, ['p'], expiry + 1000)
  t.equal(withExceptions([finding()], [e, renewed], slice, expiry)[0]?.exception?.id, 'renewed', 'an unexpired exception is preferred to an expired one')
})

t.test('outcomes: exempted and monitored denies warn, never deny; warn and audit findings stay what they are', async (t) => {
  const e = [exception('e', { namespaces: ['shop'] }, ['p', 'w'])]
  const [deny, warn] = withExceptions([finding('p'), finding('w', 'warn')], e, slice, 0) as [Finding, Finding]
  t.notOk(denies(deny))
  t.ok(warns(deny), 'an exempted deny is a warning')
  t.ok(warns(warn) && exempted(warn), 'an exempted warn finding is still reported')
  t.equal(outcomeOf([deny, warn], false), 'warned')
  const monitored: Finding = { ...finding(), monitored: true }
  t.notOk(denies(monitored))
  t.equal(outcomeOf([monitored], false), 'warned')
})

t.test('validate: exceptions of the set, monitor mode and per-policy actions', async (t) => {
  const bundled = await loadPolicies()
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'proxy', namespace: 'edge' }, spec: { ports: [{ port: 80 }], selector: { app: 'p' }, externalIPs: ['1.1.1.1'] } }
  const request = syntheticRequest(service, { namespace: 'edge' })
  const ids = (v: ReturnType<typeof validate>) => (v.ok ? v.findings.map((f) => `${f.policy}:${f.action}:${f.exception?.id ?? ''}:${f.monitored === true ? 'm' : ''}`) : [])
  const plain = validate(request, bundled, emptyContext, judgingAt(0))
  t.equal(plain.ok && plain.outcome, 'denied')

  const set = policySet(bundled.policies, 'test', [], [exception('proxy', { namespaces: ['edge'], names: ['proxy'] }, ['service-external-ips'])])
  const exemptedNow = validate(request, set, emptyContext, judgingAt(expiry - 1))
  t.equal(exemptedNow.ok && exemptedNow.outcome, 'warned')
  t.same(ids(exemptedNow), ['service-external-ips:deny:proxy:'], 'reported as exempted, never dropped')
  const later = validate(request, set, emptyContext, judgingAt(expiry))
  t.equal(later.ok && later.outcome, 'denied', 'the same request, after the expiry')

  const monitor = validate(request, bundled, emptyContext, judgingAt(0, { enforcement: 'warn' }))
  t.equal(monitor.ok && monitor.outcome, 'warned')
  t.same(ids(monitor), ['service-external-ips:deny::m'], 'marked as what would have been denied')
  const monitorExempted = validate(request, set, emptyContext, judgingAt(0, { enforcement: 'warn' }))
  t.same(ids(monitorExempted), ['service-external-ips:deny:proxy:'], 'an exempted finding is exempted, not monitored')

  const overridden = validate(request, bundled, emptyContext, judgingAt(0, { actions: { 'service-external-ips': 'audit' } }))
  t.same(ids(overridden), ['service-external-ips:audit::'], '--policy-action replaces the action of its findings')
  t.equal(overridden.ok && overridden.outcome, 'audited')
})

t.test('test: a suite runs with the loaded exceptions that name its policy', async (t) => {
  const { runSuite } = await import('../../src/policy-test/run.js')
  const bundled = await loadPolicies()
  const set = policySet(bundled.policies, 'test', [], [exception('proxy', { names: ['proxy'] }, ['service-external-ips'])])
  const suite = {
    policy: 'service-external-ips',
    cases: [
      {
        description: 'exempted',
        object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'proxy' }, spec: { externalIPs: ['1.1.1.1'] } },
        expect: { outcome: 'warned' as const, messages: ['(exempted by exception proxy: because proxy)'] },
      },
    ],
  }
  t.same(runSuite(suite, set, judgingAt(expiry - 1)).map((r) => r.problems), [[]])
  t.equal(runSuite(suite, set, judgingAt(expiry))[0]?.outcome, 'denied', 'expired')
})
