/**
 * The caches of the live cluster context, by the name metrics and logs give them
 * (`endpoint_guard_cluster_cache_synced{cache=...}`). Here, apart from live-context.ts, so that the metrics can
 * name them without loading the Kubernetes client.
 */
export const contextCaches = ['namespaces', 'services', 'nodes', 'endpointslices'] as const
export type ContextCache = (typeof contextCaches)[number]
