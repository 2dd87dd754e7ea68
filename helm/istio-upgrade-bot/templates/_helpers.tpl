{{/* Names and labels. */}}
{{- define "iub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "iub.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "iub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "iub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "iub.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "iub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: istio-upgrade-bot
{{- end -}}

{{/* The ServiceAccount with the cluster RBAC (worker, or the ROLE=all Deployment). */}}
{{- define "iub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "iub.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The bot's ServiceAccount in split mode: no RBAC bindings, no token mounted. */}}
{{- define "iub.botServiceAccountName" -}}
{{- printf "%s-slack" (include "iub.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "iub.slackSecretName" -}}
{{- default (printf "%s-slack" (include "iub.fullname" .)) .Values.slack.existingSecret -}}
{{- end -}}

{{- define "iub.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The process layout: a list of role names, one Deployment each. */}}
{{- define "iub.roles" -}}
{{- if .Values.split -}}bot worker{{- else -}}all{{- end -}}
{{- end -}}

{{/* Checks across values that the schema cannot express; fails the render with what to fix. */}}
{{- define "iub.validate" -}}
{{- if not (or .Values.slack.existingSecret .Values.slack.botToken) -}}
{{- fail "slack: set slack.botToken (and slack.appToken or slack.signingSecret), or slack.existingSecret" -}}
{{- end -}}
{{- if and (not .Values.slack.existingSecret) (not (or .Values.slack.appToken .Values.slack.signingSecret)) -}}
{{- fail "slack: set slack.appToken (Socket Mode) or slack.signingSecret (HTTP mode)" -}}
{{- end -}}
{{- if not (or .Values.redis.enabled .Values.redis.url .Values.redis.existingSecret) -}}
{{- fail "redis: set redis.url or redis.existingSecret (an external Redis), or redis.enabled=true (a small one to try the bot out)" -}}
{{- end -}}
{{- if and .Values.redis.enabled (or .Values.redis.url .Values.redis.existingSecret) -}}
{{- fail "redis: redis.enabled=true runs a Redis in this release; leave redis.url and redis.existingSecret empty with it" -}}
{{- end -}}
{{- if or (empty .Values.policy.requesters) (empty .Values.policy.approvers) (empty .Values.policy.clusters) -}}
{{- fail "policy: set policy.requesters, policy.approvers and policy.clusters (which channels drive which cluster)" -}}
{{- end -}}
{{- $names := list -}}
{{- range (splitList "," .Values.clusters) -}}
{{- $names = append $names (trim (first (splitList "=" .))) -}}
{{- end -}}
{{- range $c, $_ := .Values.policy.clusters -}}
{{- if not (has $c $names) -}}
{{- fail (printf "policy.clusters names %q, which is not one of clusters (%s)" $c (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
