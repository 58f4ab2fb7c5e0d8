import type { Failure } from '../engine/evaluate.js'
import type { Mutation } from '../engine/mutate.js'
import { denies, warns } from '../engine/outcome.js'
import type { Validation } from '../engine/validate.js'
import { guardError } from '../errors.js'
import type { AdmissionResponse, AdmissionReviewResponse, ReviewVersion } from '../kube/admission.js'
import { cutEnd, violationText } from '../policy/render.js'
import type { Finding } from '../policy/types.js'
import { answerBudget, fitList, moreText, shortenTo, utf8Bytes, warningWithin } from './budget.js'

export function findingText(f: Finding): string {
  return `${f.policy}: ${violationText(f)}`
}

const preexistingTail = ' (already present, unchanged by this update)'

/** The words a user reads for a finding: a ratcheted violation says why it did not deny. */
export function userText(f: Finding): string {
  return f.preexisting ? `${findingText(f)}${preexistingTail}` : findingText(f)
}

export function erroredResponse(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } }
}

/** A policy that failed: allowed false with code 500, never an allow. */
export function failureResponse(uid: string, failure: Failure): AdmissionResponse {
  const failed = guardError('EG_POLICY_FAILED', failure.policy, failure.message)
  return erroredResponse(uid, failed.statusCode, failed.message)
}

/** One warning, whole within the API server's 256 characters: a ratcheted one keeps its tail, its text is cut. */
export function warningText(f: Finding): string {
  return warningWithin(findingText(f), f.preexisting ? preexistingTail : '', answerBudget.warningLength)
}

function summaryLine(policy: string, n: number, preexisting: boolean): string {
  const what = preexisting ? `pre-existing violation${n === 1 ? '' : 's'}` : `warning${n === 1 ? '' : 's'}`
  return `... and ${n} more ${what} of ${policy}`
}

/**
 * The warnings, within the API server's budget (answerBudget): as many as fit whole, in order, then one line per
 * policy for the rest ("... and 37 more pre-existing violations of endpointslice-addresses"), so nothing the
 * API server would drop is sent and every policy with a warning is still named. Linear: only the warnings shown
 * are rendered; the rest are counted.
 */
export function warningsOf(findings: readonly Finding[]): string[] {
  const list = findings.filter(warns)
  const total = answerBudget.warningsLength
  const shown: string[] = []
  let used = 0
  for (const f of list) {
    const text = warningText(f)
    if (used + text.length > total) break
    shown.push(text)
    used += text.length
  }
  if (shown.length === list.length) return shown
  // The rest, counted per policy (named in order of first appearance); then shown warnings are given back
  // until their summaries fit too.
  const rest = new Map<string, { n: number; preexisting: boolean }>()
  const count = (f: Finding) => {
    const entry = rest.get(f.policy)
    if (entry === undefined) rest.set(f.policy, { n: 1, preexisting: f.preexisting })
    else entry.n++
  }
  for (let i = shown.length; i < list.length; i++) count(list[i] as Finding)
  const order = new Map<string, number>()
  for (const f of list) if (!order.has(f.policy)) order.set(f.policy, order.size)
  const summaries = () =>
    [...rest].sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0)).map(([policy, { n, preexisting }]) => summaryLine(policy, n, preexisting))
  const length = (xs: readonly string[]) => xs.reduce((sum, x) => sum + x.length, 0)
  let lines = summaries()
  while (shown.length > 0 && used + length(lines) > total) {
    used -= (shown.pop() as string).length
    count(list[shown.length] as Finding)
    lines = summaries()
  }
  if (used + length(lines) > total) return [`... and ${list.length} more warnings of ${rest.size} policies`]
  return [...shown, ...lines]
}

/** Per audit policy, its violations within one annotation value's budget, whole texts and "... and K more". */
function auditAnnotationsOf(findings: readonly Finding[]): Record<string, string> {
  const byPolicy = new Map<string, Finding[]>()
  for (const f of findings) {
    if (f.action !== 'audit') continue
    const list = byPolicy.get(f.policy)
    if (list === undefined) byPolicy.set(f.policy, [f])
    else list.push(f)
  }
  // Keys are policy ids (DNS-1123 labels); the API server prefixes them with the webhook's name.
  const out: Record<string, string> = {}
  for (const [id, list] of byPolicy) {
    const fitted = fitList(list, {
      count: answerBudget.messageViolations,
      budget: answerBudget.annotationLength,
      separator: 2,
      render: violationText,
      size: (t) => t.length,
      moreSize: (n) => moreText(n).length,
      shorten: (t, room) => cutEnd(t, room),
    })
    out[id] = (fitted.more > 0 ? [...fitted.shown, moreText(fitted.more)] : fitted.shown).join('; ')
  }
  return out
}

type Cause = { reason?: string; field?: string; message: string }

/**
 * A denial's status: the first introduced violations in `message` (25, within 8 KiB), more of them in
 * `details.causes` (100, within 32 KiB), each list ending "... and K more" when it is cut. Only what is shown
 * is rendered, so 140,000 violations cost no more here than 100.
 */
function denialStatus(denials: readonly Finding[]): NonNullable<AdmissionResponse['status']> {
  const bytes = utf8Bytes
  const message = fitList(denials, {
    count: answerBudget.messageViolations,
    budget: answerBudget.messageBytes,
    separator: 2,
    render: findingText,
    size: bytes,
    moreSize: (n) => bytes(moreText(n)),
    shorten: (t, room) => shortenTo(t, room, bytes),
  })
  const causeBytes = (c: Cause) => bytes(JSON.stringify(c))
  const causes = fitList(denials, {
    count: answerBudget.causes,
    // the envelope {"causes":[...]} and the commas
    budget: answerBudget.detailsBytes - 16,
    separator: 1,
    render: (f): Cause => ({ reason: f.type, field: f.path, message: findingText(f) }),
    size: causeBytes,
    moreSize: (n) => causeBytes({ message: `${moreText(n)} violations` }),
    shorten: (c, room) => ({ ...c, message: shortenTo(c.message, Math.max(3, room - causeBytes({ ...c, message: '' })), bytes) }),
  })
  return {
    code: 403,
    reason: 'Forbidden',
    message: (message.more > 0 ? [...message.shown, moreText(message.more)] : message.shown).join('; '),
    details: { causes: causes.more > 0 ? [...causes.shown, { message: `${moreText(causes.more)} violations` }] : causes.shown },
  }
}

/** A validation as the API server wants it: denials list the introduced violations, each with its field path. */
export function validationResponse(uid: string, validation: Validation): AdmissionResponse {
  const allowed = validation.outcome !== 'denied'
  const response: AdmissionResponse = { uid, allowed }
  if (!allowed) response.status = denialStatus(validation.findings.filter(denies))
  const warnings = warningsOf(validation.findings)
  if (warnings.length > 0) response.warnings = warnings
  const audit = auditAnnotationsOf(validation.findings)
  if (Object.keys(audit).length > 0) response.auditAnnotations = audit
  return response
}

/** A mutation as the API server wants it: a base64 RFC 6902 patch, or none when nothing changes. */
export function mutationResponse(uid: string, mutation: Mutation): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true }
  if (mutation.patch.length > 0) {
    response.patchType = 'JSONPatch'
    response.patch = Buffer.from(JSON.stringify(mutation.patch)).toString('base64')
  }
  return response
}

export function reviewResponse(apiVersion: ReviewVersion, response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion, kind: 'AdmissionReview', response }
}
