// The cluster `audit` tests run against: the recorded responses of test/fixtures/kube-api plus the objects that
// show each breakage and a spoofed slice (test/fixtures/cli/audit/extra-objects.json), served by the fake API.
import { readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { FakeKubeApi, fixtureObjects, type KubeObject } from '../../support/fake-kube-api.js'
import { writeKubeconfig } from '../../support/kubeconfig.js'

const extra = JSON.parse(readFileSync(new URL('../../fixtures/cli/audit/extra-objects.json', import.meta.url), 'utf8')) as { items: KubeObject[] }

/** Starts the fake API for a test file (closed at its end) and writes a kubeconfig that points at it. */
export async function startAuditCluster(t: Test): Promise<{ api: FakeKubeApi; kubeconfig: string }> {
  const api = await FakeKubeApi.start({ seed: [...fixtureObjects(), ...extra.items] })
  t.teardown(() => api.close())
  return { api, kubeconfig: await writeKubeconfig(api, t) }
}
