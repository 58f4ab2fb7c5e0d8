import type { Failure } from '../engine/evaluate.js'
import { exempted } from '../engine/exceptions.js'
import type { Mutation } from '../engine/mutate.js'
import { denies, warns } from '../engine/outcome.js'
import type { Validation } from '../engine/validate.js'
import { guardError } from '../errors.js'
import type { AdmissionResponse, AdmissionReviewResponse, ReviewVersion } from '../kube/admission.js'
import { violationText } from '../policy/render.js'
import type { Finding } from '../policy/types.js'

// Bounds on what one answer carries: the API server stores warnings and audit annotations with the request,
// and truncates warnings it finds too long, so say less, clearly, rather than have the end cut off.
const maxListed = 25
const maxWarnings = 20
const maxWarningLength = 256
const maxAnnotationLength = 1024

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

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}

/** A finding's text within `max`, its note (why it did not deny) kept whole: the finding is cut, never the note. */
function cutFinding(f: Finding, max: number): string {
  const note = findingNote(f)
  return `${cut(findingText(f), Math.max(max - note.length, 16))}${note}`
}

function listed(texts: string[], max: number): string[] {
  if (texts.length <= max) return texts
  return [...texts.slice(0, max), `... and ${texts.length - max} more`]
}

export function erroredResponse(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } }
}

/** A policy that failed: allowed false with code 500, never an allow. */
export function failureResponse(uid: string, failure: Failure): AdmissionResponse {
  const failed = guardError('EG_POLICY_FAILED', failure.policy, failure.message)
  return erroredResponse(uid, failed.statusCode, failed.message)
}

/** One warning per exception that matched but has expired, naming the policies it no longer exempts. */
function expiredWarnings(findings: Finding[]): string[] {
  const expired = new Map<string, { id: string; expires: string; policies: Set<string> }>()
  for (const f of findings) {
    if (f.exception?.expired !== true) continue
    const entry = expired.get(f.exception.id) ?? { id: f.exception.id, expires: f.exception.expires, policies: new Set<string>() }
    entry.policies.add(f.policy)
    expired.set(entry.id, entry)
  }
  return [...expired.values()].map((e) => expiredText(e, [...e.policies]))
}

function warningsOf(findings: Finding[]): string[] {
  const texts = [...findings.filter(warns).map((f) => cutFinding(f, maxWarningLength)), ...expiredWarnings(findings)]
  return listed(texts, maxWarnings).map((w) => cut(w, maxWarningLength))
}

/** Audit-action findings, and what monitor mode let pass (so the audit log records what would have been denied). */
function auditAnnotationsOf(findings: Finding[]): Record<string, string> {
  const byPolicy = new Map<string, string[]>()
  for (const f of findings) {
    if (f.action !== 'audit' && f.monitored !== true) continue
    const text = f.monitored === true ? `would have been denied: ${violationText(f)}` : `${violationText(f)}${findingNote(f)}`
    byPolicy.set(f.policy, [...(byPolicy.get(f.policy) ?? []), text])
  }
  // Keys are policy ids (DNS-1123 labels); the API server prefixes them with the webhook's name.
  return Object.fromEntries([...byPolicy].map(([id, texts]) => [id, cut(listed(texts, maxListed).join('; '), maxAnnotationLength)]))
}

/** A validation as the API server wants it. Denials list every introduced violation, each with its field path. */
export function validationResponse(uid: string, validation: Validation): AdmissionResponse {
  const allowed = validation.outcome !== 'denied'
  const response: AdmissionResponse = { uid, allowed }
  if (!allowed) {
    const denials = validation.findings.filter(denies)
    const texts = denials.map(findingText)
    response.status = {
      code: 403,
      reason: 'Forbidden',
      message: listed(texts, maxListed).join('; '),
      details: {
        causes: denials.slice(0, maxListed).map((f, i) => ({ reason: f.type, field: f.path, message: texts[i] ?? '' })),
      },
    }
  }
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
