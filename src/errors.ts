import { STATUS_CODES } from 'node:http'

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
  // Thrown while a policy compiles and reported by the loader as EG_POLICY_INVALID, at the JSON pointer of the value.
  EG_KEYWORD_VALUE: { status: 500, message: '%s: %s' },
  // Ajv's generated code no longer has the shape linear-errors.ts rewrites (an Ajv upgrade): refuse to load.
  EG_AJV_CODEGEN: { status: 500, message: 'the installed Ajv merges errors in code endpoint-guard cannot make linear (%s); pin the tested Ajv version' },
  EG_BAD_CIDR: { status: 500, message: '"%s" is not a valid CIDR' },
  EG_POLICIES_EMPTY: { status: 500, message: 'No policy files (*.json) found in %s.' },
  EG_CONFIG: { status: 500, message: 'Invalid configuration: %s' },
  // Embedded in `check` result lines, so worded as a clause.
  EG_INPUT_READ: { status: 500, message: 'cannot read: %s' },
  EG_NO_INPUT: { status: 500, message: 'nothing to check: %s; --allow-empty accepts that' },
  EG_KUBECONFIG: { status: 500, message: 'Cannot load kubeconfig %s: %s' },
  EG_NO_CURRENT_CLUSTER: { status: 500, message: 'The kubeconfig has no current cluster' },
  EG_IN_CLUSTER: {
    status: 500,
    message: 'A service-account token is mounted but KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set; pass --kubeconfig to say which cluster to use',
  },
  EG_WATCH: { status: 502, message: 'watch %s: %s' },
  // Embedded in `audit`'s one-line error, so worded as a clause.
  EG_LIST: { status: 502, message: 'cannot list %s: %s' },
  EG_GET_NAMESPACE: { status: 502, message: 'cannot read namespace %s: %s' },
  // Embedded in `audit`'s one-line error, so worded as clauses.
  EG_NO_POLICYREPORT_CRD: {
    status: 500,
    message: 'the PolicyReport CRD is not installed (no %s in the API); install it (Policy Reporter, Kyverno and Kubewarden ship it) or leave out --write-reports',
  },
  EG_REPORT_WRITE: { status: 502, message: 'cannot %s %s: %s' },
  EG_NO_CLUSTER: { status: 500, message: 'no cluster: pass --kubeconfig (or set KUBECONFIG), or run in a pod with a service account' },
  EG_CONTEXT_STOPPED: { status: 500, message: 'The cluster context was stopped before it synced' },
  EG_CONTEXT_READ: { status: 500, message: 'Cannot read %s: %s' },
  EG_CONTEXT_PARSE: { status: 500, message: 'Cannot parse %s at line %s, column %s: %s' },
  EG_CONTEXT_LOAD: { status: 500, message: 'Cannot load %s: %s' },
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

/** The JSON body of every HTTP 4xx/5xx answer (and of `review` given unreadable input). */
export function errorBody(err: GuardError): { statusCode: number; code: string; error: string; message: string } {
  return { statusCode: err.statusCode, code: err.code, error: STATUS_CODES[err.statusCode] ?? 'Error', message: err.message }
}

export function isGuardError(err: unknown): err is GuardError {
  return err instanceof GuardError
}

/** Only for logs and CLI output; never use it to build an answer that echoes request content. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

const fileErrors: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
}

/** Why a file could not be read, in a few words (the common errno codes), else as describeError says it. */
export function describeFileError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined
  return (typeof code === 'string' ? fileErrors[code] : undefined) ?? describeError(err)
}
