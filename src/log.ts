import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
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
  return pino({ ...loggerOptions, level }, destination ?? pino.destination({ fd: 1, sync: false }))
}
