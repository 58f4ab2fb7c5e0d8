import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino'
import type { LogLevel } from './config.js'

/** Logger defaults in one literal. Redaction is configuration: credentials never reach a log line. */
export const loggerOptions: LoggerOptions = {
  base: { service: 'endpoint-guard' },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: {
    paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.token', '*.password', '*.key'],
    censor: '[redacted]',
  },
  formatters: { level: (label) => ({ level: label }) },
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ ...loggerOptions, level }, destination ?? stdoutDestination())
}

/**
 * Standard output, asynchronous, for a reader that may go away. Once a write fails (EPIPE: the pipe's reader
 * exited; or any other error), the stream is given up for good: later lines are dropped and a flush completes at
 * once. Without this, every line retries the dead pipe and emits another error, and a flush that waits for a
 * drain that never comes holds the exit.
 */
export function stdoutDestination(fd = 1): DestinationStream & { flush(cb: (err?: Error) => void): void } {
  const sonic = pino.destination({ fd, sync: false })
  let broken = false
  // Whether lines are still on their way: sonic-boom's own flush() calls back at once when it buffers nothing
  // (minLength 0), even while the last write is under way, and an exit then would lose the lines that explain it.
  // It emits 'drain' whenever its queue empties.
  let pending = false
  const waiting: Array<() => void> = []
  const settle = (): void => {
    pending = false
    for (const cb of waiting.splice(0)) cb()
  }
  sonic.on('drain', settle)
  // `on`, not `once`: a write already under way can fail after the first error, and an unhandled one would throw.
  sonic.on('error', () => {
    broken = true
    settle()
  })
  return {
    write(line: string) {
      if (broken) return
      pending = true
      sonic.write(line)
    },
    flush(cb) {
      if (broken || !pending) cb()
      else waiting.push(() => cb())
    },
  }
}

/**
 * The logger for the one line per admission request. Redaction only ever matches inside objects (`*.token`,
 * `req.headers.authorization`, …), and that line holds only strings, numbers and an array of policy ids, so the
 * redaction pass (pino runs it on every key because of the wildcard paths) cannot change it: skipping it
 * costs nothing in safety and saves about a third of the line's cost. Anything else must keep using the
 * redacting logger. The child is made once per server; the line carries the request id itself.
 */
export function admissionLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] })
}

/** What Fastify asks of a logger (its FastifyBaseLogger), in pino's types. */
export type RequestLogger = Pick<Logger, 'level' | Level | 'silent'> & { child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger }

/**
 * A request's logger (Fastify's childLoggerFactory), made into a pino child only when the request writes a line at
 * an enabled level. Fastify would make the child, with the request id bound and serialised, before every request;
 * with allowed requests at debug most write nothing, and those children were ~2.5% of the server's CPU under load.
 */
export function lazyChild(parent: Logger, bindings: Bindings, options: ChildLoggerOptions): RequestLogger {
  return new LazyChild(parent, bindings, options)
}

// A class, not an object of closures: one allocation per request, the methods shared.
class LazyChild implements RequestLogger {
  private made: Logger | undefined
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}
  private real(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options))
  }
  private write(level: Level, args: unknown[]): void {
    // A level of its own (Fastify's per-route logLevel) is the child's to judge.
    if (this.made === undefined && this.options.level === undefined && !this.parent.isLevelEnabled(level)) return
    const child = this.real()
    Reflect.apply(child[level], child, args)
  }
  get level(): string {
    return this.made?.level ?? this.parent.level
  }
  set level(level: string) {
    this.real().level = level
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): RequestLogger {
    return this.real().child(bindings, options)
  }
}

/** Longest request-supplied value copied into a log line: a DNS subdomain name (253) plus room for a username. */
export const logFieldLimit = 256

/**
 * A value from the request as the log line may carry it: only a string, cut to `limit` characters with a marker
 * saying how much was dropped, so a hostile review cannot make a line megabytes long or change its shape (an
 * array, an object). Absent values are the empty string; other types a fixed placeholder.
 */
export function logField(value: unknown, limit = logFieldLimit): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : '(not a string)'
  return value.length <= limit ? value : `${value.slice(0, limit)}…(${value.length - limit} more characters)`
}
