{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "endpoint-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix. */}}
{{- define "endpoint-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "endpoint-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "endpoint-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "endpoint-guard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "endpoint-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: endpoint-guard
{{- end }}

{{- define "endpoint-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "endpoint-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "endpoint-guard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding tls.crt, tls.key and ca.crt, written by cert-manager or by this chart. */}}
{{- define "endpoint-guard.tlsSecretName" -}}
{{- printf "%s-tls" (include "endpoint-guard.fullname" .) }}
{{- end }}

{{- define "endpoint-guard.certificateName" -}}
{{- printf "%s-serving" (include "endpoint-guard.fullname" .) }}
{{- end }}

{{- define "endpoint-guard.policiesConfigMapName" -}}
{{- printf "%s-policies" (include "endpoint-guard.fullname" .) }}
{{- end }}

{{/*
Self-signed CA and serving pair as a dict {ca, crt, key} of PEM strings.
The Secret and both webhook configurations need the same CA, but each genCA call makes a new one,
so the first caller stores the result in .Values (shared by every template of one render).
On upgrade the existing Secret is reused so the caBundle and the serving pair don't churn.
*/}}
{{- define "endpoint-guard.selfSignedTLS" -}}
{{- if not (hasKey .Values "__selfSignedTLS") }}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "endpoint-guard.tlsSecretName" .) }}
{{- $ca := dig "data" "ca.crt" "" $secret }}
{{- $crt := dig "data" "tls.crt" "" $secret }}
{{- $key := dig "data" "tls.key" "" $secret }}
{{- if and $ca $crt $key }}
{{- $_ := set .Values "__selfSignedTLS" (dict "ca" (b64dec $ca) "crt" (b64dec $crt) "key" (b64dec $key)) }}
{{- else }}
{{- $svc := include "endpoint-guard.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $days := int .Values.tls.selfSigned.validityDays }}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- $caCert := genCA (printf "%s-ca" $svc) $days }}
{{- $leaf := genSignedCert (printf "%s.%s.svc" $svc $ns) nil $dns $days $caCert }}
{{- $_ := set .Values "__selfSignedTLS" (dict "ca" $caCert.Cert "crt" $leaf.Cert "key" $leaf.Key) }}
{{- end }}
{{- end }}
{{- toJson (get .Values "__selfSignedTLS") }}
{{- end }}

{{/*
Rules, selectors and conditions shared by the validating and mutating webhooks (each sets its own failurePolicy).
The include selectors of webhook.namespaceSelector/objectSelector narrow a rollout; the exclusions always apply.
*/}}
{{- define "endpoint-guard.webhookCommon" -}}
admissionReviewVersions: ["v1"]
sideEffects: None
matchPolicy: Equivalent
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["services", "services/status", "endpoints"]
    operations: ["CREATE", "UPDATE"]
    scope: Namespaced
  - apiGroups: ["discovery.k8s.io"]
    apiVersions: ["v1"]
    resources: ["endpointslices"]
    operations: ["CREATE", "UPDATE"]
    scope: Namespaced
namespaceSelector:
  {{- with .Values.webhook.namespaceSelector.matchLabels }}
  matchLabels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  matchExpressions:
    - key: endpoint-guard.io/ignore
      operator: NotIn
      values: ["true"]
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- range uniq (concat (list .Release.Namespace "kube-system") .Values.webhook.excludedNamespaces) }}
        - {{ . | quote }}
        {{- end }}
    {{- with .Values.webhook.namespaceSelector.matchExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- with .Values.webhook.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- /* matchConditions are GA in 1.30; older API servers would reject or drop the field. */}}
{{- $skipUsers := .Values.webhook.matchConditions.skipUsers }}
{{- $lbControllers := .Values.loadBalancerControllers }}
{{- if and .Values.webhook.matchConditions.enabled (or $skipUsers $lbControllers) (semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version) }}
matchConditions:
  {{- with $skipUsers }}
  - name: skip-kubernetes-controllers
    expression: {{ printf "!(request.userInfo.username in %s)" (include "endpoint-guard.celList" .) | quote }}
  {{- end }}
  {{- with $lbControllers }}
  {{- /* Their status updates never wait on this webhook; service-status-ingress allows exactly these users. */}}
  - name: skip-load-balancer-controllers-status
    expression: {{ printf "!(request.resource.resource == 'services' && request.subResource == 'status' && request.userInfo.username in %s)" (include "endpoint-guard.celList" .) | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/* A list of strings as a CEL list literal (values.schema.json refuses quotes and backslashes in them). */}}
{{- define "endpoint-guard.celList" -}}
{{- toJson . | replace "\"" "'" -}}
{{- end }}

{{/* caBundle (self-signed) for a webhook's clientConfig; cert-manager's injector fills it otherwise. */}}
{{- define "endpoint-guard.caBundle" -}}
{{- if not .Values.tls.certManager.enabled }}
caBundle: {{ (include "endpoint-guard.selfSignedTLS" . | fromJson).ca | b64enc }}
{{- end }}
{{- end }}

{{- define "endpoint-guard.webhookAnnotations" -}}
{{- if .Values.tls.certManager.enabled }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "endpoint-guard.certificateName" .) }}
{{- end }}
{{- end }}

{{/*
CEL for the Namespace webhook entry: whether one of webhook.namespaces.guardedLabels is present in one of object
and oldObject (null on CREATE) but not the other, or present in both with different values.
*/}}
{{- define "endpoint-guard.guardedLabelChanged" -}}
{{- $keys := include "endpoint-guard.celList" .Values.webhook.namespaces.guardedLabels -}}
{{- $now := "(has(object.metadata.labels) && k in object.metadata.labels)" -}}
{{- $before := "(oldObject != null && has(oldObject.metadata.labels) && k in oldObject.metadata.labels)" -}}
{{- printf "%s.exists(k, %s != %s || (%s && %s && object.metadata.labels[k] != oldObject.metadata.labels[k]))" $keys $now $before $now $before -}}
{{- end }}

{{/* Pod-level settings shared by the webhook Deployment and the audit CronJob: the same hardened pod. */}}
{{- define "endpoint-guard.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The container's image and security context, shared by the webhook and the audit. */}}
{{- define "endpoint-guard.containerCommon" -}}
image: {{ include "endpoint-guard.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end }}

{{/* The policies ConfigMap and a /tmp emptyDir: every endpoint-guard pod reads the one and needs the other. */}}
{{- define "endpoint-guard.policyVolumes" -}}
- name: policies
  configMap:
    name: {{ include "endpoint-guard.policiesConfigMapName" . }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "endpoint-guard.policyVolumeMounts" -}}
- name: policies
  mountPath: /etc/endpoint-guard/policies
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "endpoint-guard.auditName" -}}
{{- printf "%s-audit" (include "endpoint-guard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
