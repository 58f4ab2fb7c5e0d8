import type { Failure } from '../engine/evaluate.js'
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

/** The words a user reads for a finding: a ratcheted violation says why it did not deny. */
export function userText(f: Finding): string {
  return f.preexisting ? `${findingText(f)} (already present, unchanged by this update)` : findingText(f)
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
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

function warningsOf(findings: Finding[]): string[] {
  const texts = findings.filter(warns).map(userText)
  return listed(texts, maxWarnings).map((w) => cut(w, maxWarningLength))
}

function auditAnnotationsOf(findings: Finding[]): Record<string, string> {
  const byPolicy = new Map<string, string[]>()
  for (const f of findings) {
    if (f.action !== 'audit') continue
    byPolicy.set(f.policy, [...(byPolicy.get(f.policy) ?? []), violationText(f)])
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
