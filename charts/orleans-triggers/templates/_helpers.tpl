{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "orleans-triggers.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of the release's objects. Truncated to 40 characters so that derived names
("<fullname>-silo-headless", and the StatefulSet's pods' controller-revision-hash label) stay within
Kubernetes' 63-character limits.
*/}}
{{- define "orleans-triggers.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "orleans-triggers.siloName" -}}
{{- printf "%s-silo" (include "orleans-triggers.fullname" .) }}
{{- end }}

{{- define "orleans-triggers.apiName" -}}
{{- printf "%s-api" (include "orleans-triggers.fullname" .) }}
{{- end }}

{{- define "orleans-triggers.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object. Components add app.kubernetes.io/component themselves.
*/}}
{{- define "orleans-triggers.labels" -}}
helm.sh/chart: {{ include "orleans-triggers.chart" . }}
{{ include "orleans-triggers.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: orleans-triggers
{{- end }}

{{- define "orleans-triggers.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orleans-triggers.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
"repository:tag" of an image; the tag defaults to the chart's appVersion.
Usage: include "orleans-triggers.image" (dict "image" .Values.silo.image "root" $)
*/}}
{{- define "orleans-triggers.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .root.Chart.AppVersion | toString) }}
{{- end }}

{{- define "orleans-triggers.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "orleans-triggers.siloName" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The cluster identity doubles as pod label values (orleans/serviceId, orleans/clusterId); fail early on a value
Kubernetes would reject.
*/}}
{{- define "orleans-triggers.validateIdentity" -}}
{{- range $key, $raw := dict "orleans.clusterId" .Values.orleans.clusterId "orleans.serviceId" .Values.orleans.serviceId }}
{{- $value := toString $raw }}
{{- if or (gt (len $value) 63) (not (regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $value)) }}
{{- fail (printf "%s %q must be a valid label value: 1-63 letters, digits, '-', '_' or '.', alphanumeric at both ends" $key $value) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Secrets: where the connection string, the admin token and the key of the stored secrets come from.
*/}}
{{- define "orleans-triggers.secretName" -}}
{{- include "orleans-triggers.fullname" . }}
{{- end }}

{{- define "orleans-triggers.postgresSecretName" -}}
{{- default (include "orleans-triggers.secretName" .) .Values.postgres.existingSecret }}
{{- end }}

{{- define "orleans-triggers.postgresSecretKey" -}}
{{- if .Values.postgres.existingSecret }}{{ .Values.postgres.existingSecretKey }}{{ else }}connection-string{{ end }}
{{- end }}

{{- define "orleans-triggers.authSecretName" -}}
{{- default (include "orleans-triggers.secretName" .) .Values.auth.existingSecret }}
{{- end }}

{{- define "orleans-triggers.authSecretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}admin-token{{ end }}
{{- end }}

{{- define "orleans-triggers.secretsKeySecretName" -}}
{{- default (include "orleans-triggers.secretName" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "orleans-triggers.secretsKeySecretKey" -}}
{{- if .Values.secrets.existingSecret }}{{ .Values.secrets.existingSecretKey }}{{ else }}secrets-key{{ end }}
{{- end }}

{{/* Non-empty when the chart creates its own Secret (for any of the values). */}}
{{- define "orleans-triggers.createSecret" -}}
{{- if or (not .Values.postgres.existingSecret) (not .Values.auth.existingSecret) (not .Values.secrets.existingSecret) }}true{{ end }}
{{- end }}

{{/*
The admin token the chart stores: the configured one, else the one already in the release's Secret (so
upgrades keep it), else a new random one. lookup answers nothing under helm template / --dry-run.
*/}}
{{- define "orleans-triggers.adminToken" -}}
{{- if .Values.auth.adminToken }}
{{- .Values.auth.adminToken }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "orleans-triggers.secretName" .) }}
{{- $data := dict }}
{{- if $existing }}{{ $data = (get $existing "data") | default dict }}{{ end }}
{{- if hasKey $data "admin-token" }}
{{- index $data "admin-token" | b64dec }}
{{- else }}
{{- randAlphaNum 40 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The key of the stored secrets (base64 of 32 bytes) the chart stores, chosen like the admin token: the
configured one, else the one already in the release's Secret, else a new one. randBytes returns the base64 of
that many random bytes (crypto/rand), which is already the form Secrets__Key takes.
*/}}
{{- define "orleans-triggers.secretsKey" -}}
{{- if .Values.secrets.key }}
{{- $key := toString .Values.secrets.key }}
{{- if ne (len (b64dec $key)) 32 }}
{{- fail "secrets.key must be the base64 of 32 random bytes (openssl rand -base64 32)" }}
{{- end }}
{{- $key }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "orleans-triggers.secretName" .) }}
{{- $data := dict }}
{{- if $existing }}{{ $data = (get $existing "data") | default dict }}{{ end }}
{{- if hasKey $data "secrets-key" }}
{{- index $data "secrets-key" | b64dec }}
{{- else }}
{{- randBytes 32 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Kerberos: the ConfigMap holding krb5.conf and the Secret holding the keytabs.
*/}}
{{- define "orleans-triggers.krb5ConfigMapName" -}}
{{- default (printf "%s-krb5" (include "orleans-triggers.fullname" .)) .Values.kerberos.krb5Conf.existingConfigMap }}
{{- end }}

{{- define "orleans-triggers.keytabSecretName" -}}
{{- default (printf "%s-keytab" (include "orleans-triggers.fullname" .)) .Values.kerberos.keytab.existingSecret }}
{{- end }}

{{/*
Environment both the silos and the API pods need: database, cluster identity, admin token.
*/}}
{{- define "orleans-triggers.commonEnv" -}}
- name: ConnectionStrings__Postgres
  valueFrom:
    secretKeyRef:
      name: {{ include "orleans-triggers.postgresSecretName" . }}
      key: {{ include "orleans-triggers.postgresSecretKey" . }}
- name: Auth__AdminToken
  valueFrom:
    secretKeyRef:
      name: {{ include "orleans-triggers.authSecretName" . }}
      key: {{ include "orleans-triggers.authSecretKey" . }}
- name: Orleans__ClusterId
  value: {{ .Values.orleans.clusterId | quote }}
- name: Orleans__ServiceId
  value: {{ .Values.orleans.serviceId | quote }}
{{- if .Values.orleans.tls.enabled }}
- name: Orleans__Tls__Certificate
  value: {{ printf "%s/tls.crt" .Values.orleans.tls.mountPath | quote }}
- name: Orleans__Tls__Key
  value: {{ printf "%s/tls.key" .Values.orleans.tls.mountPath | quote }}
- name: Orleans__Tls__CertificateAuthority
  value: {{ printf "%s/ca.crt" .Values.orleans.tls.mountPath | quote }}
{{- end }}
{{- end }}

{{/*
The cluster's TLS Secret, mounted read-only on the silo and API pods when orleans.tls.enabled.
*/}}
{{- define "orleans-triggers.tlsVolumeMount" -}}
{{- if not .Values.orleans.tls.enabled }}
{{- fail "orleans.tls.enabled=false is not supported: the silos listen on their pod's address, and without mutual TLS anyone who reaches those ports could act as the cluster's admin. Leave it on (the chart makes the certificates) or name your own with orleans.tls.existingSecret." }}
{{- end }}
{{- if .Values.orleans.tls.enabled }}
- name: orleans-tls
  mountPath: {{ .Values.orleans.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "orleans-triggers.tlsVolume" -}}
{{- if .Values.orleans.tls.enabled }}
- name: orleans-tls
  secret:
    secretName: {{ include "orleans-triggers.clusterTlsSecretName" . }}
    # 0444: the pods run as uid 1000 and Kubernetes makes the files root's.
    defaultMode: 292
{{- end }}
{{- end }}

{{/*
The Secret holding the cluster's TLS files: the operator's own, or the one the chart makes.
*/}}
{{- define "orleans-triggers.clusterTlsSecretName" -}}
{{- default (printf "%s-cluster-tls" (include "orleans-triggers.fullname" .)) .Values.orleans.tls.existingSecret }}
{{- end }}
