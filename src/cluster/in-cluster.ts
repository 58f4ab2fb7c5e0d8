import { existsSync } from 'node:fs'

export const serviceAccountTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token'

/**
 * Whether a pod's service-account token is mounted. Kept apart from kube-config.ts so callers can decide
 * without importing @kubernetes/client-node (about 1 s and 70 MB, wasted when there is no cluster).
 */
export function hasServiceAccount(prefix = ''): boolean {
  return existsSync(prefix + serviceAccountTokenPath)
}
