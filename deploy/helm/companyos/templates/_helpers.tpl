{{/* Names. */}}
{{- define "companyos.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's resources are named after it; a release named like the chart keeps one name. */}}
{{- define "companyos.fullname" -}}
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

{{/* The headless Service: one stable DNS name per node. */}}
{{- define "companyos.headlessName" -}}
{{- printf "%s-headless" (include "companyos.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "companyos.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "companyos.labels" -}}
helm.sh/chart: {{ include "companyos.chart" . }}
{{ include "companyos.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: companyos
{{- end }}

{{- define "companyos.selectorLabels" -}}
app.kubernetes.io/name: {{ include "companyos.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "companyos.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "companyos.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "companyos.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Secrets. Each secret setting, its key in the Secret and the variable the node reads it
from, through the variable's _FILE twin (the key mounted as a file). The LLM key is
mounted as a file too, read through llm.api_key_file.
*/}}
{{- define "companyos.secretEnv" -}}
database-url: COMPANYOS_DATABASE_URL
redis-url: COMPANYOS_CLUSTER_REDIS_URL
amqp-url: COMPANYOS_CLUSTER_AMQP_URL
jwt-secret: COMPANYOS_AUTH_JWT_SECRET
master-key: COMPANYOS_MASTER_KEY
cluster-cookie: COMPANYOS_CLUSTER_COOKIE
github-client-secret: COMPANYOS_AUTH_GITHUB_CLIENT_SECRET
smtp-url: COMPANYOS_MAIL_SMTP_URL
metrics-token: COMPANYOS_METRICS_TOKEN
archive-s3-secret-access-key: COMPANYOS_ARCHIVE_S3_SECRET_ACCESS_KEY
search-embeddings-api-key: COMPANYOS_SEARCH_EMBEDDINGS_API_KEY
{{- end }}

{{/* The chart-created Secret's data: only the values given. */}}
{{- define "companyos.secretData" -}}
{{- $s := .Values.secrets -}}
{{- $data := dict -}}
{{- with .Values.externalDatabase.url }}{{ $_ := set $data "database-url" . }}{{ end -}}
{{- with .Values.externalRedis.url }}{{ $_ := set $data "redis-url" . }}{{ end -}}
{{- with .Values.externalRabbitmq.url }}{{ $_ := set $data "amqp-url" . }}{{ end -}}
{{- with $s.jwtSecret }}{{ $_ := set $data "jwt-secret" . }}{{ end -}}
{{- with $s.masterKey }}{{ $_ := set $data "master-key" . }}{{ end -}}
{{- with $s.clusterCookie }}{{ $_ := set $data "cluster-cookie" . }}{{ end -}}
{{- with $s.githubClientSecret }}{{ $_ := set $data "github-client-secret" . }}{{ end -}}
{{- with $s.smtpUrl }}{{ $_ := set $data "smtp-url" . }}{{ end -}}
{{- with $s.metricsToken }}{{ $_ := set $data "metrics-token" . }}{{ end -}}
{{- with $s.llmApiKey }}{{ $_ := set $data "llm-api-key" . }}{{ end -}}
{{- with $s.archiveS3SecretAccessKey }}{{ $_ := set $data "archive-s3-secret-access-key" . }}{{ end -}}
{{- with $s.embeddingsApiKey }}{{ $_ := set $data "search-embeddings-api-key" . }}{{ end -}}
{{- toYaml $data }}
{{- end }}

{{/* The Secret the nodes read: the existing one, the chart's, or none (""). */}}
{{- define "companyos.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if ne (include "companyos.secretData" .) "{}" }}
{{- include "companyos.fullname" . }}
{{- end }}
{{- end }}

{{/* "true" when the Secret holds `key` (one that changes the configuration). */}}
{{- define "companyos.secretHas" -}}
{{- $root := index . 0 }}{{ $key := index . 1 }}
{{- if $root.Values.secrets.existingSecret }}
{{- if has $key $root.Values.secrets.existingSecretKeys }}true{{ end }}
{{- else if hasKey (include "companyos.secretData" $root | fromYaml) $key }}true{{ end }}
{{- end }}

{{/* Where the mounted secret files are. */}}
{{- define "companyos.secretDir" -}}/etc/companyos/secrets{{- end }}
{{- define "companyos.clusterTlsDir" -}}/etc/companyos/cluster-tls{{- end }}

{{/* The public address: config.public_url, else the first Ingress host. */}}
{{- define "companyos.publicUrl" -}}
{{- if .Values.config.public_url }}
{{- .Values.config.public_url }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- $tls := false }}
{{- range .Values.ingress.tls }}{{ if has $host .hosts }}{{ $tls = true }}{{ end }}{{ end }}
{{- printf "%s://%s" (ternary "https" "http" $tls) $host }}
{{- end }}
{{- end }}

{{/*
companyos.toml: `config` with the settings the chart owns. Returned as YAML (read back
with fromYaml) so that templates can share it.
*/}}
{{- define "companyos.configValues" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- $cluster := deepCopy (get $config "cluster" | default dict) }}
{{- $_ := set $cluster "enabled" .Values.cluster.enabled }}
{{- if .Values.cluster.enabled }}
{{- $_ := set $cluster "peer_port" .Values.cluster.peerPort }}
{{- if .Values.cluster.tls.existingSecret }}
{{- $dir := include "companyos.clusterTlsDir" . }}
{{- $_ := set $cluster "tls_cert_file" (printf "%s/tls.crt" $dir) }}
{{- $_ := set $cluster "tls_key_file" (printf "%s/tls.key" $dir) }}
{{- $_ := set $cluster "tls_ca_file" (printf "%s/ca.crt" $dir) }}
{{- end }}
{{- end }}
{{- $_ := set $config "cluster" $cluster }}
{{- if include "companyos.secretHas" (list . "llm-api-key") }}
{{- $llm := deepCopy (get $config "llm" | default dict) }}
{{- $_ := set $llm "api_key_file" (printf "%s/llm-api-key" (include "companyos.secretDir" .)) }}
{{- $_ := set $config "llm" $llm }}
{{- end }}
{{- with include "companyos.publicUrl" . }}
{{- $_ := set $config "public_url" . }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* A value of companyos.toml. Numbers are whole (values.schema.json says so). */}}
{{- define "companyos.tomlValue" -}}
{{- if kindIs "string" . }}{{ toJson . }}
{{- else if kindIs "bool" . }}{{ . }}
{{- else if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) }}{{ . | int64 }}
{{- else if kindIs "slice" . }}[{{ range $i, $v := . }}{{ if $i }}, {{ end }}{{ include "companyos.tomlValue" $v }}{{ end }}]
{{- else }}{{ fail (printf "config: %v cannot be written to companyos.toml" .) }}
{{- end }}
{{- end }}

{{/* companyos.toml from a map: its top-level keys, then one table per section. */}}
{{- define "companyos.toml" -}}
{{- $lines := list }}
{{- range $key, $value := . }}
{{- if not (kindIs "map" $value) }}
{{- $lines = append $lines (printf "%s = %s" $key (include "companyos.tomlValue" $value)) }}
{{- end }}
{{- end }}
{{- range $key, $value := . }}
{{- if kindIs "map" $value }}
{{- if $lines }}{{ $lines = append $lines "" }}{{ end }}
{{- $lines = append $lines (printf "[%s]" $key) }}
{{- range $k, $v := $value }}
{{- $lines = append $lines (printf "%s = %s" $k (include "companyos.tomlValue" $v)) }}
{{- end }}
{{- end }}
{{- end }}
{{- join "\n" $lines }}
{{- end }}

{{/*
What values.schema.json cannot say: combinations the node refuses at start.
*/}}
{{- define "companyos.validate" -}}
{{- $several := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}
{{- if and $several (not .Values.cluster.enabled) }}
{{- fail "more than one node (replicaCount > 1 or autoscaling.enabled) needs cluster mode: set cluster.enabled=true, with PostgreSQL (externalDatabase.url) and secrets.jwtSecret and secrets.masterKey" }}
{{- end }}
{{- if and .Values.secrets.existingSecret (not .Values.secrets.existingSecretKeys) }}
{{- fail "secrets.existingSecret needs secrets.existingSecretKeys: list the keys it holds (database-url, jwt-secret, master-key, …); each is mounted as a file" }}
{{- end }}
{{- $keys := .Values.secrets.existingSecretKeys | default list }}
{{- $postgres := or .Values.externalDatabase.url (and .Values.secrets.existingSecret (has "database-url" $keys)) }}
{{- $transport := or .Values.externalRabbitmq.url (and .Values.secrets.existingSecret (has "amqp-url" $keys)) }}
{{- if and $transport (not $postgres) }}
{{- fail "externalRabbitmq.url needs PostgreSQL: the task transport publishes from an outbox in a database the nodes share; set externalDatabase.url (or secrets.existingSecret with database-url), or leave externalRabbitmq.url empty" }}
{{- end }}
{{- if .Values.cluster.enabled }}
{{- if and (not .Values.secrets.existingSecret) (not .Values.externalDatabase.url) }}
{{- fail "cluster mode needs PostgreSQL: set externalDatabase.url (or secrets.existingSecret with database-url); the nodes refuse cluster mode on SQLite" }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) (or (not .Values.secrets.jwtSecret) (not .Values.secrets.masterKey)) }}
{{- fail "cluster mode needs the same auth.jwt_secret and auth.master_key on every node: set secrets.jwtSecret and secrets.masterKey (or secrets.existingSecret with jwt-secret and master-key)" }}
{{- end }}
{{- $cluster := .Values.config.cluster | default dict }}
{{- $ttl := int (get $cluster "lease_ttl_ms" | default 3000) }}
{{- $renew := int (get $cluster "renew_interval_ms" | default 1000) }}
{{- if gt (mul $renew 3) $ttl }}
{{- fail (printf "config.cluster.renew_interval_ms (%d) must be at most a third of config.cluster.lease_ttl_ms (%d)" $renew $ttl) }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/*
Alerts: a counter of rare events appears only at its first increment (at 1), which increase()
cannot see: a series that exists now but did not a window ago counts too, provided the
job was scraped then (so that a gap in Prometheus's own data does not fire).
*/}}
{{- define "companyos.rule.newEvents" -}}
(
  sum by ({{ .by }}) (increase({{ .metric }}{ {{- .sel -}} }[{{ .window }}])) > 0
)
or
(
  sum by ({{ .by }}) ({{ .metric }}{ {{- .sel -}} } unless {{ .metric }}{ {{- .sel -}} } offset {{ .window }})
  and on (namespace, job)
  count by (namespace, job) (up{ {{- .sel -}} } offset {{ .window }})
)
{{- end }}
