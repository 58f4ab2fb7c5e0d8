/**
 * The one error catalogue. Every error a user can see has a stable code, an HTTP status (for the server) and
 * a message written as a full sentence. Callers create errors only through `guardError` so codes stay unique.
 */
export const errorCatalogue = {
  EG_BODY_EMPTY: { status: 400, message: 'The request body is empty; expected an AdmissionReview JSON object.' },
  EG_BODY_NOT_JSON: { status: 400, message: 'The request body is not valid JSON: %s.' },
  EG_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the limit of %s bytes (--body-limit).' },
  EG_CONTENT_TYPE: { status: 415, message: 'Unsupported content type %s; send application/json.' },
  EG_NOT_ADMISSION_REVIEW: { status: 400, message: 'The body is not an AdmissionReview: %s.' },
  EG_NO_UID: { status: 400, message: 'The AdmissionReview has no request.uid, so no answer can be matched to it.' },
  EG_BAD_REQUEST: { status: 400, message: 'The AdmissionReview request cannot be evaluated: %s.' },
  EG_NOT_FOUND: { status: 404, message: 'No route %s; use POST /validate or POST /mutate.' },
  EG_OVERLOADED: { status: 503, message: 'The webhook is at its limit of %s concurrent requests; retry shortly.' },
  EG_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  EG_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are larger than 16 KiB.' },
  EG_BAD_HTTP: { status: 400, message: 'The request is not valid HTTP/1.1.' },
  EG_INTERNAL: { status: 500, message: 'Internal error while handling the request.' },
  // Embedded in an AdmissionReview status and in CLI result lines, so worded as a clause, not a sentence.
  EG_POLICY_FAILED: { status: 500, message: 'policy %s failed while evaluating the object: %s' },
  EG_POLICY_INVALID: { status: 500, message: '%s: %s: %s' },
  EG_POLICIES_EMPTY: { status: 500, message: 'No policy files (*.json) found in %s.' },
  EG_CONFIG: { status: 500, message: 'Invalid configuration: %s' },
  EG_TLS: { status: 500, message: 'Cannot use the TLS certificate: %s' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof errorCatalogue

export class GuardError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  constructor(code: ErrorCode, ...args: Array<string | number>) {
    let i = 0
    super(errorCatalogue[code].message.replace(/%s/g, () => String(args[i++] ?? '')))
    this.name = 'GuardError'
    this.code = code
    this.statusCode = errorCatalogue[code].status
  }
}

export function guardError(code: ErrorCode, ...args: Array<string | number>): GuardError {
  return new GuardError(code, ...args)
}

export function isGuardError(err: unknown): err is GuardError {
  return err instanceof GuardError
}

/** Only for logs and CLI output; never use it to build an answer that echoes request content. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
