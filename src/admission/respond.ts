import type { Failure } from '../engine/evaluate.js'
import { exempted } from '../engine/exceptions.js'
import type { Mutation } from '../engine/mutate.js'
import { denies, warns } from '../engine/outcome.js'
import type { Validation } from '../engine/validate.js'
import { guardError } from '../errors.js'
import type { AdmissionResponse, AdmissionReviewResponse, ReviewVersion } from '../kube/admission.js'
import { cutEnd, violationText } from '../policy/render.js'
import { violationCount, type Finding } from '../policy/types.js'
import { answerBudget, fitList, moreText, shortenTo, utf8Bound, utf8Bytes, warningWithin } from './budget.js'

export function findingText(f: Finding): string {
  return `${f.policy}: ${violationText(f)}`
}

/**
 * Why a finding did not deny, in words appended to it: ratcheting, an exception (named, with its reason) or monitor
 * mode; empty when it did deny or was never a deny.
 */
export function findingNote(f: Finding): string {
  if (exempted(f) && f.exception !== undefined) return ` (exempted by exception ${f.exception.id}: ${f.exception.reason})`
  if (f.preexisting) return ' (already present, unchanged by this update)'
  if (f.monitored === true) return ' (would have been denied; enforcement is warn)'
  return ''
}

/** The words a user reads for a finding: one that did not deny says why. */
export function userText(f: Finding): string {
  return `${findingText(f)}${findingNote(f)}`
}

/** The warning for an exception that matched but has expired: the findings it covered deny again. */
export function expiredText(e: { id: string; expires: string }, policies: readonly string[]): string {
  return `exception ${e.id} expired at ${e.expires}; ${policies.join(', ')} ${policies.length === 1 ? 'applies' : 'apply'} again`
}

/** One warning per exception that matched but has expired, naming the policies it no longer exempts. */
function expiredWarnings(findings: readonly Finding[]): string[] {
  const expired = new Map<string, { id: string; expires: string; policies: Set<string> }>()
  for (const f of findings) {
    if (f.exception?.expired !== true) continue
    const entry = expired.get(f.exception.id) ?? { id: f.exception.id, expires: f.exception.expires, policies: new Set<string>() }
    entry.policies.add(f.policy)
    expired.set(entry.id, entry)
  }
  return [...expired.values()].map((e) => cutEnd(expiredText(e, [...e.policies]), answerBudget.warningLength))
}

export function erroredResponse(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } }
}

/** A policy that failed: allowed false with code 500, never an allow. */
export function failureResponse(uid: string, failure: Failure): AdmissionResponse {
  const failed = guardError('EG_POLICY_FAILED', failure.policy, failure.message)
  return erroredResponse(uid, failed.statusCode, failed.message)
}

/** One warning, whole within the API server's 256 characters: its note (why it did not deny) is kept, its text cut. */
export function warningText(f: Finding): string {
  return warningWithin(findingText(f), findingNote(f), answerBudget.warningLength)
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
  // Expired exceptions are few (one line each) and say why something denies again: they always fit first.
  const expired = expiredWarnings(findings)
  const findingWarnings = fittedWarnings(findings.filter(warns), answerBudget.warningsLength - expired.reduce((n, w) => n + w.length, 0))
  return expired.length === 0 ? findingWarnings : findingWarnings.concat(expired)
}

function fittedWarnings(list: readonly Finding[], total: number): string[] {
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
    if (entry === undefined) rest.set(f.policy, { n: violationCount(f), preexisting: f.preexisting })
    else entry.n += violationCount(f)
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
  if (used + length(lines) > total) return [`... and ${list.reduce((n, f) => n + violationCount(f), 0)} more warnings of ${rest.size} policies`]
  return [...shown, ...lines]
}

/**
 * Per audit policy, and per policy that monitor mode let pass (so the audit log records what would have been
 * denied), its violations within one annotation value's budget, whole texts and "... and K more".
 */
function auditAnnotationsOf(findings: readonly Finding[]): Record<string, string> {
  const byPolicy = new Map<string, Finding[]>()
  for (const f of findings) {
    if (f.action !== 'audit' && f.monitored !== true) continue
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
      render: (f) => (f.monitored === true ? `would have been denied: ${violationText(f)}` : `${violationText(f)}${findingNote(f)}`),
      size: (t) => t.length,
      moreSize: (n) => moreText(n).length,
      shorten: (t, room) => cutEnd(t, room),
      weight: violationCount,
    })
    out[id] = (fitted.more > 0 ? [...fitted.shown, moreText(fitted.more)] : fitted.shown).join('; ')
  }
  return out
}

type Cause = { reason?: string; field?: string; message: string }

/** The keys, quotes, colons, commas and braces of a cause's JSON. */
const causeFrame = JSON.stringify({ reason: '', field: '', message: '' } satisfies Cause).length
/** A cause's JSON can be no longer than this: JSON writes one UTF-16 code unit in at most 6 bytes (\uXXXX). */
export const causeBound = (c: Cause): number => 6 * ((c.reason?.length ?? 0) + (c.field?.length ?? 0) + c.message.length) + causeFrame

/**
 * A denial's status: the first introduced violations in `message` (25, within 8 KiB), more of them in
 * `details.causes` (100, within 32 KiB), each list ending "... and K more" when it is cut. Only what is shown
 * is rendered, so 140,000 violations cost no more here than 100.
 */
function denialStatus(denials: readonly Finding[]): NonNullable<AdmissionResponse['status']> {
  const bytes = utf8Bytes
  // Both lists start with the same findings: each text is rendered once.
  const texts = new Map<Finding, string>()
  const textOf = (f: Finding): string => {
    let text = texts.get(f)
    if (text === undefined) texts.set(f, (text = findingText(f)))
    return text
  }
  const message = fitList(denials, {
    count: answerBudget.messageViolations,
    budget: answerBudget.messageBytes,
    separator: 2,
    render: textOf,
    size: bytes,
    bound: utf8Bound,
    moreSize: (n) => bytes(moreText(n)),
    shorten: (t, room) => shortenTo(t, room, bytes),
    weight: violationCount,
  })
  const causeBytes = (c: Cause) => bytes(JSON.stringify(c))
  const causes = fitList(denials, {
    count: answerBudget.causes,
    // the envelope {"causes":[...]} and the commas
    budget: answerBudget.detailsBytes - 16,
    separator: 1,
    render: (f): Cause => ({ reason: f.type, field: f.path, message: textOf(f) }),
    size: causeBytes,
    bound: causeBound,
    moreSize: (n) => causeBytes({ message: `${moreText(n)} violations` }),
    shorten: (c, room) => ({ ...c, message: shortenTo(c.message, Math.max(3, room - causeBytes({ ...c, message: '' })), bytes) }),
    weight: violationCount,
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
