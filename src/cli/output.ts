/**
 * What `check` and `audit` print. Each input document (or live object) yields one Result with a status, as
 * kubeconform does; one Output interface writes them in the chosen format and ends with a summary.
 *
 * JSON shape (stable; documented in docs/cli.md):
 *   { "results": [Result, ...], "summary": Summary }
 * written one result per line as the results come, so a run over many files never holds them all.
 */
import { findingText } from '../admission/respond.js'
import type { outputFormats } from '../config.js'
import type { Failure } from '../engine/evaluate.js'
import { outcomeOf, type Outcome } from '../engine/outcome.js'
import type { Validation } from '../engine/validate.js'
import { guardError } from '../errors.js'
import { stdinName } from '../manifest/inputs.js'
import type { Finding } from '../policy/types.js'

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
  status: Status
  findings: ReportedFinding[]
  /** why the status is error */
  error?: string
}

export type Summary = Record<Status, number> & { total: number; files?: number }

export interface Output {
  result(result: Result): void
  /** writes the summary; call once, last */
  end(summary: Summary): void
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
  return out
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
export function evaluated(validation: Validation | Failure, extra: readonly Finding[] = []): Pick<Result, 'status' | 'findings' | 'error'> {
  if (!validation.ok) {
    return { status: 'error', findings: extra.map(reportedFinding), error: guardError('EG_POLICY_FAILED', validation.policy, validation.message).message }
  }
  const findings = [...validation.findings, ...extra]
  return { status: statusOfOutcome[outcomeOf(findings, false)], findings: findings.map(reportedFinding) }
}

export function createOutput(format: Format, write: (line: string) => void, labels: OutputLabels): Output {
  switch (format) {
    case 'json':
      return jsonOutput(write)
    case 'github':
      return githubOutput(write, labels)
    case 'text':
      return textOutput(write, labels)
  }
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

/**
 * One line per finding and per error; nothing for valid, skipped and empty documents; then the summary:
 *   dir/a.yaml#2 EndpointSlice prod/web-1: deny: endpointslice-addresses: endpoints[0].addresses[0]: ...
 *   dir/b.yaml#1: error: cannot parse: ... (line 4, column 3)
 *   checked 12 documents in 3 files: 8 valid, 1 invalid, 1 warned, 1 skipped, 0 empty, 1 error
 */
function textOutput(write: (line: string) => void, labels: OutputLabels): Output {
  return {
    result(r) {
      const location = locationOf(r)
      if (r.status === 'error' && r.kind === undefined) {
        write(`${location}: error: ${r.error ?? 'unknown error'}`)
        return
      }
      const subject = location === '' ? objectOf(r) : `${location} ${objectOf(r)}`
      for (const f of r.findings) write(`${subject}: ${f.action}: ${f.message}`)
      if (r.status === 'error') write(`${subject}: error: ${r.error ?? 'unknown error'}`)
    },
    end(summary) {
      write(summaryLine(summary, labels))
    },
  }
}

function jsonOutput(write: (line: string) => void): Output {
  // Each result is written when the next one comes (or the end), so the comma goes on its line: one result
  // per line, diff- and grep-friendly, and never more than one result held.
  let pending: string | undefined
  write('{')
  write('  "results": [')
  return {
    result(r) {
      if (pending !== undefined) write(`${pending},`)
      pending = `    ${JSON.stringify(ordered(r))}`
    },
    end(summary) {
      if (pending !== undefined) write(pending)
      write('  ],')
      write(`  "summary": ${JSON.stringify(summary)}`)
      write('}')
    },
  }
}

/** Keys in the documented order, whatever order the Result was built in. */
function ordered(r: Result): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of ['file', 'document', 'item', 'line', 'kind', 'namespace', 'name', 'status'] as const) {
    if (r[key] !== undefined) out[key] = r[key]
  }
  out['findings'] = r.findings.map((f) => {
    const finding: Record<string, unknown> = {}
    for (const key of ['policy', 'action', 'path', 'type', 'value', 'detail', 'message', 'line'] as const) {
      if (f[key] !== undefined) finding[key] = f[key]
    }
    return finding
  })
  if (r.error !== undefined) out['error'] = r.error
  return out
}

/**
 * GitHub Actions workflow commands: each finding and error becomes an annotation on the file and line
 * (`::error file=...,line=...,title=...::message`); the summary is a plain line.
 */
function githubOutput(write: (line: string) => void, labels: OutputLabels): Output {
  const annotate = (level: 'error' | 'warning' | 'notice', r: Result, line: number | undefined, title: string, message: string) => {
    const props: string[] = []
    // stdin is no file of the repository: an annotation on it would point nowhere.
    const file = r.file === stdinName ? undefined : r.file
    if (file !== undefined) props.push(`file=${escapeProperty(file)}`)
    if (file !== undefined && line !== undefined) props.push(`line=${line}`)
    props.push(`title=${escapeProperty(title)}`)
    write(`::${level} ${props.join(',')}::${escapeData(message)}`)
  }
  const levels = { deny: 'error', warn: 'warning', audit: 'notice' } as const
  return {
    result(r) {
      const location = locationOf(r)
      if (r.status === 'error' && r.kind === undefined) {
        annotate('error', r, r.line, 'endpoint-guard', `${location}: ${r.error ?? 'unknown error'}`)
        return
      }
      const subject = location === '' ? objectOf(r) : `${location} ${objectOf(r)}`
      for (const f of r.findings) annotate(levels[f.action], r, f.line ?? r.line, f.policy, `${subject}: ${f.message}`)
      if (r.status === 'error') annotate('error', r, r.line, 'endpoint-guard', `${subject}: ${r.error ?? 'unknown error'}`)
    },
    end(summary) {
      write(summaryLine(summary, labels))
    },
  }
}

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
