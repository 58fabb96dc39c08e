{{/* Helpers: parsed into the shared set, never rendered on their own. */}}
{{- define "minichart.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end }}

{{- define "minichart.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ toYaml .Values.labels }}
{{- end }}
