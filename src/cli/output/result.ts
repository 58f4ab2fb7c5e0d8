/**
 * What `check` and `audit` report. Each input document (or live object) yields one Result with a status, as
 * kubeconform does; one Output interface writes them in the chosen format (the files beside this one, chosen by
 * create.ts) and ends with a summary. The JSON shape is documented in the README ("Output formats").
 */
import { findingText } from '../../admission/respond.js'
import type { outputFormats } from '../../config.js'
import type { Failure } from '../../engine/evaluate.js'
import { outcomeOf, type Outcome } from '../../engine/outcome.js'
import type { Validation } from '../../engine/validate.js'
import { guardError } from '../../errors.js'
import type { Finding } from '../../policy/types.js'

export type Format = (typeof outputFormats)[keyof typeof outputFormats][number]

export const statuses = ['valid', 'invalid', 'warned', 'skipped', 'empty', 'error'] as const
/**
 * valid: evaluated, no finding; invalid: at least one deny finding; warned: only warn/audit findings;
 * skipped: a kind endpoint-guard does not guard; empty: an empty YAML document; error: could not be read or
 * parsed, or a policy failed on it.
 */
export type Status = (typeof statuses)[number]

export interface ReportedFinding {
  /** a policy id, or for `audit` one of the breakage checks (missing-endpoints, ...) */
  policy: string
  action: 'deny' | 'warn' | 'audit'
  /** Kubernetes-style field path: `spec.ports[1].name`; `(object)` for the whole object */
  path: string
  /** Kubernetes field-error type: "Invalid value", "Forbidden", ... */
  type: string
  /** the offending value as displayed (a quoted string, a number), when there is one */
  value?: string
  detail: string
  /** the whole finding in one line: `<policy>: <path>: <type>: [<value>: ]<detail>` */
  message: string
  /** 1-based line of the field in the input file (check only) */
  line?: number
  /**
   * The PolicyException that exempts the finding (it does not fail the object), or that would have but expired
   * (`expired: true`: the finding counts as if there were none).
   */
  exception?: { id: string; reason: string; expires: string; expired?: true }
}

export interface Result {
  /** the input file as given (relative paths stay relative), `stdin`; absent for live objects */
  file?: string
  /** 1-based index of the YAML document in the file */
  document?: number
  /** index in the List's `items`, when the object came from a List */
  item?: number
  /** 1-based line where the document starts (or of the error) */
  line?: number
  kind?: string
  namespace?: string
  name?: string
  /** live objects only, for PolicyReports; not part of the JSON output */
  apiVersion?: string
  /** live objects only, for PolicyReports; not part of the JSON output */
  uid?: string
  status: Status
  findings: ReportedFinding[]
  /** why the status is error */
  error?: string
  /** the policy that failed on the object (status error), for PolicyReports; not part of the JSON output */
  failedPolicy?: string
}

export type Summary = Record<Status, number> & { total: number; files?: number }

/**
 * What stopped a run, or made it fail as a whole (exit 2): policies that do not load, a cluster that cannot be
 * read, no input at all. Printed on stderr always; the machine-readable formats carry it too.
 */
export interface RunError {
  /** the error catalogue's code (src/errors.ts) */
  code: string
  message: string
  /** the file it is about (a policy file), when known */
  file?: string
  /** the JSON pointer inside that file, for a policy that does not load */
  pointer?: string
}

export interface Output {
  result(result: Result): void
  /**
   * Writes the summary (absent when nothing was evaluated: the policies did not load) and the error that failed
   * the run as a whole, if any; call once, last.
   */
  end(summary: Summary | undefined, error?: RunError): void
}

export interface OutputLabels {
  /** "checked" / "audited" */
  verb: string
  /** "document" / "object" */
  noun: string
}

export function emptySummary(withFiles: boolean): Summary {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<Status, number>
  return withFiles ? { total: 0, files: 0, ...counts } : { total: 0, ...counts }
}

export function count(summary: Summary, result: Result): void {
  summary.total++
  summary[result.status]++
}

/** 2 when anything could not be read or evaluated, 1 on any invalid (or, with `strict`, warned) result, else 0. */
export function exitCodeOf(summary: Summary, strict: boolean): number {
  if (summary.error > 0) return 2
  if (summary.invalid > 0 || (strict && summary.warned > 0)) return 1
  return 0
}

export function reportedFinding(f: Finding): ReportedFinding {
  const action = f.action === 'mutate' ? 'audit' : f.action
  const out: ReportedFinding = { policy: f.policy, action, path: f.path, type: f.type, detail: f.detail, message: findingText(f) }
  if (f.value !== undefined) out.value = f.value
  if (f.exception !== undefined) {
    const { id, reason, expires, expired } = f.exception
    out.exception = expired ? { id, reason, expires, expired: true } : { id, reason, expires }
  }
  return out
}

/** Whether an exception exempts a reported finding. */
export function isExempted(f: ReportedFinding): boolean {
  return f.exception !== undefined && f.exception.expired !== true
}

/** The action a finding is shown with: an exempted deny is shown (and fails CI) as a warning. */
export function shownAction(f: ReportedFinding): ReportedFinding['action'] {
  return f.action === 'deny' && isExempted(f) ? 'warn' : f.action
}

/** What follows a finding's message in the line formats: the exception that exempts it, or that expired. */
export function exceptionNote(f: ReportedFinding): string {
  if (f.exception === undefined) return ''
  if (f.exception.expired === true) return ` (exception ${f.exception.id} expired at ${f.exception.expires})`
  return ` (exempted by exception ${f.exception.id}: ${f.exception.reason})`
}

/** The engine's outcome in the words of a result status (kubeconform's vocabulary). */
const statusOfOutcome: Record<Outcome, Status> = {
  allowed: 'valid',
  patched: 'valid',
  warned: 'warned',
  audited: 'warned',
  denied: 'invalid',
  errored: 'error',
}

/**
 * Status and findings of an evaluated object, from its validation and any findings of its own (audit's
 * breakages); a policy that threw makes it an error.
 */
export function evaluated(validation: Validation | Failure, extra: readonly Finding[] = []): Pick<Result, 'status' | 'findings' | 'error' | 'failedPolicy'> {
  if (!validation.ok) {
    const error = guardError('EG_POLICY_FAILED', validation.policy, validation.message).message
    return { status: 'error', findings: extra.map(reportedFinding), error, failedPolicy: validation.policy }
  }
  const findings = [...validation.findings, ...extra]
  return { status: statusOfOutcome[outcomeOf(findings, false)], findings: findings.map(reportedFinding) }
}

/** `dir/a.yaml#2`, `dir/list.yaml#1.items[3]`; empty for live objects. */
export function locationOf(r: Result): string {
  if (r.file === undefined) return ''
  const doc = r.document === undefined ? '' : `#${r.document}`
  const item = r.item === undefined ? '' : `.items[${r.item}]`
  return `${r.file}${doc}${item}`
}

/** `EndpointSlice prod/web-1`; `(no name)` when metadata.name is missing. */
export function objectOf(r: Result): string {
  const name = r.name ?? '(no name)'
  return `${r.kind ?? '(no kind)'} ${r.namespace === undefined ? name : `${r.namespace}/${name}`}`
}

export function summaryLine(s: Summary, labels: OutputLabels): string {
  const files = s.files === undefined ? '' : ` in ${s.files} ${s.files === 1 ? 'file' : 'files'}`
  const parts = statuses.map((status) => (status === 'error' ? `${s.error} ${s.error === 1 ? 'error' : 'errors'}` : `${s[status]} ${status}`))
  return `${labels.verb} ${s.total} ${labels.noun}${s.total === 1 ? '' : 's'}${files}: ${parts.join(', ')}`
}
