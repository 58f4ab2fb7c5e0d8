import fc from 'fast-check'
import t from 'tap'
import { answerBudget, fitList, moreText, shortenTo, utf8Bound, utf8Bytes, warningWithin } from '../../src/admission/budget.js'
import { causeBound, validationResponse, warningsOf } from '../../src/admission/respond.js'
import type { Validation } from '../../src/engine/validate.js'
import type { Finding } from '../../src/policy/types.js'

const finding = (i: number, more: Partial<Finding> = {}): Finding => ({
  policy: 'endpointslice-addresses',
  action: 'deny',
  preexisting: false,
  path: `endpoints[${i}].addresses[0]`,
  type: 'Invalid value',
  value: `"127.0.0.${i}"`,
  detail: 'must not be a loopback address (127.0.0.0/8)',
  ...more,
})
const many = (n: number, more: Partial<Finding> = {}) => Array.from({ length: n }, (_, i) => finding(i, more))
const denied = (findings: Finding[]): Validation => ({ ok: true, outcome: 'denied', findings, matched: [] })
const plain = (texts: readonly string[], count: number, budget: number) =>
  fitList(texts, { count, budget, separator: 2, render: (s) => s, size: (s) => s.length, moreSize: (n) => moreText(n).length, shorten: (s, room) => s.slice(0, room) })

t.test('fitList keeps whole items in order, within the count and the budget with room for "... and K more"', async (t) => {
  t.same(plain(['aaaa', 'bbbb', 'cccc'], 10, 100), { shown: ['aaaa', 'bbbb', 'cccc'], more: 0 })
  t.same(plain(['aaaa', 'bbbb', 'cccc'], 2, 100), { shown: ['aaaa', 'bbbb'], more: 1 })
  // all three need 28; 'aaaaaaaa; ... and 2 more' fits 25, a second item would leave no room for the summary
  t.same(plain(['aaaaaaaa', 'bbbbbbbb', 'cccccccc'], 10, 25), { shown: ['aaaaaaaa'], more: 2 })
  // the last item needs no summary after it
  t.same(plain(['aaaa', 'bbbb'], 10, 10), { shown: ['aaaa', 'bbbb'], more: 0 })
  // not even the first fits whole: it is shortened, never dropped silently
  t.same(plain(['x'.repeat(50), 'y'], 10, 30), { shown: ['x'.repeat(14)], more: 1 })
})

t.test('fitList renders only the items it looks at', async (t) => {
  let rendered = 0
  const items = Array.from({ length: 100_000 }, (_, i) => i)
  const fitted = fitList(items, { count: 25, budget: 1e6, separator: 1, render: (i) => ((rendered++), `${i}`), size: (s) => s.length, moreSize: () => 20, shorten: (s) => s })
  t.equal(fitted.shown.length, 25)
  t.equal(fitted.more, 99_975)
  t.equal(rendered, 25)
})

t.test('a bound only saves measuring: the same list, sizes measured only when the bounds do not fit', async (t) => {
  const texts = ['aaaa', 'bbbb', 'cccc']
  let measured = 0
  const fit = (budget: number) =>
    fitList(texts, { count: 10, budget, separator: 2, render: (s) => s, size: (s) => (measured++, s.length), bound: (s) => 3 * s.length, moreSize: (n) => moreText(n).length, shorten: (s) => s })
  t.same(fit(100), plain(texts, 10, 100))
  t.equal(measured, 0, 'the bounds fit: nothing measured')
  t.same(fit(20), plain(texts, 10, 20))
  t.ok(measured > 0, 'the bounds do not fit: measured')
})

t.test('the bounds are upper bounds of the UTF-8 bytes, for any text (lone surrogates, control characters, quotes)', async (t) => {
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }))
  fc.assert(fc.property(text, (s) => utf8Bound(s) >= utf8Bytes(s)), { numRuns: 2_000 })
  fc.assert(
    fc.property(fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), text, (reason, field, message) => {
      const cause = { ...(reason === undefined ? {} : { reason }), ...(field === undefined ? {} : { field }), message }
      return causeBound(cause) >= utf8Bytes(JSON.stringify(cause))
    }),
    { numRuns: 2_000 },
  )
  t.pass('2,000 texts and 2,000 causes')
})

t.test('shortenTo measures bytes when told to', async (t) => {
  const cut = shortenTo('é'.repeat(100), 50, utf8Bytes)
  t.ok(utf8Bytes(cut) <= 50, `${utf8Bytes(cut)} bytes`)
  t.ok(cut.endsWith('...'))
})

t.test('a warning keeps its tail whole and shortens its text', async (t) => {
  const tail = ' (already present, unchanged by this update)'
  const w = warningWithin('x'.repeat(400), tail, 256)
  t.equal(w.length, 256)
  t.ok(w.endsWith(`...${tail}`))
  t.equal(warningWithin('short', tail, 256), `short${tail}`)
})

t.test('warnings fit the API server budget, whole, with a summary per policy', async (t) => {
  const findings = [...many(60, { preexisting: true }), ...many(5, { policy: 'service-selector-warnings', action: 'warn' })]
  const warnings = warningsOf(findings)
  t.ok(warnings.every((w) => w.length <= answerBudget.warningLength))
  t.ok(warnings.reduce((n, w) => n + w.length, 0) <= answerBudget.warningsLength)
  const shown = warnings.filter((w) => !w.startsWith('... and '))
  t.ok(shown.every((w) => w.endsWith(' (already present, unchanged by this update)')), 'every shown one whole')
  t.same(warnings.slice(shown.length), [
    `... and ${60 - shown.length} more pre-existing violations of endpointslice-addresses`,
    '... and 5 more warnings of service-selector-warnings',
  ])
})

t.test('long warnings are cut to 256 characters, keeping the ratchet tail', async (t) => {
  const [w] = warningsOf([finding(1, { preexisting: true, detail: 'd'.repeat(2000) })])
  t.equal(w?.length, 256)
  t.ok(w?.endsWith('... (already present, unchanged by this update)'))
})

t.test('a denial of 140,000 violations is a bounded 403', async (t) => {
  const response = validationResponse('u', denied(many(140_000)))
  const status = response.status
  t.equal(status?.code, 403)
  t.ok(status?.message.endsWith('; ... and 139975 more'), status?.message.slice(-40) ?? '')
  t.equal(status?.message.split('; ').length, 26)
  t.ok(utf8Bytes(status?.message ?? '') <= answerBudget.messageBytes)
  const causes = status?.details?.causes ?? []
  t.equal(causes.length, 101)
  t.same(causes.at(-1), { message: '... and 139900 more violations' })
  t.ok(utf8Bytes(JSON.stringify(status?.details)) <= answerBudget.detailsBytes)
})

t.test('long violations stop the lists at the byte budgets, never in the middle of one', async (t) => {
  const long = many(200, { detail: 'é'.repeat(1000) })
  const status = validationResponse('u', denied(long)).status
  const parts = status?.message.split('; ') ?? []
  t.ok(utf8Bytes(status?.message ?? '') <= answerBudget.messageBytes)
  t.ok(parts.length < 26, `${parts.length - 1} listed`)
  t.match(parts.at(-1), /^\.\.\. and \d+ more$/)
  t.ok(parts.slice(0, -1).every((p) => p.endsWith('é')), 'each listed one whole')
  t.ok(utf8Bytes(JSON.stringify(status?.details)) <= answerBudget.detailsBytes)
})

t.test('audit annotations list whole violations within 1024 characters', async (t) => {
  const response = validationResponse('u', { ok: true, outcome: 'audited', findings: many(100, { action: 'audit', policy: 'audit-me' }), matched: [] })
  const value = response.auditAnnotations?.['audit-me'] ?? ''
  t.ok(value.length <= answerBudget.annotationLength)
  t.match(value, /; \.\.\. and \d+ more$/)
  t.ok(value.split('; ').slice(0, -1).every((p) => p.endsWith('(127.0.0.0/8)')))
})
