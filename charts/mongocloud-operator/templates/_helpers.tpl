{{/* The release's full name, at most 63 characters. */}}
{{- define "mongocloud.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mongocloud.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mongocloud.labels" -}}
{{ include "mongocloud.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mongocloud.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mongocloud.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Watched namespaces plus the release's own (it holds the credentials Secret); empty means all. */}}
{{- define "mongocloud.namespaces" -}}
{{- if .Values.watchNamespaces -}}
{{- append .Values.watchNamespaces .Release.Namespace | uniq | join "," -}}
{{- end -}}
{{- end -}}

{{/* What the operator does in a namespace it manages. */}}
{{- define "mongocloud.namespacedRules" -}}
- apiGroups: ["mongocloud.dev"]
  resources: [dbinstances, securityiplists, auditlogfilters, backups, databaseusers]
  verbs: [get, list, watch, patch]
- apiGroups: ["mongocloud.dev"]
  resources: [dbinstances/status, securityiplists/status, auditlogfilters/status, backups/status, databaseusers/status]
  verbs: [get, patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch]
- apiGroups: ["events.k8s.io"]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/* A shard Deployment's pods: a name of their own, so the main Deployment's selector (name and
instance) never matches them; `root` is the chart's context. */}}
{{- define "mongocloud.shardSelectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}-shard
app.kubernetes.io/instance: {{ .root.Release.Name }}
mongocloud.dev/operator-shard: {{ .shard }}
{{- end -}}
