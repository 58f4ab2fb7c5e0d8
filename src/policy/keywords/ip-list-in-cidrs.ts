import { describeError } from '../../errors.js'
import { cidrContains, formatAddress, parseCidr, parseIp, type Cidr } from '../ip.js'
import { KeywordValueError } from './keyword-error.js'
import { stringCheckKeyword } from './string-check.js'

/**
 * `"ipListInCidrs": ["203.0.113.0/24"]`: a comma-separated list of addresses (the LB-IPAM annotations of MetalLB,
 * Cilium and kube-vip, `spec.loadBalancerIP`), each, with its surrounding spaces trimmed as those controllers trim
 * them, a strictly valid IP inside one of the CIDRs (an empty list allows none). Items that are not IPs are refused:
 * kube-vip resolves names, so a name could request any address. The error names the offending items only, and
 * ratchets on them: adding an allowed address to a list that already held a refused one is not a new violation.
 */
export const ipListInCidrs = stringCheckKeyword({
  keyword: 'ipListInCidrs',
  description:
    'The string is a comma-separated list of IP addresses (items trimmed), each strictly valid and inside one of these CIDRs (an empty list allows none); names are refused. A failure is an Invalid value naming the offending items.',
  schemaType: 'array',
  metaSchema: { type: 'array', uniqueItems: true, items: { type: 'string' } },
  compile(list: string[], _parentSchema, it) {
    const cidrs: Cidr[] = list.map((text, i) => {
      try {
        return parseCidr(text)
      } catch (err) {
        throw new KeywordValueError(`${it.errSchemaPath}/ipListInCidrs/${i}`, describeError(err))
      }
    })
    const shown = cidrs.length === 0 ? 'none' : cidrs.map((c) => c.text).join(', ')
    return (data) => {
      const bad: Array<{ item: string; why: string }> = []
      for (const raw of data.split(',')) {
        const item = raw.trim()
        if (item === '') continue
        const ip = parseIp(item)
        if (!ip.ok) bad.push({ item, why: 'not an IP address' })
        else if (ip.form === 'mapped' || ip.form === 'compatible') bad.push({ item, why: `an IPv4-${ip.form} IPv6 address (${formatAddress({ kind: 'ipv4', bytes: ip.address.bytes.slice(12) })})` })
        else if (!cidrs.some((c) => cidrContains(c, ip.effective))) bad.push({ item, why: `outside the allowed CIDRs (${shown})` })
      }
      if (bad.length === 0) return undefined
      const items = bad.map((b) => b.item)
      return { detail: `requests ${bad.map((b) => `${b.item}: ${b.why}`).join('; ')}`, value: items.join(','), values: items }
    }
  },
})
