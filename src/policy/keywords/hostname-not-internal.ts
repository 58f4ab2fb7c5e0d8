import { formatAddress, parseIp } from '../ip.js'
import { stringCheckKeyword } from './string-check.js'

interface HostnameNotInternal {
  clusterDomain?: string
  allowedSuffixes?: string[]
  forbiddenNames?: string[]
}

const dnsName = { type: 'string', minLength: 1, maxLength: 253, pattern: '^\\.?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?\\.?$' }

/** lower case, without the one trailing dot a fully qualified name may carry, nor a leading one (suffixes) */
const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, '').replace(/^\./, '')

const numericLabel = /^(0x[0-9a-f]*|[0-9]+)$/

/**
 * The address libc's inet_aton reads from a name made only of numbers (`2130706433`, `0x7f.1`, `0177.0.0.1`), or
 * undefined when it reads none: resolvers and HTTP clients that take such a name for an address connect to it.
 */
function laxIpv4(name: string): string | undefined {
  const parts = name.split('.')
  if (parts.length > 4 || !parts.every((p) => numericLabel.test(p))) return undefined
  const values = parts.map((p) => (p.startsWith('0x') ? parseInt(p.slice(2) || '0', 16) : p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : parseInt(p, 10)))
  if (values.some((v) => Number.isNaN(v))) return undefined
  const last = values.pop() ?? 0
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined
  const bytes = [...values]
  for (let i = 3 - values.length; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256)
  return bytes.join('.')
}

/**
 * `"hostnameNotInternal": {"clusterDomain": "cluster.local", "allowedSuffixes": [], "forbiddenNames": [...]}`: a
 * host name (an ExternalName target) must lead outside the cluster and the node: not an IP address in any form a
 * resolver accepts, not `localhost` (or a `.localhost` name), not one of the forbidden names (the cloud metadata
 * services), and not a name inside the cluster (`*.svc`, the cluster domain and anything under it), unless it ends
 * in an allowed suffix. Case and one trailing dot do not matter, as in DNS.
 */
export const hostnameNotInternal = stringCheckKeyword({
  keyword: 'hostnameNotInternal',
  description:
    'The string is a host name that leads outside the cluster and the node: not an IP address in any form a resolver reads, not localhost, not one of forbiddenNames (cloud metadata services), not *.svc or under clusterDomain unless under one of allowedSuffixes. Case and one trailing dot are ignored. A failure is an Invalid value.',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clusterDomain: dnsName,
      allowedSuffixes: { type: 'array', uniqueItems: true, items: dnsName },
      forbiddenNames: { type: 'array', uniqueItems: true, items: dnsName },
    },
  },
  compile(schema: HostnameNotInternal) {
    const domain = normalise(schema.clusterDomain ?? 'cluster.local')
    const allowed = (schema.allowedSuffixes ?? []).map(normalise)
    const forbidden = new Set((schema.forbiddenNames ?? []).map(normalise))
    const under = (name: string, suffix: string) => name === suffix || name.endsWith(`.${suffix}`)
    return (data) => {
      const name = normalise(data)
      if (name === '') return undefined
      const ip = parseIp(name)
      if (ip.ok) return `is an IP address (${formatAddress(ip.address)}), not a host name: it points straight at that address`
      if (name.includes(':')) return 'is an IPv6 address, not a host name: it points straight at that address'
      const lax = laxIpv4(name)
      if (lax !== undefined) return `is an IP address in a form resolvers accept (${lax}), not a host name: it points straight at that address`
      if (under(name, 'localhost')) return "is a loopback name: it points at the client's own host (127.0.0.1, ::1)"
      if (forbidden.has(name)) return "is a cloud metadata service name: it reaches the metadata service (and the instance's credentials) of the node the client runs on"
      if (allowed.some((suffix) => under(name, suffix))) return undefined
      if (under(name, 'svc') || under(name, domain)) {
        return `is a name inside the cluster (${domain}): it aliases a Service or pod of another namespace, around its network policies; name a host outside the cluster, or ask an administrator to allow its suffix`
      }
      return undefined
    }
  },
})
