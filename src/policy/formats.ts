import type { Format } from 'ajv'

/** Kubernetes name syntaxes, as apimachinery's validation package defines them. */
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

const isDns1123Label = (s: string) => s.length <= 63 && dns1123Label.test(s)
const isDns1123Subdomain = (s: string) => s.length <= 253 && dns1123Subdomain.test(s)

/** `prefix/name` or `name`: the syntax of label and annotation keys. */
function isLabelKey(s: string): boolean {
  const slash = s.indexOf('/')
  const name = slash === -1 ? s : s.slice(slash + 1)
  if (slash !== -1 && !isDns1123Subdomain(s.slice(0, slash))) return false
  return name.length <= 63 && qualifiedName.test(name)
}

const isLabelValue = (s: string) => s === '' || (s.length <= 63 && qualifiedName.test(s))

/** IANA service names (RFC 6335) as Kubernetes accepts them for named ports: 1–15 chars, a letter, no `--`. */
function isIanaServiceName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && /^[-a-z0-9]+$/.test(s) && /[a-z]/.test(s) && !s.startsWith('-') &&
    !s.endsWith('-') && !s.includes('--')
}

export const kubernetesFormats: Record<string, Format> = {
  'dns1123-label': isDns1123Label,
  'dns1123-subdomain': isDns1123Subdomain,
  'label-key': isLabelKey,
  'label-value': isLabelValue,
  'iana-svc-name': isIanaServiceName,
}

/** The reason shown when a value fails one of these formats. */
export const formatReasons: Record<string, string> = {
  'dns1123-label': 'must be a DNS-1123 label: at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
  'dns1123-subdomain': 'must be a DNS-1123 subdomain: at most 253 characters of lower-case DNS labels separated by "."',
  'label-key': 'must be a valid label key: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  'label-value': 'must be a valid label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  'iana-svc-name': 'must be an IANA service name: at most 15 lower-case letters, digits and "-", with at least one letter and no "--"',
}
