import type { SchemaObjCxt } from 'ajv'
import { describeError } from '../../errors.js'
import { objectKey } from '../../kube/object.js'
import { cidrContains, parseCidr, parseIp, type Cidr } from '../ip.js'
import { KeywordValueError } from './keyword-error.js'
import { stringCheckKeyword } from './string-check.js'

interface NotClusterAddress {
  podCidrs?: string[]
  serviceCidrs?: string[]
}

const cidrList = { type: 'array', uniqueItems: true, items: { type: 'string' } }

function compileCidrs(list: readonly string[], at: string, it: SchemaObjCxt): Cidr[] {
  return list.map((text, i) => {
    try {
      return parseCidr(text)
    } catch (err) {
      throw new KeywordValueError(`${it.errSchemaPath}/notClusterAddress/${at}/${i}`, describeError(err))
    }
  })
}

const cve = '(CVE-2021-25740)'

/**
 * `"notClusterAddress": {"podCidrs": [...], "serviceCidrs": [...]}`: an endpoint address must not point back into
 * the cluster: not an address of a Node (InternalIP, ExternalIP), not inside a Node's pod CIDR, not a Service's
 * ClusterIP (all from the cluster context, silent where it knows nothing), and not inside the policy's own pod
 * and Service networks (for clusters whose Nodes carry no pod CIDRs). Addresses are compared by value, so
 * `::ffff:10.0.0.5` is `10.0.0.5`. What is not an IP is left to `ipAddress`: it cannot be a cluster address.
 */
export const notClusterAddress = stringCheckKeyword({
  keyword: 'notClusterAddress',
  description:
    'The string, when it is an IP address, does not point back into the cluster: not a Node\'s InternalIP or ExternalIP, inside a Node\'s pod CIDR or podCidrs, a Service\'s ClusterIP or inside serviceCidrs (the cluster context; silent where it knows nothing). A failure is an Invalid value.',
  schemaType: 'object',
  metaSchema: { type: 'object', additionalProperties: false, properties: { podCidrs: cidrList, serviceCidrs: cidrList } },
  compile(schema: NotClusterAddress, _parentSchema, it) {
    const podCidrs = compileCidrs(schema.podCidrs ?? [], 'podCidrs', it)
    const serviceCidrs = compileCidrs(schema.serviceCidrs ?? [], 'serviceCidrs', it)
    return (data, ctx) => {
      const ip = parseIp(data)
      if (!ip.ok) return undefined
      const cluster = ctx?.cluster
      const node = cluster?.nodeByAddress(data)
      if (node !== undefined) {
        return `is an address of Node ${node.name}: a hand-managed endpoint here sends the Service's traffic to the node itself (its kubelet, node ports and host-network pods) ${cve}; use an address outside the cluster, or give the Service a selector`
      }
      const service = cluster?.serviceByClusterIP(data)
      if (service !== undefined) {
        return `is the ClusterIP of Service ${objectKey(service.namespace, service.name)}: a hand-managed endpoint here relays the Service's traffic into that Service, around its network policies ${cve}; clients should call that Service by its own name`
      }
      const podNode = cluster?.nodeByPodCIDR(data)
      const podCidr = podNode?.podCIDRs.find((text) => {
        try {
          return cidrContains(parseCidr(text), ip.address)
        } catch {
          return false
        }
      })
      if (podNode !== undefined) {
        const inside = podCidr === undefined ? 'inside the pod CIDR' : `inside the pod CIDR ${podCidr}`
        return `is ${inside} of Node ${podNode.name}: a hand-managed endpoint here sends the Service's traffic to whichever pod holds this address ${cve}; to reach pods, give the Service a selector`
      }
      const pods = podCidrs.find((c) => cidrContains(c, ip.effective))
      if (pods !== undefined) {
        return `is inside the cluster's pod network ${pods.text}: a hand-managed endpoint here sends the Service's traffic to whichever pod holds this address ${cve}; to reach pods, give the Service a selector`
      }
      const services = serviceCidrs.find((c) => cidrContains(c, ip.effective))
      if (services !== undefined) {
        return `is inside the cluster's Service network ${services.text}: a hand-managed endpoint here relays the Service's traffic into another Service ${cve}; clients should call that Service by its own name`
      }
      return undefined
    }
  },
})
