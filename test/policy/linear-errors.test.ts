import t from 'tap'
import { ratchet } from '../../src/engine/ratchet.js'
import { isGuardError } from '../../src/errors.js'
import { createAjv } from '../../src/policy/ajv.js'
import { linearErrorMerging } from '../../src/policy/linear-errors.js'
import { renderBudget, renderErrors } from '../../src/policy/render.js'
import { loadPolicies } from '../../src/policy-files/read.js'

t.test('every error merge of the bundled policies is a push loop, none a concat', async (t) => {
  const policies = await loadPolicies()
  let merges = 0
  for (const p of policies.policies) {
    const source = p.validate.toString()
    t.notMatch(source, /vErrors\.concat\(/, `${p.id}: no concatenation`)
    merges += source.split('for (const egMerged of').length - 1
  }
  // Matching nothing at all would mean the rewrite no longer recognises Ajv's code (keywords and $refs merge).
  t.ok(merges > 0, `${merges} merges rewritten`)
})

t.test('code that still concatenates errors is refused, not run quadratic', async (t) => {
  let thrown: unknown
  try {
    linearErrorMerging('vErrors = vErrors.concat(x);')
  } catch (err) {
    thrown = err
  }
  t.ok(isGuardError(thrown) && thrown.code === 'EG_AJV_CODEGEN', 'EG_AJV_CODEGEN')
  const rewritten = linearErrorMerging('vErrors = vErrors === null ? keyword8.errors : vErrors.concat(keyword8.errors);')
  t.equal(rewritten, 'if (vErrors === null) vErrors = keyword8.errors; else for (const egMerged of keyword8.errors) vErrors.push(egMerged);')
})

t.test('a function keyword and a $ref under items report every error, in order', async (t) => {
  const ajv = createAjv()
  ajv.addSchema({ $id: 'https://endpoint-guard.io/policies/other', $defs: { port: { type: 'object', properties: { port: { maximum: 10 } } } } })
  const validate = ajv.compile({
    type: 'array',
    items: { type: 'array', uniqueBy: 'name', items: { $ref: 'https://endpoint-guard.io/policies/other#/$defs/port' } },
  })
  const data = Array.from({ length: 300 }, () => [{ name: 'a', port: 11 }, { name: 'a', port: 12 }])
  t.equal(validate(data), false)
  const violations = renderErrors(validate.errors ?? [])
  t.equal(violations.length, 900)
  t.same(violations.slice(0, 3).map((v) => v.path), ['[0][0].port', '[0][1].port', '[0][1].name'])
  t.equal(violations.at(-1)?.path, '[299][1].name')
})

t.test('long paths and values are cut, and ratcheting still tells them apart', async (t) => {
  const ajv = createAjv()
  const validate = ajv.compile({ type: 'object', propertyNames: { maxLength: 10 }, additionalProperties: { maxLength: 10 } })
  const key = (c: string) => `${'k'.repeat(1000)}${c}${'k'.repeat(1000)}`
  const render = (c: string) => {
    validate({ [key(c)]: 'v'.repeat(500) + c })
    return renderErrors(validate.errors ?? [])
  }
  const a = render('a')
  const b = render('b')
  for (const v of [...a, ...b]) {
    t.ok(v.path.length <= renderBudget.path, `path ${v.path.length}`)
    t.ok((v.value ?? '').length <= renderBudget.value + 5, `value ${v.value?.length}`)
  }
  t.same(a.map((v) => v.path), b.map((v) => v.path), 'the cut paths look alike')
  t.equal(ratchet(a, a).added.length, 0, 'the same long key is already present')
  t.equal(ratchet(b, a).added.length, b.length, 'another long key is new')
})
