import { describeError, guardError, type GuardError } from '../errors.js'
import { operations, reviewVersions, type AdmissionRequest, type Operation, type ReviewVersion } from '../kube/admission.js'
import { isObject, type KubeObject } from '../kube/object.js'

export interface DecodedReview {
  ok: true
  apiVersion: ReviewVersion
  request: AdmissionRequest
}

/**
 * A body that could not be turned into a request. With a uid the caller can still answer with an errored
 * AdmissionReview (the API server shows that message to the user); without one it must answer HTTP 4xx.
 */
export interface DecodeFailure {
  ok: false
  error: GuardError
  uid?: string
  apiVersion?: ReviewVersion
}

// A uid is a UUID in practice; the bound keeps a hostile value from being echoed back at length.
const maxUidLength = 128

function describeType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}

/** Where JSON.parse gave up, without the snippet of the body that Node puts in its message: never echo input. */
function jsonErrorWhere(message: string): string {
  const position = /position (\d+)/.exec(message)
  if (position !== null) return `syntax error at position ${position[1]}`
  return /end of JSON input/.test(message) ? 'the body ends inside a JSON value' : 'syntax error'
}

/** body → AdmissionRequest, or the reason it is not one. Pure: no I/O, never throws. */
export function decodeReview(body: string | undefined): DecodedReview | DecodeFailure {
  if (body === undefined || body.trim() === '') return { ok: false, error: guardError('EG_BODY_EMPTY') }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (err) {
    return { ok: false, error: guardError('EG_BODY_NOT_JSON', jsonErrorWhere(describeError(err))) }
  }
  return decodeParsedReview(parsed)
}

export function decodeParsedReview(parsed: unknown): DecodedReview | DecodeFailure {
  const fail = (reason: string): DecodeFailure => ({ ok: false, error: guardError('EG_NOT_ADMISSION_REVIEW', reason) })
  if (!isObject(parsed)) return fail(`expected a JSON object, got ${describeType(parsed)}`)
  if (parsed.kind !== 'AdmissionReview') return fail('kind must be "AdmissionReview"')
  const apiVersion = parsed.apiVersion
  if (!reviewVersions.includes(apiVersion as ReviewVersion)) {
    return fail(`apiVersion must be one of ${reviewVersions.join(', ')}`)
  }
  const version = apiVersion as ReviewVersion
  const req = parsed.request
  if (!isObject(req)) return fail('request must be an object')
  const uid = req.uid
  if (typeof uid !== 'string' || uid === '' || uid.length > maxUidLength) {
    return { ok: false, error: guardError('EG_NO_UID'), apiVersion: version }
  }
  const problem = requestProblem(req)
  if (problem !== undefined) {
    return { ok: false, error: guardError('EG_BAD_REQUEST', problem), uid, apiVersion: version }
  }
  // An absent userInfo is an anonymous request; the type says it is always there, so decode makes it so.
  const request = (req.userInfo === undefined ? { ...req, userInfo: {} } : req) as unknown as AdmissionRequest
  return { ok: true, apiVersion: version, request }
}

function requestProblem(req: KubeObject): string | undefined {
  const kind = req.kind
  if (!isObject(kind) || typeof kind.kind !== 'string' || kind.kind === '') return 'request.kind.kind is missing'
  if (!isObject(req.resource) || typeof req.resource.resource !== 'string') return 'request.resource is missing'
  if (!operations.includes(req.operation as Operation)) {
    return `request.operation must be one of ${operations.join(', ')}`
  }
  if (req.subResource !== undefined && typeof req.subResource !== 'string') return 'request.subResource must be a string'
  if (req.namespace !== undefined && typeof req.namespace !== 'string') return 'request.namespace must be a string'
  if (req.userInfo !== undefined && !isObject(req.userInfo)) return 'request.userInfo must be an object'
  if (isObject(req.userInfo)) {
    const { username, groups } = req.userInfo
    if (username !== undefined && typeof username !== 'string') return 'request.userInfo.username must be a string'
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
      return 'request.userInfo.groups must be a list of strings'
    }
  }
  if (req.name !== undefined && typeof req.name !== 'string') return 'request.name must be a string'
  const op = req.operation as Operation
  if ((op === 'CREATE' || op === 'UPDATE') && !isObject(req.object)) {
    return `request.object must be an object for ${op}`
  }
  if (op === 'UPDATE' && !isObject(req.oldObject)) return 'request.oldObject must be an object for UPDATE'
  if (op === 'DELETE' && req.oldObject !== undefined && req.oldObject !== null && !isObject(req.oldObject)) {
    return 'request.oldObject must be an object'
  }
  return undefined
}
