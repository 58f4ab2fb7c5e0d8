import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { isObject, objectKey, objectName, objectNamespace } from '../../kube/object.js'
import type { EvaluationContext, SliceRecord } from '../context.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'

const shownSlices = 5

function sliceWords(slice: SliceRecord): string {
  const addresses = slice.addresses.length === 0 ? 'no addresses' : slice.addresses.slice(0, 3).join(', ') + (slice.addresses.length > 3 ? ` and ${slice.addresses.length - 3} more` : '')
  return `${slice.name} (${addresses})`
}

/**
 * `"noPlantedSlices": {"ignoreManagedBy": []}` at the root of a Service schema: a Service with a selector (not
 * ExternalName) must not be one that hand-managed EndpointSlices already claim (kubernetes.io/service-name),
 * from the cluster context: a slice planted before its Service would receive the Service's traffic beside the
 * selected pods once the Service exists. Slices whose managed-by label is in `ignoreManagedBy` are not counted.
 * On UPDATE ratcheting lets a Service that already had its selector keep it; adding the selector is new.
 */
export const noPlantedSlices: PolicyKeyword = {
  keyword: 'noPlantedSlices',
  description:
    'At the root of a Service schema: a Service with a selector (not ExternalName) must not be claimed by hand-managed EndpointSlices of the cluster context (planted before it), except those whose managed-by label is in ignoreManagedBy. A failure is Forbidden; it names the slices.',
  type: 'object',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { ignoreManagedBy: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } } },
  },
  errors: true,
  compile(schema: { ignoreManagedBy?: string[] }, parentSchema: Record<string, unknown>) {
    const ignored = new Set(schema.ignoreManagedBy ?? [])
    const validate: DataValidateFunction = function (this: EvaluationContext | undefined, data: Record<string, unknown>, cxt) {
      const spec = isObject(data.spec) ? data.spec : {}
      const selects = spec.type !== 'ExternalName' && isObject(spec.selector) && Object.keys(spec.selector).length > 0
      const name = objectName(data)
      const namespace = objectNamespace(data) ?? this?.namespace ?? ''
      if (!selects || name === undefined || this?.cluster === undefined) return setErrors(validate, [])
      const slices = this.cluster.slicesFor(namespace, name).filter((s) => s.managedBy === undefined || !ignored.has(s.managedBy))
      if (slices.length === 0) return setErrors(validate, [])
      const sorted = [...slices].sort((a, b) => a.name.localeCompare(b.name))
      const more = sorted.length > shownSlices ? ` and ${sorted.length - shownSlices} more` : ''
      const listed = sorted.slice(0, shownSlices).map(sliceWords).join(', ') + more
      const names = sorted.slice(0, shownSlices).map((s) => s.name).join(' ') + more
      const detail = `hand-managed EndpointSlices already claim Service ${objectKey(namespace, name)}: ${listed}; with this selector their endpoints would receive its traffic beside the selected pods (slices planted before their Service); delete them first: kubectl -n ${namespace} delete endpointslice ${names}`
      const values = sorted.map((s) => objectKey(s.namespace, s.name))
      return setErrors(validate, [keywordError('noPlantedSlices', { detail, type: 'Forbidden', values }, `${cxt?.instancePath ?? ''}/spec/selector`)], parentSchema)
    }
    return validate
  },
}
