import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KubeconfigTarget {
  url: string
  /** PEM of the CA that signed the server certificate */
  ca: string
  token: string
}

/** A tap test, or anything else that runs cleanups at its end. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * Writes a kubeconfig that points at `target` (a FakeKubeApi) with its CA and bearer token, and returns the
 * file's path. Given a directory, it is written there; given a test, into a new temporary directory that is
 * removed when the test ends. (A fresh directory rather than t.testdir(), whose name derives from the test's
 * name: two concurrent runs of one test file would overwrite each other's kubeconfig.)
 */
export async function writeKubeconfig(target: KubeconfigTarget, dirOrTest?: string | Teardown): Promise<string> {
  let directory: string
  if (typeof dirOrTest === 'string') {
    directory = dirOrTest
  } else {
    const created = await mkdtemp(join(tmpdir(), 'endpoint-guard-kubeconfig-'))
    dirOrTest?.teardown(() => rm(created, { recursive: true, force: true }))
    directory = created
  }
  const path = join(directory, 'kubeconfig.yaml')
  // JSON is valid YAML, and JSON.stringify quotes every value correctly.
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'fake',
        cluster: { server: target.url, 'certificate-authority-data': Buffer.from(target.ca).toString('base64') },
      },
    ],
    users: [{ name: 'fake-user', user: { token: target.token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user', namespace: 'default' } }],
    'current-context': 'fake',
  }
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  return path
}
