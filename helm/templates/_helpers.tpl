{{/* Names, labels and the container's args, shared by every template. */}}

{{- define "destination.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name when it already holds the chart's name. */}}
{{- define "destination.fullname" -}}
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

{{- define "destination.selectorLabels" -}}
app.kubernetes.io/name: {{ include "destination.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "destination.labels" -}}
{{ include "destination.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: destination
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "destination.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "destination.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "destination.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The source, checked: "kubernetes" or "manifests". */}}
{{- define "destination.source" -}}
{{- if not (has .Values.source (list "kubernetes" "manifests")) -}}
{{- fail (printf "source must be kubernetes or manifests, not %q" .Values.source) -}}
{{- end -}}
{{- .Values.source -}}
{{- end -}}

{{/* The ConfigMap holding the manifests (source=manifests). */}}
{{- define "destination.manifestsConfigMap" -}}
{{- if .Values.manifests.files -}}
{{- printf "%s-manifests" (include "destination.fullname" .) -}}
{{- else -}}
{{- required "source=manifests needs manifests.configMap (an existing ConfigMap of manifest files) or manifests.files" .Values.manifests.configMap -}}
{{- end -}}
{{- end -}}

{{/* Whole seconds, for the service's duration flags. */}}
{{- define "destination.seconds" -}}
{{- $v := . -}}
{{- if or (not (kindIs "float64" $v)) (lt $v 1.0) (ne (float64 (int64 $v)) $v) -}}
{{- fail (printf "expected a whole number of seconds (at least 1), got %v" $v) -}}
{{- end -}}
{{- printf "%ds" (int64 $v) -}}
{{- end -}}

{{/* The service's flags, one list item each. Every flag of `destination --helpfull` that a
     deployment sets is here; tests/chart/check_chart.py checks them against the binary. */}}
{{- define "destination.args" -}}
{{- $source := include "destination.source" . -}}
{{- $a := list (printf "-source=%s" $source) -}}
{{- if eq $source "manifests" -}}
{{- $a = append $a (printf "-manifests=%s" .Values.manifests.mountPath) -}}
{{- $a = append $a (printf "-max-manifest-bytes=%d" (int64 .Values.manifests.maxFileBytes)) -}}
{{- end -}}
{{- $a = append $a (printf "-addr=:%d" (int64 .Values.ports.grpc)) -}}
{{- $a = append $a (printf "-admin-addr=:%d" (int64 .Values.ports.admin)) -}}
{{- $a = append $a (printf "-cluster-domain=%s" (required "clusterDomain must not be empty" .Values.clusterDomain)) -}}
{{- $a = append $a (printf "-controller-namespace=%s" (default .Release.Namespace .Values.controllerNamespace)) -}}
{{- $a = append $a (printf "-identity-trust-domain=%s" (required "identityTrustDomain must not be empty" .Values.identityTrustDomain)) -}}
{{- $a = append $a (printf "-enable-h2-upgrade=%t" .Values.enableH2Upgrade) -}}
{{- $a = append $a (printf "-enable-identity=%t" .Values.enableIdentity) -}}
{{- $a = append $a (printf "-enable-endpoint-slices=%t" .Values.enableEndpointSlices) -}}
{{- $a = append $a (printf "-default-opaque-ports=%s" (toString .Values.defaultOpaquePorts)) -}}
{{- $a = append $a (printf "-log-level=%s" .Values.log.level) -}}
{{- $a = append $a (printf "-log-format=%s" .Values.log.format) -}}
{{- $a = append $a (printf "-shutdown-grace=%s" (include "destination.seconds" .Values.shutdownGraceSeconds)) -}}
{{- $a = append $a (printf "-grpc-memory-limit-mb=%d" (int64 .Values.grpcMemoryLimitMB)) -}}
{{- $a = append $a (printf "-max-streams=%d" (int64 .Values.limits.maxStreams)) -}}
{{- $a = append $a (printf "-max-authority-bytes=%d" (int64 .Values.limits.maxAuthorityBytes)) -}}
{{- $a = append $a (printf "-max-context-token-bytes=%d" (int64 .Values.limits.maxContextTokenBytes)) -}}
{{- if eq $source "kubernetes" -}}
{{- $a = append $a (printf "-kube-qps=%v" .Values.kube.qps) -}}
{{- $a = append $a (printf "-kube-burst=%d" (int64 .Values.kube.burst)) -}}
{{- $a = append $a (printf "-kube-watch-timeout=%s" (include "destination.seconds" .Values.kube.watchTimeoutSeconds)) -}}
{{- $a = append $a (printf "-kube-watch-idle-timeout=%s" (include "destination.seconds" .Values.kube.watchIdleTimeoutSeconds)) -}}
{{- $a = append $a (printf "-kube-max-list-page-mb=%d" (int64 .Values.kube.maxListPageMB)) -}}
{{- $a = append $a (printf "-kube-max-watch-event-mb=%d" (int64 .Values.kube.maxWatchEventMB)) -}}
{{- $a = append $a (printf "-kube-service-account-dir=%s" .Values.kube.serviceAccountDir) -}}
{{- with .Values.kube.kubeconfig -}}
{{- $a = append $a (printf "-kubeconfig=%s" .) -}}
{{- end -}}
{{- with .Values.kube.context -}}
{{- $a = append $a (printf "-kube-context=%s" .) -}}
{{- end -}}
{{- end -}}
{{- range .Values.extraArgs -}}
{{- $a = append $a (toString .) -}}
{{- end -}}
{{- toYaml $a -}}
{{- end -}}
