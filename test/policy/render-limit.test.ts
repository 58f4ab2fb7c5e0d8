import t from 'tap'
import { fitList, moreText } from '../../src/admission/budget.js'
import { ratchet } from '../../src/engine/ratchet.js'
import { createAjv } from '../../src/policy/ajv.js'
import { renderErrors, renderLimit, violationText } from '../../src/policy/render.js'
import { violationCount } from '../../src/policy/types.js'

const bad = (n: number) => Array.from({ length: n }, (_, i) => `224.0.${i >> 8}.${i & 255}`)
const validate = createAjv().compile({ type: 'array', items: { ipNotSpecial: ['multicast'] } })
const render = (data: unknown, limit?: number) => {
  validate(data)
  return renderErrors(validate.errors ?? [], limit)
}

t.test('past the render limit, violations are counted in one summary entry, not rendered', async (t) => {
  const violations = render(bad(renderLimit + 250))
  t.equal(violations.length, renderLimit + 1, 'the limit, then the summary')
  t.equal(violations.at(-2)?.path, `[${renderLimit - 1}]`, 'the first ones in order')
  const summary = violations.at(-1)
  t.match(summary, { path: '(object)', type: 'Too many', summarises: 250 })
  t.equal(violationText(summary!), `(object): Too many: 250 more violations of this policy past the first ${renderLimit}, counted but not listed (so never taken as already present on an UPDATE)`)
  t.equal(violations.reduce((n, v) => n + violationCount(v), 0), renderLimit + 250, 'every violation counted')
  t.equal(render(bad(renderLimit)).length, renderLimit, 'no summary at the limit itself')
  t.equal(render(bad(10), 3).at(-1)?.summarises, 7, 'the limit is a parameter')
})

t.test('the summary never ratchets: an UPDATE over the limit is judged as introducing violations', async (t) => {
  const old = render(bad(renderLimit + 5))
  const same = render(bad(renderLimit + 5))
  const { added, existing } = ratchet(same, old)
  t.equal(existing.length, renderLimit, 'the listed ones are matched one by one')
  t.same(added.map((v) => v.summarises), [5], 'the counted rest cannot be shown to be already present: it denies')
  const under = ratchet(render(bad(20)), render(bad(20)))
  t.equal(under.added.length, 0, 'under the limit, an unchanged object adds nothing')
})

t.test('"K more" counts what a summary stands for', async (t) => {
  const items = [{ text: 'a', n: 1 }, { text: 'b', n: 1 }, { text: 'c', n: 40 }]
  const fitted = fitList(items, { count: 1, budget: 100, separator: 2, render: (i) => i.text, size: (s) => s.length, moreSize: (n) => moreText(n).length, shorten: (s) => s, weight: (i) => i.n })
  t.same(fitted, { shown: ['a'], more: 41 })
  const unweighted = fitList(items, { count: 1, budget: 100, separator: 2, render: (i) => i.text, size: (s) => s.length, moreSize: (n) => moreText(n).length, shorten: (s) => s })
  t.equal(unweighted.more, 2)
})
