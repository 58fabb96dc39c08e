#!/usr/bin/env bash
# Tests for the offline Helm template renderer in tests/chart/render/.
#
#   tests/chart/render_test.sh
#
# Builds the renderer with render/build.sh into a temporary directory (a cold
# Go build takes ~8 s on two cores; export RENDER_GOCACHE=DIR to reuse a build
# cache across runs) and renders the fixture charts under testdata/. Every
# check compares exact output lines, exact stderr text or exit codes. Prints
# one line per check and "N passed, M failed"; exits 1 if anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
td="$here/testdata"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/render-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

"$here/render/build.sh" "$tmp/render"
R="$tmp/render"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
not_ok() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line"; done
}

# render ARGS...: runs the renderer; leaves stdout in $tmp/out, stderr in
# $tmp/err and the exit status in $rc.
rc=0
render() {
  set +e
  "$R" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
}

# Assertions on the last render.
expect_rc() { # NAME RC
  if [ "$rc" -eq "$2" ]; then ok "$1"; else not_ok "$1" "exit status $rc, want $2" "stderr: $(cat "$tmp/err")"; fi
}
expect_success() { # NAME: exit 0 and nothing on stderr
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then ok "$1"; else not_ok "$1" "exit status $rc, stderr: $(cat "$tmp/err")"; fi
}
expect_line() { # NAME LINE...: each LINE occurs as a whole line of stdout
  local name="$1" line missing=()
  shift
  for line in "$@"; do grep -qxF -- "$line" "$tmp/out" || missing+=("missing line: $line"); done
  if [ "$rc" -eq 0 ] && [ ${#missing[@]} -eq 0 ]; then ok "$name"; else not_ok "$name" "exit status $rc" "${missing[@]}"; fi
}
expect_no_text() { # NAME TEXT: TEXT appears nowhere in stdout
  if [ "$rc" -eq 0 ] && ! grep -qF -- "$2" "$tmp/out"; then ok "$1"; else not_ok "$1" "exit status $rc or found: $2"; fi
}
expect_count() { # NAME COUNT LINE: LINE occurs exactly COUNT times
  local n
  n="$(grep -cxF -- "$3" "$tmp/out" || true)"
  if [ "$rc" -eq 0 ] && [ "$n" -eq "$2" ]; then ok "$1"; else not_ok "$1" "exit status $rc, '$3' seen $n times, want $2"; fi
}
expect_stdout_file() { # NAME FILE: stdout is byte-for-byte FILE
  if [ "$rc" -eq 0 ] && cmp -s "$2" "$tmp/out"; then ok "$1"; else
    not_ok "$1" "exit status $rc, stderr: $(cat "$tmp/err")"
    diff -u "$2" "$tmp/out" | sed 's/^/       /' || true
  fi
}
expect_error() { # NAME RC STDERR: fails with RC, stderr is exactly STDERR, stdout empty
  local got
  got="$(cat "$tmp/err")"
  if [ "$rc" -eq "$2" ] && [ "$got" = "$3" ] && [ ! -s "$tmp/out" ]; then ok "$1"; else
    not_ok "$1" "exit status $rc (want $2)" "stderr: $got" "want:   $3"
  fi
}
expect_error_prefix() { # NAME RC PREFIX: fails with RC, first stderr line starts with PREFIX
  local got
  got="$(head -n 1 "$tmp/err")"
  if [ "$rc" -eq "$2" ] && [ "${got#"$3"}" != "$got" ] && [ ! -s "$tmp/out" ]; then ok "$1"; else
    not_ok "$1" "exit status $rc (want $2)" "stderr: $got" "want prefix: $3"
  fi
}

mini="$td/minichart"

# --- basic render: the whole output, exactly --------------------------------
cat >"$tmp/want-basic" <<'EOF'
---
# Source: minichart/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: destination-minichart
  namespace: default
  labels:
    app.kubernetes.io/name: minichart
    app.kubernetes.io/instance: destination
    tier: backend
data:
  chart: minichart-0.1.0
  appVersion: "1.2.3"
  greeting: "hello"
  mode: "base"
  replicas: "1"
  bigNumber: 1e+06
  bigNumberToYaml: 1000000
  tag: "1.2.3"
  token: "abc"
  fromTpl: "destination-from-tpl"
  missing: ""
  file: "Hello from files/greeting.txt"
  noFile: ""
  valuesFileHidden: ""
  lookupIsEmpty: "true"
  kube: v1.28.0 1.28
  hasApps: "true"
  hasMonitoring: "false"
  items: "[\"one\"]"
  template: minichart/templates/configmap.yaml in minichart/templates
---
# Source: minichart/templates/multi.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: destination-sa
EOF
render --chart "$mini"
expect_stdout_file "basic render: exact output with default values" "$tmp/want-basic"
expect_success "basic render: exit 0, empty stderr"

# Same output whatever the working directory (relative --chart).
set +e
(cd "$td" && "$R" --chart minichart) >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
expect_stdout_file "relative --chart path renders the same" "$tmp/want-basic"

# --- values ------------------------------------------------------------------
render --chart "$mini" --values "$td/values/override.yaml"
expect_line "values file merges over values.yaml (deep merge keeps siblings)" \
  '  mode: "from-values-file"' '  greeting: "hello"' '  replicas: "3"'

render --chart "$mini" --values "$td/values/override.yaml" --values "$td/values/override2.yaml"
expect_line "second values file deep-merges over the first" \
  '  mode: "from-values-file"' '  greeting: "from-second-file"' '  replicas: "5"'

render --chart "$mini" --values "$td/values/override2.yaml" --values "$td/values/override.yaml"
expect_line "values files apply in command-line order (last wins)" '  replicas: "3"' '  greeting: "from-second-file"'

render --chart "$mini" --values "$td/values/override.yaml" --set config.mode=from-set
expect_line "--set wins over the values file" '  mode: "from-set"' '  greeting: "hello"' '  replicas: "3"'

render --chart "$mini" --set config.mode=from-set --values "$td/values/override.yaml"
expect_line "--set wins even when given before --values" '  mode: "from-set"' '  replicas: "3"'

render --chart "$mini" --set 'config.mode=a,replicaCount=7' --set 'items={x,2,true}'
expect_line "--set: comma-separated pairs, int and list typing" \
  '  mode: "a"' '  replicas: "7"' '  items: "[\"x\",2,true]"'

# --- the float64 quirk ---------------------------------------------------------
render --chart "$mini"
expect_line "YAML 1000000 is float64: printed 1e+06, toYaml gives 1000000" \
  '  bigNumber: 1e+06' '  bigNumberToYaml: 1000000'
render --chart "$mini" --set bigNumber=1000000
expect_line "--set 1000000 is int64: printed 1000000" '  bigNumber: 1000000'

# --- <no value> and empty documents ------------------------------------------
render --chart "$mini"
expect_line "missing value renders empty" '  missing: ""'
expect_no_text "no literal <no value> in output" '<no value>'
expect_count "empty and comment-only documents are dropped" 1 '# Source: minichart/templates/multi.yaml'
expect_no_text "comment-only document is not printed" '# only a comment'
expect_no_text "template rendering to nothing has no Source line" 'minichart/templates/disabled.yaml'
render --chart "$mini" --set extra.enabled=true
expect_count "conditional document appears when enabled" 2 '# Source: minichart/templates/multi.yaml'

# --- helpers, tpl, Files, lookup, Capabilities -------------------------------
render --chart "$mini" --release-name rel --namespace ns
grep -A3 -xF '  labels:' "$tmp/out" >"$tmp/labels" || true
printf '%s\n' '  labels:' '    app.kubernetes.io/name: minichart' \
  '    app.kubernetes.io/instance: rel' '    tier: backend' >"$tmp/want-labels"
if cmp -s "$tmp/want-labels" "$tmp/labels"; then ok "include | nindent 4 inside a pipeline"; else
  not_ok "include | nindent 4 inside a pipeline" "got: $(cat "$tmp/labels")"
fi
expect_line "release name/namespace, include, tpl" \
  '  name: rel-minichart' '  namespace: ns' '  fromTpl: "rel-from-tpl"'
expect_line ".Files.Get: file content, missing file and values.yaml are empty" \
  '  file: "Hello from files/greeting.txt"' '  noFile: ""' '  valuesFileHidden: ""'
expect_line "lookup returns an empty map" '  lookupIsEmpty: "true"'
expect_line "required/default pass with values set" '  token: "abc"' '  tag: "1.2.3"'

render --chart "$mini" --kube-version 1.30.2 --api-versions monitoring.coreos.com/v1
expect_line "--kube-version and --api-versions reach .Capabilities" \
  '  kube: v1.30.2 1.30' '  hasApps: "true"' '  hasMonitoring: "true"'

# --- required / fail -------------------------------------------------------------
render --chart "$mini" --set config.token=
expect_error "required fails on an empty string (exit 1, Helm's message)" 1 \
  'render: execution error at (minichart/templates/configmap.yaml:16:12): config.token is required'
render --chart "$mini" --set config.token=null
expect_error "required fails on a value nulled by --set" 1 \
  'render: execution error at (minichart/templates/configmap.yaml:16:12): config.token is required'
render --chart "$mini" --set failMe=true
expect_error "fail stops rendering with its message" 1 \
  'render: execution error at (minichart/templates/guard.yaml:1:27): failMe must stay false'

# --- --strict ------------------------------------------------------------------
cat >"$tmp/want-strict" <<'EOF'
---
# Source: strictchart/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 8080
EOF
render --chart "$td/strictchart" --strict
expect_stdout_file "--strict passes when every .Values path is defined" "$tmp/want-strict"
render --chart "$td/strictchart" --strict --set app.port=null
expect_error "--strict fails on an undefined .Values key" 1 \
  'render: template: strictchart/templates/service.yaml:7:22: executing "strictchart/templates/service.yaml" at <.Values.app.port>: map has no entry for key "port"'
render --chart "$td/strictchart" --set app.port=null
expect_line "without --strict the undefined key renders empty" '    - port:'
render --chart "$mini" --strict
expect_error_prefix "--strict catches .Values.notDefined in minichart" 1 \
  'render: template: minichart/templates/configmap.yaml:18:22: executing "minichart/templates/configmap.yaml" at <.Values.notDefined>: map has no entry for key "notDefined"'

# --- --include-crds / --notes ----------------------------------------------------
render --chart "$mini" --include-crds
{ printf -- '---\n# Source: minichart/crds/widget.yaml\n'; cat "$mini/crds/widget.yaml"; printf '\n'; cat "$tmp/want-basic"; } >"$tmp/want-crds"
expect_stdout_file "--include-crds prints crds/ verbatim first" "$tmp/want-crds"
render --chart "$mini"
expect_no_text "no CRDs without --include-crds" 'minichart/crds/'

render --chart "$mini" --notes --release-name rel --namespace ns
tail -n 3 "$tmp/out" >"$tmp/notes"
printf '%s\n' '# NOTES.txt' 'Thank you for installing minichart.' 'Release rel is in namespace ns.' >"$tmp/want-notes"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/want-notes" "$tmp/notes"; then ok "--notes prints rendered NOTES.txt last"; else
  not_ok "--notes prints rendered NOTES.txt last" "exit status $rc, tail: $(cat "$tmp/notes")"
fi
render --chart "$mini"
expect_no_text "no NOTES without --notes" 'NOTES.txt'

# --- chart and usage errors --------------------------------------------------------
render --chart "$td/v1chart"
expect_error "apiVersion v1 chart is rejected" 1 \
  'render: chart apiVersion "v1" is not supported by this renderer (only "v2")'
render --chart "$td/badyaml"
expect_error "invalid YAML in a rendered document fails like Helm" 1 \
  'render: YAML parse error on badyaml/templates/cm.yaml: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context'
render --chart "$td/parseerror"
expect_error "template parse error" 1 'render: parse error at (parseerror/templates/bad.yaml:3): missing value for if'
render --chart "$td/does-not-exist"
expect_rc "missing chart directory exits 1" 1
render
expect_rc "missing --chart is a usage error (exit 2)" 2
render --chart "$mini" --no-such-flag
expect_rc "unknown flag is a usage error (exit 2)" 2
render --chart "$mini" --set 'items[0]=x'
expect_rc "unsupported --set list index is a usage error (exit 2)" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
