import t from 'tap'
import { loadPolicies } from '../../src/policy/load.js'

t.test('bundled policies load', async (t) => {
  const set = await loadPolicies()
  t.ok(set.policies.length >= 16)
})
