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
