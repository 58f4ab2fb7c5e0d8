// The Deployment, its pod hardening, spreading, probes, PDB, Service and RBAC.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { contextCaches } from '../../src/cluster/caches.js'
import { all, chartDir, chartRenderer, defaultRelease, get, one, scenarioFiles } from './support/render.js'

type Obj = Record<string, unknown>
const scenario = (name: string): string => path.join(chartDir, 'ci', `${name}-values.yaml`)

// Rendering tests take { skip: chart.skip }: skipped, with the reason, when this machine has no renderer.
const chart = chartRenderer()
const { render, renderBySource, renderText } = chart

function pod(manifests = render()): { spec: Obj; container: Obj } {
  const spec = get(one(manifests, 'Deployment'), 'spec', 'template', 'spec') as Obj
  const containers = spec['containers'] as Obj[]
  if (containers.length !== 1) throw new Error('expected one container')
  return { spec, container: containers[0] as Obj }
}

t.test('the pod is hardened', { skip: chart.skip }, async (t) => {
  const { spec, container } = pod()
  t.equal(get(spec, 'securityContext', 'runAsNonRoot'), true)
  t.type(get(spec, 'securityContext', 'runAsUser'), 'number')
  t.not(get(spec, 'securityContext', 'runAsUser'), 0)
  t.equal(get(spec, 'securityContext', 'seccompProfile', 'type'), 'RuntimeDefault')
  const sc = container['securityContext'] as Obj
  t.equal(sc['runAsNonRoot'], true)
  t.equal(sc['readOnlyRootFilesystem'], true)
  t.equal(sc['allowPrivilegeEscalation'], false)
  t.equal(sc['privileged'], false)
  t.same(get(sc, 'capabilities', 'drop'), ['ALL'])
  t.equal(get(sc, 'capabilities', 'add'), undefined)
  t.equal(get(sc, 'seccompProfile', 'type'), 'RuntimeDefault')
  t.equal(spec['automountServiceAccountToken'], true, 'the token is mounted: the server watches namespaces and services')
  t.equal(spec['hostNetwork'], undefined)
  const resources = container['resources'] as Obj
  for (const key of ['requests', 'limits']) {
    t.ok(get(resources, key, 'cpu'), `${key}.cpu set`)
    t.ok(get(resources, key, 'memory'), `${key}.memory set`)
  }
})

t.test('container: image entrypoint with serve flags, ports, probes and mounts', { skip: chart.skip }, async (t) => {
  const { spec, container } = pod()
  t.equal(container['command'], undefined, 'the image entrypoint (node dist/main.js) is used')
  const args = container['args'] as string[]
  t.equal(args[0], 'serve')
  t.ok(args.includes('--port=8443'))
  t.ok(args.includes('--probe-port=8080'))
  t.ok(args.includes('--policies=/etc/endpoint-guard/policies'))
  t.ok(args.includes('--tls-cert-file=/etc/endpoint-guard/tls/tls.crt'))
  t.ok(args.includes('--tls-key-file=/etc/endpoint-guard/tls/tls.key'))
  const ports = container['ports'] as Obj[]
  t.same(ports.map((p) => [p['name'], p['containerPort']]), [['https', 8443], ['http-probes', 8080]])
  for (const [probe, route] of [['livenessProbe', '/livez'], ['readinessProbe', '/readyz']] as const) {
    t.equal(get(container, probe, 'httpGet', 'path'), route, `${probe} path`)
    t.equal(get(container, probe, 'httpGet', 'port'), 'http-probes', `${probe} on the plain-HTTP probe port`)
    t.equal(get(container, probe, 'httpGet', 'scheme'), undefined, `${probe} over HTTP`)
  }
  const mounts = container['volumeMounts'] as Obj[]
  const volumes = spec['volumes'] as Obj[]
  const mount = (name: string): Obj | undefined => mounts.find((m) => m['name'] === name)
  const volume = (name: string): Obj | undefined => volumes.find((v) => v['name'] === name)
  t.same(mount('tls'), { name: 'tls', mountPath: '/etc/endpoint-guard/tls', readOnly: true })
  t.ok(get(volume('tls'), 'secret', 'secretName'))
  t.same(mount('policies'), { name: 'policies', mountPath: '/etc/endpoint-guard/policies', readOnly: true }, 'whole directory, no subPath, so updates arrive')
  t.equal(get(volume('policies'), 'configMap', 'name'), one(render(), 'ConfigMap').metadata.name)
  t.equal(get(mount('tmp'), 'mountPath'), '/tmp')
  t.ok(get(volume('tmp'), 'emptyDir'), '/tmp is an emptyDir (read-only root filesystem)')
  const annotations = (get(one(render(), 'Deployment'), 'spec', 'template', 'metadata', 'annotations') ?? {}) as Obj
  t.notOk(Object.keys(annotations).some((k) => k.startsWith('checksum/')), 'no checksum annotation: policies reload in place')
})

t.test('replicas, topology spread and rollout keep the webhook available', { skip: chart.skip }, async (t) => {
  const deployment = one(render(), 'Deployment')
  t.equal(get(deployment, 'spec', 'replicas'), 2)
  t.equal(get(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 0)
  const selector = get(deployment, 'spec', 'selector', 'matchLabels')
  const constraints = get(deployment, 'spec', 'template', 'spec', 'topologySpreadConstraints') as Obj[]
  const by = (key: string): Obj | undefined => constraints.find((c) => c['topologyKey'] === key)
  t.equal(get(by('kubernetes.io/hostname'), 'whenUnsatisfiable'), 'DoNotSchedule', 'hard spread over nodes')
  t.equal(get(by('topology.kubernetes.io/zone'), 'whenUnsatisfiable'), 'ScheduleAnyway', 'soft spread over zones')
  for (const c of constraints) {
    t.equal(c['maxSkew'], 1)
    t.same(get(c, 'labelSelector', 'matchLabels'), selector, 'selects the Deployment pods')
  }
  t.same(get(one(render({ valuesFiles: [scenario('scaled')] }), 'Deployment'), 'spec', 'replicas'), 4)
  t.throws(() => render({ set: { replicaCount: 1 } }), /replicaCount must be at least 2/)
})

t.test('preStop sleep only where the API server knows the sleep action', { skip: chart.skip }, async (t) => {
  t.equal(get(pod(render({ kubeVersion: '1.30.0' })).container, 'lifecycle', 'preStop', 'sleep', 'seconds'), 5)
  t.equal(get(pod(render({ kubeVersion: '1.29.0' })).container, 'lifecycle'), undefined)
  t.equal(get(pod(render({ set: { preStopSleepSeconds: 0 } })).container, 'lifecycle'), undefined)
})

t.test('PodDisruptionBudget', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const pdb = one(manifests, 'PodDisruptionBudget')
  t.equal(pdb.apiVersion, 'policy/v1')
  t.equal(get(pdb, 'spec', 'minAvailable'), 1)
  t.same(get(pdb, 'spec', 'selector', 'matchLabels'), get(one(manifests, 'Deployment'), 'spec', 'selector', 'matchLabels'))
  t.equal(get(one(render({ valuesFiles: [scenario('scaled')] }), 'PodDisruptionBudget'), 'spec', 'minAvailable'), 3)
  t.throws(() => render({ set: { 'podDisruptionBudget.minAvailable': 2 } }), /minAvailable must be lower than replicaCount/)
  t.equal(all(render({ set: { 'podDisruptionBudget.enabled': false } }), 'PodDisruptionBudget').length, 0)
})

t.test('Service: 443 to the https container port, selecting the pods', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const service = one(manifests, 'Service')
  t.equal(service.metadata.namespace, defaultRelease.namespace)
  t.equal(get(service, 'spec', 'type'), 'ClusterIP')
  t.same(get(service, 'spec', 'ports'), [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }])
  t.same(get(service, 'spec', 'selector'), get(one(manifests, 'Deployment'), 'spec', 'selector', 'matchLabels'))
})

t.test('RBAC: read-only watches on the cluster context (namespaces, services, nodes, endpointslices), nothing else', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const role = one(manifests, 'ClusterRole')
  t.same(get(role, 'rules'), [
    { apiGroups: [''], resources: ['namespaces', 'services'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  ])
  // Exactly what the live context lists and watches: a cache without its grant would never sync.
  const granted = new Set((get(role, 'rules') as Array<{ resources: string[] }>).flatMap((rule) => rule.resources))
  for (const cache of contextCaches) t.ok(granted.has(cache), `${cache} is granted`)
  t.equal(all(manifests, 'Role').length, 0)
  const binding = one(manifests, 'ClusterRoleBinding')
  const account = one(manifests, 'ServiceAccount')
  t.same(get(binding, 'roleRef'), { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name })
  t.same(get(binding, 'subjects'), [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: defaultRelease.namespace }])
  t.equal(get(pod(manifests).spec, 'serviceAccountName'), account.metadata.name)
  t.equal(account['automountServiceAccountToken'], false, 'only the server pod opts in to the token')
})

t.test('namespaced objects land in the release namespace; names follow the release', { skip: chart.skip }, async (t) => {
  const manifests = render({ name: 'eg', namespace: 'guard' })
  const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
  for (const m of manifests) {
    if (clusterScoped.has(m.kind)) t.equal(m.metadata.namespace, undefined, `${m.kind} is cluster-scoped`)
    else t.equal(m.metadata.namespace, 'guard', `${m.kind} ${m.metadata.name}`)
    t.ok(m.metadata.name.startsWith('eg-endpoint-guard'), `${m.kind} name ${m.metadata.name}`)
  }
})

t.test('template files are named <component>-<kind>.yaml after the kind they hold; NOTES.txt renders', { skip: chart.skip }, async (t) => {
  const files = readdirSync(path.join(chartDir, 'templates')).filter((f) => !['_helpers.tpl', 'NOTES.txt'].includes(f))
  for (const file of files) t.match(file, /^[a-z]+-[a-z]+\.yaml$/, file)
  for (const values of [[], ...scenarioFiles().map((f) => [f])]) {
    for (const [source, manifests] of renderBySource({ valuesFiles: values })) {
      t.ok(files.includes(source), `${source} is a chart template`)
      for (const m of manifests) t.equal(source.replace(/^[a-z]+-/, ''), `${m.kind.toLowerCase()}.yaml`, `${source} holds ${m.kind}`)
    }
  }
  // helm and helm-template execute NOTES.txt (and fail on errors in it) without printing it.
  t.doesNotThrow(() => renderText({ valuesFiles: [scenario('cert-manager')] }))
})
