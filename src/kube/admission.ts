import type { KubeObject } from './object.js'

/* Wire types of admission.k8s.io/v1 (v1beta1 has the same shape for the fields used here). */

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
export const operations: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT']

export const reviewVersions = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const
export type ReviewVersion = (typeof reviewVersions)[number]

export interface GroupVersionKind { group: string; version: string; kind: string }
export interface GroupVersionResource { group: string; version: string; resource: string }

export interface UserInfo {
  username?: string
  uid?: string
  groups?: string[]
  extra?: Record<string, string[]>
}

export interface AdmissionRequest {
  uid: string
  kind: GroupVersionKind
  resource: GroupVersionResource
  subResource?: string
  name?: string
  namespace?: string
  operation: Operation
  /** always present after decode (an absent userInfo is an anonymous request: `{}`) */
  userInfo: UserInfo
  object?: KubeObject | null
  oldObject?: KubeObject | null
  dryRun?: boolean
}

export interface StatusDetails {
  causes?: Array<{ reason?: string; message?: string; field?: string }>
}

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: { code: number; message: string; reason?: string; details?: StatusDetails }
  warnings?: string[]
  patchType?: 'JSONPatch'
  patch?: string
  auditAnnotations?: Record<string, string>
}

export interface AdmissionReviewResponse {
  apiVersion: ReviewVersion
  kind: 'AdmissionReview'
  response: AdmissionResponse
}
