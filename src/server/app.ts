import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { ServerOptions as HttpsOptions } from 'node:https'
import type { Duplex } from 'node:stream'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { reviewAdmission, type ReviewOutcome, type Webhook } from '../admission/review.js'
import type { ServeConfig } from '../config.js'
import { exempted } from '../engine/exceptions.js'
import { judgingAt } from '../engine/judging.js'
import { errorBody, type GuardError, guardError, isGuardError } from '../errors.js'
import { operations, type AdmissionRequest } from '../kube/admission.js'
import { isGuardedKind } from '../kube/kinds.js'
import { admissionLogger, lazyChild, logField } from '../log.js'
import type { ClusterContext } from '../policy/context.js'
import { violationCount, type Finding, type PolicySet } from '../policy/types.js'
import { boundCounter, type Metrics } from './metrics.js'
import { tlsMinVersion } from './tls.js'

/** What the admission routes read on every request; swapped as a whole by reloads, never mutated. */
export interface AdmissionState {
  policies(): PolicySet
  cluster(): ClusterContext
}

export interface AdmissionAppDeps {
  config: Pick<ServeConfig, 'bodyLimit' | 'bodyTimeout' | 'requestTimeout' | 'headersTimeout' | 'keepAliveTimeout' | 'maxConcurrent'> &
    Partial<Pick<ServeConfig, 'enforcement' | 'policyAction' | 'logAllowed'>>
  logger: Logger
  state: AdmissionState
  metrics: Metrics
  /** absent in tests that use inject() */
  https?: HttpsOptions
}

/** The media type as sent, made safe to repeat: printable ASCII, short. */
function mediaType(header: string | undefined): string {
  if (header === undefined || header === '') return '(none)'
  return JSON.stringify(header.replace(/[^\x20-\x7e]/g, '?').slice(0, 60))
}

/** Fastify's own errors, in endpoint-guard's words; anything unexpected is a 500 that reveals nothing. */
function toGuardError(err: FastifyError, request: FastifyRequest, bodyLimit: number): GuardError {
  if (isGuardError(err)) return err
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return guardError('EG_BODY_TOO_LARGE', bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return guardError('EG_CONTENT_TYPE', mediaType(request.headers['content-type']))
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return guardError('EG_BODY_EMPTY')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return guardError('EG_NOT_ADMISSION_REVIEW', 'the Content-Length does not match the body')
  }
  return guardError('EG_INTERNAL')
}

/**
 * The request's identity for the log line, flat: every value a string of bounded length (see logField), whatever
 * JSON type the review sent, so the line's size and shape do not depend on the client.
 */
function describeRequest(request: AdmissionRequest) {
  const obj = (request.object ?? request.oldObject) as { metadata?: { name?: unknown; generateName?: unknown } } | undefined
  return {
    uid: logField(request.uid),
    kind: logField(request.kind.kind),
    namespace: logField(request.namespace),
    name: logField(request.name ?? obj?.metadata?.name ?? obj?.metadata?.generateName),
    operation: logField(request.operation),
    subResource: logField(request.subResource),
    user: logField(request.userInfo.username),
  }
}

const noPolicies: readonly string[] = Object.freeze([])

/** The most of a failing policy's message the error line repeats (the answer carries it in full). */
const logReasonLimit = 1024

/**
 * A metric label from a small fixed set, never client text (unbounded series): '' when absent, 'other' for a
 * value outside the set.
 */
function fixedLabel(value: unknown, known: (value: unknown) => boolean): string {
  if (value === undefined || value === '') return ''
  return known(value) ? (value as string) : 'other'
}

const isOperation = (value: unknown): boolean => (operations as readonly unknown[]).includes(value)

/** Violations counted per policy and action first: one inc() per series, not per finding (140,000 of them). */
function findingsCounter(metrics: Metrics): (findings: readonly Finding[]) => void {
  const violations = boundCounter(metrics.violations)
  const exceptionsApplied = boundCounter(metrics.exceptionsApplied)
  return (findings) => {
    if (findings.length === 0) return
    const counts = new Map<string, { policy: string; action: string; n: number }>()
    for (const f of findings) {
      const key = `${f.policy} ${f.action}`
      const entry = counts.get(key)
      if (entry === undefined) counts.set(key, { policy: f.policy, action: f.action, n: violationCount(f) })
      else entry.n += violationCount(f)
      if (exempted(f) && f.exception !== undefined) exceptionsApplied({ exception: f.exception.id, policy: f.policy })
    }
    for (const { policy, action, n } of counts.values()) violations({ policy, action }, n)
  }
}

/**
 * Node's HTTP server options for the limits. Node checks request and headers timeouts only every
 * connectionsCheckingInterval (default 30 s), which would let a slow client stay three times longer than
 * --request-timeout; checking every second costs one walk over the open connections.
 */
function serverLimits(config: AdmissionAppDeps['config']) {
  return {
    // Capped: Node refuses a headers timeout longer than the request timeout, which covers headers as well.
    headersTimeout: Math.min(config.headersTimeout, config.requestTimeout),
    connectionsCheckingInterval: Math.min(1_000, config.requestTimeout),
    // Checked in onRequest instead, to answer in the catalogue's JSON shape (Node's own 400 has an empty body).
    requireHostHeader: false,
  }
}

/**
 * Errors Node raises before a request reaches Fastify: a request or its headers not received in time (cut off by
 * --request-timeout/--headers-timeout), headers over 16 KiB, unparsable HTTP. Answered in the catalogue's JSON
 * shape when the socket can still take it, then closed.
 */
function clientError(err: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const error =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? guardError('EG_TIMEOUT')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? guardError('EG_HEADERS_TOO_LARGE')
        : guardError('EG_BAD_HTTP')
  if (error.code === 'EG_TIMEOUT') logger.warn({ code: error.code }, 'slow client cut off')
  answerAndClose(socket, error)
}

/** An answer written straight on the socket (no request object to answer through), then the connection closed. */
function answerAndClose(socket: Duplex, error: GuardError): void {
  const status = error.statusCode
  const body = errorBody(error)
  if (socket.writable) {
    const text = JSON.stringify(body)
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`)
  }
  socket.destroy()
}

/** The decision as logged and counted: the engine's outcome, or why there was none. */
function decisionLabel(outcome: ReviewOutcome): string {
  if (outcome.kind === 'rejected') return 'rejected'
  return outcome.kind === 'errored' ? 'errored' : outcome.outcome
}

/**
 * The HTTPS admission server: POST /validate and POST /mutate. It never listens by itself (main does), so
 * tests drive it with inject() or listen on port 0.
 */
export function buildAdmissionApp(deps: AdmissionAppDeps): FastifyInstance {
  const { config, logger, state, metrics } = deps
  const requests = boundCounter(metrics.requests)
  const countRequest = (webhook: Webhook, kind: string, operation: string, decision: string): void => requests({ webhook, kind, operation, decision })
  const countFindings = findingsCounter(metrics)
  const app = Fastify({
    loggerInstance: logger,
    // The request id's child logger only for requests that write a line (most allowed ones write none).
    childLoggerFactory: (parent, bindings, options) => lazyChild(parent as Logger, bindings, options),
    // One line per admission request is written by the route itself, with the decision in it.
    logController: new LogController({ disableRequestLogging: true }),
    // Each limit's reason is in src/config.ts beside its default; Node's own header size cap (16 KiB) stays.
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    // On close(), idle keep-alive sockets are destroyed at once so the API server reconnects to another replica.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    clientErrorHandler: (err, socket) => clientError(err as NodeJS.ErrnoException, socket, logger),
    ...(deps.https === undefined
      ? { http: serverLimits(config) }
      : {
          https: {
            minVersion: tlsMinVersion,
            // A client that connects and never completes the handshake is a slow client too (Node's default: 120 s).
            handshakeTimeout: config.requestTimeout,
            ...serverLimits(config),
            ...deps.https,
          },
        }),
  }) as unknown as FastifyInstance

  // The body is kept as text: decode() parses it, so the server and `endpoint-guard review` read it the same way.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  // Two kinds of request are tracked, in two places. Receiving: headers in, body still arriving; bounded by
  // --body-timeout, and holding no concurrency slot, so slow uploaders cannot starve the API server's requests.
  // Evaluating: body in, queued for evaluation or answer being written; bounded by --max-concurrent (see below).
  // The response's 'close' fires when the answer is written and when the connection is gone, so shared listeners
  // (no closure per request) end both, and a client that hangs up cannot leak a slot. Evaluating is a count, not a
  // set of responses: a long-lived collection holding each response until its write completed kept the whole
  // request (socket, body, parsed review) alive across young-generation collections, which then copied and
  // promoted ~1 MB each time (5-10 ms pauses every ~150 ms under load, the p99).
  const receiving = new Map<IncomingMessage, number>()
  let evaluating = 0
  metrics.load.receiving = () => receiving.size
  metrics.load.evaluating = () => evaluating
  function receivingDone(this: ServerResponse): void {
    receiving.delete(this.req)
  }
  function evaluationDone(): void {
    evaluating--
  }
  // Cut off by --body-timeout: answered 408 on the socket (Fastify is still waiting for the body) and closed. One
  // sweep for all requests, as Node checks --request-timeout; entries are in arrival order, so it stops at the
  // first that still has time.
  const cutOff = new WeakSet<IncomingMessage>()
  const sweep = setInterval(() => {
    const expired = Date.now() - config.bodyTimeout
    for (const [raw, since] of receiving) {
      if (since > expired) break
      receiving.delete(raw)
      if (raw.complete || raw.socket.destroyed) continue
      cutOff.add(raw)
      metrics.bodyTimeouts.inc()
      logger.warn({ code: 'EG_TIMEOUT', timeoutMs: config.bodyTimeout }, 'slow client cut off: body not received within --body-timeout')
      answerAndClose(raw.socket, guardError('EG_TIMEOUT'))
    }
  }, Math.min(1_000, config.bodyTimeout))
  sweep.unref()
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep)
    done()
  })

  // On close(), Node stops accepting and closes the connections that are idle at that moment, but a connection
  // whose request is still in flight would be kept alive after its answer and hold close() until the keep-alive
  // timeout. Answers written from then on say `Connection: close`, so each connection ends with its last answer.
  // Every answer of this app is sent by one of the handlers below, which call this (no onSend or onResponse hook
  // per request).
  let closing = false
  // Latency as the API server sees it: headers received to answer handed to the socket, for every answer on the
  // two routes. Observed here rather than in an onResponse hook, which costs a hook run per request.
  const durationOf = { '/validate': metrics.duration.labels({ webhook: 'validate' }), '/mutate': metrics.duration.labels({ webhook: 'mutate' }) }
  const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply => {
    if (closing) reply.header('connection', 'close')
    reply.code(status).send(body)
    const route = reply.request.routeOptions.url
    if (route === '/validate' || route === '/mutate') durationOf[route].observe(reply.elapsedTime / 1000)
    return reply
  }
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onRequest', (request, reply, done) => {
    // HTTP/1.1 requires Host; Node's own check (off, see serverLimits) would answer 400 with an empty body.
    if (request.headers.host === undefined && request.raw.httpVersionMinor === 1 && request.raw.httpVersionMajor === 1) {
      send(reply.header('connection', 'close'), 400, errorBody(guardError('EG_BAD_HTTP')))
      return
    }
    receiving.set(request.raw, Date.now())
    reply.raw.on('close', receivingDone)
    done()
  })
  app.setErrorHandler((err: FastifyError, request, reply) => {
    receiving.delete(request.raw)
    // The client hung up before its body was in (or --body-timeout cut it off): there is no one to answer, and it
    // is not a server error.
    if (request.raw.socket.destroyed || cutOff.has(request.raw)) {
      if (!cutOff.has(request.raw)) {
        metrics.clientAborts.inc()
        request.log.debug({ code: (err as NodeJS.ErrnoException).code }, 'client hung up before the request body was complete')
      }
      return reply.hijack()
    }
    const mapped = toGuardError(err, request, config.bodyLimit)
    if (mapped.statusCode >= 500) request.log.error({ err }, 'unexpected error')
    else request.log.warn({ code: mapped.code, url: request.url }, 'request rejected')
    // routeOptions.url, not request.url: a label must never take arbitrary client text (unbounded series).
    const webhook = request.routeOptions.url === '/mutate' ? 'mutate' : 'validate'
    countRequest(webhook, '', '', 'rejected')
    return send(reply, mapped.statusCode, errorBody(mapped))
  })
  app.setNotFoundHandler((request, reply) => {
    const err = guardError('EG_NOT_FOUND', `${request.method} ${request.url.slice(0, 100)}`)
    return send(reply, 404, errorBody(err))
  })

  // The admission line carries only strings, numbers and a list of policy ids, so it goes through a logger without
  // the redaction pass (which cannot match anything in it and was a third of the line's cost).
  const admissionLog = admissionLogger(logger)
  const allowedLevel = config.logAllowed === true ? 'info' : 'debug'
  const judging = { enforcement: config.enforcement ?? 'deny', actions: config.policyAction ?? {} }
  const evaluate = (webhook: Webhook, request: FastifyRequest, reply: FastifyReply): void => {
    const started = process.hrtime.bigint()
    // The clock is read here, at the edge: the engine judges exceptions' expiry at the time it is given.
    const outcome = reviewAdmission(request.body as string | undefined, state.policies(), state.cluster(), webhook, judgingAt(Date.now(), judging))
    const decision = decisionLabel(outcome)
    if (outcome.kind === 'rejected') {
      countRequest(webhook, '', '', decision)
      request.log.warn({ webhook, code: outcome.error.code, decision }, 'admission request rejected')
      send(reply, outcome.error.statusCode, errorBody(outcome.error))
      return
    }
    const admitted = outcome.kind === 'answer' ? outcome.request : undefined
    countRequest(webhook, fixedLabel(admitted?.kind.kind, isGuardedKind), fixedLabel(admitted?.operation, isOperation), decision)
    if (outcome.kind === 'answer') countFindings(outcome.findings)
    const level = decision === 'errored' ? 'error' : decision === 'allowed' ? allowedLevel : 'info'
    // The line is built only when it is written: at the default level, allowed requests cost no line at all.
    if (admissionLog.isLevelEnabled(level)) {
      const line = {
        reqId: request.id,
        webhook,
        ...(admitted === undefined ? undefined : describeRequest(admitted)),
        decision,
        policies: outcome.kind === 'answer' ? outcome.policies : noPolicies,
        warnings: outcome.review.response.warnings?.length ?? 0,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
      }
      if (level === 'error') admissionLog.error({ ...line, reason: logField(outcome.review.response.status?.message, logReasonLimit) }, 'admission')
      else admissionLog[level](line, 'admission')
    }
    send(reply, 200, outcome.review)
  }

  // Evaluation is synchronous, so "in flight" means queued: every request whose body came in during one turn of
  // the event loop waits here until the turn's I/O is done, then all are evaluated in arrival order. When the
  // process is saturated, a turn brings more complete requests than --max-concurrent, and the excess (with the
  // answers still being written) is what gets a fast 503 instead of a growing delay for everyone.
  const queue: Array<{ webhook: Webhook; request: FastifyRequest; reply: FastifyReply }> = []
  const drain = (): void => {
    // Evaluated requests keep their slot until their answer is written ('close'); the queue is emptied first.
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i]!
      try {
        evaluate(next.webhook, next.request, next.reply)
      } catch (err) {
        // Outside Fastify's own error handling (this runs from setImmediate): a throw here would end the process.
        next.request.log.error({ err }, 'unexpected error')
        send(next.reply, 500, errorBody(guardError('EG_INTERNAL')))
      }
    }
    queue.length = 0
  }
  const admit = (webhook: Webhook) => (request: FastifyRequest, reply: FastifyReply) => {
    receiving.delete(request.raw)
    if (evaluating >= config.maxConcurrent) {
      metrics.overloaded.inc()
      send(reply.header('retry-after', '1'), 503, errorBody(guardError('EG_OVERLOADED', config.maxConcurrent)))
      return
    }
    evaluating++
    reply.raw.on('close', evaluationDone)
    if (queue.push({ webhook, request, reply }) === 1) setImmediate(drain)
  }
  app.post('/validate', admit('validate'))
  app.post('/mutate', admit('mutate'))
  return app
}
