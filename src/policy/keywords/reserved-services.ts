import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { objectKey, objectNamespace } from '../../kube/object.js'
import type { EvaluationContext } from '../context.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'
import { writerCheck, writersMetaSchema, type Writers } from './request-user-in.js'
import { routedTraffic, serviceNameOf, trafficSummary } from './routed-traffic.js'

const dns1123Label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'

/**
 * `"reservedServices": {"default/kubernetes": ["system:apiserver"]}` at the root of an EndpointSlice or Endpoints
 * schema: the endpoints of these Services (`namespace/name`) may only be written by the listed writers (user names,
 * or `{"users", "groups"}`). Such a Service has no selector, so no other rule stops a user from pointing it
 * anywhere; `default/kubernetes` carries every pod's calls to the Kubernetes API. Its errors are about the writer:
 * never ratcheted.
 */
export const reservedServices: PolicyKeyword = {
  keyword: 'reservedServices',
  description:
    'At the root of an EndpointSlice or Endpoints schema: the endpoints of these Services ("namespace/name": writers, as for requestUserIn) may only be written by their writers. A failure is Forbidden, and about the writer: never ratcheted.',
  type: 'object',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: `^${dns1123Label}/${dns1123Label}$` },
    additionalProperties: writersMetaSchema,
  },
  errors: true,
  compile(schema: Record<string, Writers>, parentSchema: Record<string, unknown>) {
    const reserved = new Map(Object.entries(schema).map(([key, writers]) => [key, writerCheck(writers)]))
    const validate: DataValidateFunction = function (this: EvaluationContext | undefined, data: Record<string, unknown>, cxt) {
      const name = serviceNameOf(data)
      const key = name === undefined ? undefined : objectKey(objectNamespace(data) ?? this?.namespace ?? '', name)
      const writers = key === undefined ? undefined : reserved.get(key)
      if (writers === undefined || writers.allows(this)) return setErrors(validate, [])
      const endpoints = data.kind === 'Endpoints' ? 'these Endpoints' : 'this slice'
      const user = this?.request.userInfo.username ?? 'this user'
      const detail = `Service ${key} is reserved: only ${writers.words} may write its endpoints; ${endpoints}, written by ${user}, would send its traffic to ${trafficSummary(routedTraffic(data))}`
      const base = cxt?.instancePath ?? ''
      const path = data.kind === 'Endpoints' ? `${base}/metadata/name` : `${base}/metadata/labels/kubernetes.io~1service-name`
      return setErrors(validate, [keywordError('reservedServices', { detail, type: 'Forbidden', value: name, writer: true }, path)], parentSchema)
    }
    return validate
  },
}
