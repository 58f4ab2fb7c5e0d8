import t from 'tap'
import { ratchet } from '../../src/engine/ratchet.js'
import type { Violation } from '../../src/policy/types.js'

const loopback = (path: string, value = '"127.0.0.1"'): Violation => ({ path, type: 'Invalid value', value, detail: 'must not be a loopback address (127.0.0.0/8)' })

t.test('unchanged violations are existing, even when their item moved', async (t) => {
  const old = [loopback('endpoints[2].addresses[0]')]
  const moved = [loopback('endpoints[1].addresses[0]')]
  t.same(ratchet(moved, old), { added: [], existing: moved })
})

t.test('a changed value under the same path is new', async (t) => {
  const r = ratchet([loopback('endpoints[0].addresses[0]', '"127.0.0.2"')], [loopback('endpoints[0].addresses[0]')])
  t.equal(r.added.length, 1)
  t.equal(r.existing.length, 0)
})

t.test('a second copy of an existing bad value is new (multiset)', async (t) => {
  const r = ratchet([loopback('endpoints[0].addresses[0]'), loopback('endpoints[1].addresses[0]')], [loopback('endpoints[0].addresses[0]')])
  t.equal(r.existing.length, 1)
  t.equal(r.added.length, 1)
})

t.test('a violation on another field is new', async (t) => {
  const r = ratchet([loopback('subsets[0].notReadyAddresses[0].ip')], [loopback('subsets[0].addresses[0].ip')])
  t.equal(r.added.length, 1)
})

t.test('identity is the value, not the rendered detail', async (t) => {
  const reworded = { ...loopback('endpoints[0].addresses[0]'), detail: 'worded differently this time' }
  t.same(ratchet([reworded], [loopback('endpoints[0].addresses[0]')]).existing, [reworded])
})

t.test('the rule that failed is part of the identity', async (t) => {
  const a = { ...loopback('spec.x'), rule: '#/properties/spec/a' }
  const b = { ...loopback('spec.x'), rule: '#/properties/spec/b' }
  t.same(ratchet([b], [a]).added, [b])
})

const conflict = (values: string[]): Violation => ({
  path: 'metadata.labels[kubernetes.io/service-name]',
  type: 'Forbidden',
  value: '"payments"',
  detail: `this slice would add ${values.slice(0, 3).join(', ')} to Service prod/payments`,
  values,
})

t.test('a violation about several values is existing only when the old one stood for each of them', async (t) => {
  const old = conflict(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
  t.same(ratchet([conflict(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])], [old]).added, [], 'unchanged: existing')
  t.same(ratchet([conflict(['10.0.0.4', '10.0.0.3', '10.0.0.2'])], [old]).added, [], 'fewer values, in any order: existing')
  const fourth = conflict(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.6.6.6'])
  const first = conflict(['10.6.6.6', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
  t.same(ratchet([fourth], [old]).added, [fourth], 'the 4th replaced (beyond the 3 the message shows): new')
  t.same(ratchet([first], [old]).added, [first], 'the 1st replaced: new')
  const twice = conflict(['10.0.0.1', '10.0.0.1'])
  t.same(ratchet([twice], [conflict(['10.0.0.1'])]).added, [twice], 'a second copy of a value: new')
})

t.test('a writer violation is never existing: ratcheting is for values, not for writers', async (t) => {
  const reserved: Violation = { path: 'metadata.labels[endpointslice.kubernetes.io/managed-by]', type: 'Forbidden', value: '"endpointslice-controller.k8s.io"', detail: 'is reserved', writer: true }
  t.same(ratchet([reserved], [reserved]), { added: [reserved], existing: [] })
})
