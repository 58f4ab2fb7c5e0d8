import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { isObject, objectKey, type Labels } from '../../kube/object.js'
import type { EvaluationContext } from '../context.js'
import { displayValue } from '../render.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'
import { routedTraffic, serviceNameOf, trafficSummary, trafficValues } from './routed-traffic.js'

export const serviceChecks = ['ports', 'ipFamily', 'noSelector'] as const
type ServiceCheck = (typeof serviceChecks)[number]

type Obj = Record<string, unknown>
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function selectorText(selector: Labels): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
}

/**
 * `"service": {"checks": ["ports", "ipFamily", "noSelector"]}` at the root of an EndpointSlice (or Endpoints)
 * schema: consistency with the Service the object feeds, looked up in the cluster context (never over the
 * network). When that Service is unknown the keyword passes: these rules apply only "when its Service is known".
 *   ports      every named slice port is one of the Service's port names
 *   ipFamily   the slice's addressType is one of the Service's ipFamilies
 *   noSelector the Service has no selector (a hand-written slice for a selector Service injects traffic)
 */
export const service: PolicyKeyword = {
  keyword: 'service',
  description:
    'At the root of an EndpointSlice or Endpoints schema: agree with the Service the object feeds, when the cluster context knows it (else silent). ports: every named slice port is a Service port name (Invalid value); ipFamily: addressType is one of the Service\'s ipFamilies (Invalid value); noSelector: the Service has no selector (Forbidden).',
  type: 'object',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    required: ['checks'],
    additionalProperties: false,
    properties: { checks: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...serviceChecks] } } },
  },
  errors: true,
  compile(schema: { checks: ServiceCheck[] }) {
    const checks = new Set(schema.checks)
    const validate: DataValidateFunction = function (this: EvaluationContext | undefined, data: Obj, cxt) {
      const name = serviceNameOf(data)
      const svc = name === undefined || this?.cluster === undefined ? undefined : this.cluster.service(this.namespace, name)
      if (svc === undefined) return setErrors(validate, [])
      const ref = `Service ${objectKey(svc.namespace, svc.name)}`
      const base = cxt?.instancePath ?? ''
      const errors = []
      if (checks.has('noSelector') && svc.selector !== undefined) {
        const traffic = routedTraffic(data)
        const what = data.kind === 'Endpoints' ? 'these Endpoints' : 'this slice'
        const detail = `${what} would add ${trafficSummary(traffic)} to ${ref}, which selects pods ${selectorText(svc.selector)}; only the Kubernetes controllers may write endpoints for a Service with a selector`
        const path = data.kind === 'Endpoints' ? `${base}/metadata/name` : `${base}/metadata/labels/kubernetes.io~1service-name`
        errors.push(keywordError('service', { detail, type: 'Forbidden', value: name, values: trafficValues(traffic) }, path))
      }
      if (checks.has('ports')) {
        const names = new Set(svc.ports.map((p) => p.name))
        asArray(data.ports).forEach((p, i) => {
          const portName = isObject(p) && typeof p.name === 'string' ? p.name : ''
          if (names.has(portName)) return
          const known = [...names].map((n) => (n === '' ? '(unnamed)' : n)).join(', ') || 'none'
          const detail = `${ref} has no port named ${displayValue(portName) ?? '""'} (its ports: ${known}), so kube-proxy will not use it`
          errors.push(keywordError('service', { detail, value: portName }, `${base}/ports/${i}/name`))
        })
      }
      const families = svc.ipFamilies
      if (checks.has('ipFamily') && typeof data.addressType === 'string' && families.length > 0 && !families.includes(data.addressType)) {
        const detail = `${ref} serves ${families.join(' and ')} only (spec.ipFamilies), so this slice is never used`
        errors.push(keywordError('service', { detail, value: data.addressType }, `${base}/addressType`))
      }
      return setErrors(validate, errors)
    }
    return validate
  },
}
