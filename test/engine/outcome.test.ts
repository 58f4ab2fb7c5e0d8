import t from 'tap'
import { outcomeOf } from '../../src/engine/outcome.js'
import type { Action, Finding } from '../../src/policy/types.js'

const finding = (action: Action, preexisting = false): Finding => ({
  policy: 'p',
  action,
  preexisting,
  path: 'spec',
  type: 'Invalid value',
  detail: 'is wrong',
})

t.test('one outcome per decision, by precedence: denied, patched, warned, audited, allowed', async (t) => {
  t.equal(outcomeOf([], false), 'allowed')
  t.equal(outcomeOf([], true), 'patched')
  t.equal(outcomeOf([finding('audit')], false), 'audited')
  t.equal(outcomeOf([finding('audit'), finding('warn')], false), 'warned')
  t.equal(outcomeOf([finding('deny', true)], false), 'warned', 'a ratcheted violation warns, it does not deny')
  t.equal(outcomeOf([finding('warn')], true), 'patched')
  t.equal(outcomeOf([finding('deny'), finding('warn')], true), 'denied')
})
