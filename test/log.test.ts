import pino from 'pino'
import t from 'tap'
import { lazyChild, loggerOptions } from '../src/log.js'
import { loadPolicies } from '../src/policy-files/read.js'
import { capturingLogger, testApp } from './support/app.js'

t.test('a request logger becomes a pino child only when a line is written at an enabled level', async (t) => {
  const { logger, lines } = capturingLogger('info')
  let children = 0
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its own `this`
  const original = logger.child
  // Counted on the parent only: pino's children inherit `child` from it.
  logger.child = function (this: typeof logger, ...args: Parameters<typeof original>) {
    if (this === logger) children++
    return original.apply(this, args)
  } as typeof original
  const request = lazyChild(logger, { reqId: 'req-1' }, {})
  request.debug('below the level')
  request.trace({ a: 1 }, 'below the level')
  t.equal(children, 0, 'no child for lines that are not written')
  t.equal(request.level, 'info', 'the level is the parent’s')
  request.warn({ code: 'EG_X' }, 'written')
  request.error('also written')
  t.equal(children, 1, 'one child, made on the first written line and kept')
  t.same(
    lines().map((l) => [l['level'], l['reqId'], l['msg'], l['code']]),
    [
      [40, 'req-1', 'written', 'EG_X'],
      [50, 'req-1', 'also written', undefined],
    ],
    'the lines carry the request id',
  )
  request.level = 'debug'
  request.debug('now written')
  t.equal(lines().at(-1)?.['msg'], 'now written', 'a level set on it is its own')
  t.equal(logger.level, 'info', 'and not the parent’s')
  const nested = request.child({ step: 'two' })
  nested.info('nested')
  t.match(lines().at(-1), { reqId: 'req-1', step: 'two', msg: 'nested' }, 'children of it keep its bindings')
})

t.test('a request logger with a level of its own judges its lines by that level', async (t) => {
  const { logger, lines } = capturingLogger('info')
  lazyChild(logger, { reqId: 'req-2' }, { level: 'debug' }).debug('route at debug')
  t.equal(lines().at(-1)?.['msg'], 'route at debug')
})

t.test('request lines keep the redaction of the server logger', async (t) => {
  const chunks: string[] = []
  const logger = pino({ ...loggerOptions, level: 'info' }, { write: (s: string) => void chunks.push(s) })
  lazyChild(logger, { reqId: 'req-3' }, {}).warn({ req: { headers: { authorization: 'Bearer secret' } } }, 'with a credential')
  t.notMatch(chunks.join(''), /secret/)
  t.match(chunks.join(''), /\[redacted\]/)
})

t.test('Fastify’s request logger: a rejected request’s warning carries the request id', async (t) => {
  const { logger, lines } = capturingLogger('info')
  const app = testApp(await loadPolicies(), { logger })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  t.equal(res.statusCode, 415)
  const warning = lines().find((l) => l['msg'] === 'request rejected')
  t.ok(warning, 'the warning is written')
  t.match(warning, { reqId: /^req-/, code: 'EG_CONTENT_TYPE' })
})
