#!/usr/bin/python3
"""The Grafana dashboard check: the chart's dashboard queries only what the service exports.

  /usr/bin/python3 tests/chart/check_dashboard.py DESTINATION [--render RENDER]

DESTINATION is the built `destination` binary; RENDER (or $RENDER) the chart renderer of
tests/chart/render, built with its build.sh into a temporary directory when not given. Checks:
  1. helm/files/grafana/destination-dashboard.json parses, is Grafana's JSON model (schemaVersion
     >= 36) with a prometheus `datasource` variable; every panel queries that data source with at
     least one target; panel ids are unique; every $variable used is defined (or Grafana's own);
  2. every metric name in every PromQL expression (targets and variable queries) is found by a
     small PromQL tokenizer (itself checked first on a table of expressions), and is documented in
     docs/metrics.md;
  3. the real binary, on a copy of examples/trafficsplit-sample (the manifests source) and on the
     Kubernetes source against a small fake API server (which sends one garbage watch line, so
     that destination_kube_errors_total has a series), once /ready answers 200, exports every one
     of those metrics in /metrics (a `# TYPE` line; `_bucket`/`_sum`/`_count` belong to their
     histogram); and exits 0 on SIGTERM;
  4. the chart renders no dashboard ConfigMap by default, and with grafana.dashboard.enabled one
     ConfigMap carrying the sidecar's label (and folder annotation, when set) whose data is the
     JSON file byte for byte.
Prints one line per check, the metrics checked, and exits 1 naming what failed.
Needs only Debian's /usr/bin/python3 and python3-yaml (and golang-go + sprig to build the renderer).
"""

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "helm")
DASHBOARD_FILE = "files/grafana/destination-dashboard.json"
DASHBOARD = os.path.join(CHART, DASHBOARD_FILE)
DASHBOARD_KEY = "destination-dashboard.json"
TEMPLATE_SOURCE = "# Source: destination/templates/grafana-dashboard.yaml"
METRICS_DOC = os.path.join(ROOT, "docs", "metrics.md")
EXAMPLE = os.path.join(ROOT, "examples", "trafficsplit-sample")

START_DEADLINE = 30.0  # seconds for the binary to log "serving" and answer /ready 200
STOP_DEADLINE = 30.0  # seconds for it to exit after SIGTERM
# kubectl's client-side apply keeps the whole object in an annotation limited to 256 KiB.
MAX_DASHBOARD_BYTES = 256 * 1024

# Variables Grafana defines itself.
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s",
                     "__range_ms", "__from", "__to", "__name", "__dashboard", "__org", "__user"}

# --------------------------------------------------------------------------------------------
# PromQL: the metric names an expression selects.

# Followed by a parenthesised label list, not by arguments.
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Words that are never metric names where they stand (aggregators may come before `by`).
KEYWORDS = LABEL_LIST_KEYWORDS | {
    "and", "or", "unless", "offset", "bool", "atan2", "inf", "nan",
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "limitk", "limit_ratio"}
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
NAME_MATCHER = re.compile(r"""__name__\s*=\s*"([A-Za-z_:][A-Za-z0-9_:]*)\"""")


def _skip_string(s, i):
    """Index just past the string literal starting at s[i]."""
    quote = s[i]
    i += 1
    while i < len(s) and s[i] != quote:
        i += 2 if s[i] == "\\" and quote != "`" else 1
    return i + 1


def _skip_group(s, i, open_, close):
    """Index just past the group opened at s[i] (strings inside skipped), and its text."""
    depth, start = 0, i
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1, s[start:i + 1]
        i += 1
    raise ValueError(f"unbalanced {open_!r} in {s!r}")


def _next_char(s, i):
    while i < len(s) and s[i].isspace():
        i += 1
    return s[i] if i < len(s) else "", i


def promql_metrics(expr):
    """The metric names `expr` selects: identifiers that are not functions (followed by `(`),
    keywords, label names (inside {}, by/without/on/ignoring/group_x (...)), numbers, durations
    (inside []) or Grafana $variables; plus {__name__="..."} matchers."""
    names, s, i = set(), expr, 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "#":  # a comment, to the end of the line
            while i < len(s) and s[i] != "\n":
                i += 1
        elif c in "\"'`":
            i = _skip_string(s, i)
        elif c == "{":
            i, body = _skip_group(s, i, "{", "}")
            names.update(NAME_MATCHER.findall(body))
        elif c == "[":
            i, _ = _skip_group(s, i, "[", "]")
        elif c == "$":
            m = re.compile(r"\$(\{[^}]*\}|\w+)").match(s, i)
            i = m.end() if m else i + 1
        elif c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            # Numbers, 1e-3, 0x1f, durations (5m, 1h30m).
            m = re.compile(r"[0-9.]+(?:[eE][+-]?[0-9]+)?[A-Za-z0-9_.]*").match(s, i)
            i = m.end()
        elif IDENT.match(s, i):
            m = IDENT.match(s, i)
            word, i = m.group(0), m.end()
            nxt, j = _next_char(s, i)
            if word in LABEL_LIST_KEYWORDS:
                if nxt == "(":
                    i, _ = _skip_group(s, j, "(", ")")
            elif nxt == "(" or word in KEYWORDS:
                pass  # a function or an aggregator
            else:
                names.add(word)
        else:
            i += 1  # operators, parentheses, commas, @
    return names


def variable_query_metrics(query):
    """Metric names of a Grafana Prometheus variable query: label_values(EXPR, label),
    label_values(label), metrics(regex), query_result(EXPR)."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", query, re.S)
    if m:
        return promql_metrics(m.group(1))
    if re.fullmatch(r"\s*(label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)|label_names\(\)|"
                    r"metrics\(.*\))\s*", query, re.S):
        return set()
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.S)
    return promql_metrics(m.group(1) if m else query)


# (expression, the metric names it selects): the tokenizer's own table.
TOKENIZER_CASES = [
    ("up", {"up"}),
    ('up{job="destination"} == 0 or absent(destination_build_info)',
     {"up", "destination_build_info"}),
    ("histogram_quantile(0.99, sum by (le) (rate(destination_update_latency_seconds_bucket[5m])))"
     " > 1",
     {"destination_update_latency_seconds_bucket"}),
    ('sum(rate(grpc_server_handled_total{grpc_service="a.B",grpc_code!~"OK|Canceled"}[5m])) > 0.1',
     {"grpc_server_handled_total"}),
    ("max by (kind) (destination_store_objects) - min by (kind) (destination_store_objects) > 0",
     {"destination_store_objects"}),
    ("increase(a_total[30m]) > 0 and on() sum(pods_cache_size) > 0",
     {"a_total", "pods_cache_size"}),
    ('sum without (pod, instance) (x{pod=~"$pod"}) / ignoring(code) group_left y offset 1h30m',
     {"x", "y"}),
    ("sum(rate(x[$__rate_interval])) by (rpc) * 1e3 + time() - z @ 1609746000", {"x", "z"}),
    ('{__name__="named_metric", a="{}"} + label_replace(v, "dst", "$1", "src", "(.*)")',
     {"named_metric", "v"}),
    ("sum(${metric_var}) + count(m:recorded:rate5m) # trailing comment naming not_a_metric",
     {"m:recorded:rate5m"}),
]
VARIABLE_CASES = [
    ("label_values(destination_build_info, namespace)", {"destination_build_info"}),
    ('label_values(destination_build_info{namespace="$namespace",job=~"$job"}, pod)',
     {"destination_build_info"}),
    ("label_values(namespace)", set()),
]

# --------------------------------------------------------------------------------------------
# Reporting

_failures = []


def ok(name):
    print(f"ok   - {name}")


def fail(name, message):
    _failures.append(name)
    print(f"FAIL - {name}: {message}")


# --------------------------------------------------------------------------------------------
# 1 and 2: the dashboard itself


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def check_dashboard_model(dash):
    problems = []
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        problems.append(f"schemaVersion {dash.get('schemaVersion')!r} < 36")
    if not dash.get("uid") or not dash.get("title"):
        problems.append("no uid or title")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource, query prometheus")
    if not ({"namespace", "job", "pod"} & set(variables)):
        problems.append("no namespace/job/pod variable to select replicas")
    want_ds = {"type": "prometheus", "uid": "${datasource}"}
    ids, n_panels = {}, 0
    for p in walk_panels(dash.get("panels", [])):
        title = p.get("title", "?")
        if p.get("id") in ids:
            problems.append(f"panel id {p.get('id')} used by {ids[p.get('id')]!r} and {title!r}")
        ids[p.get("id")] = title
        gp = p.get("gridPos", {})
        if not all(isinstance(gp.get(k), int) for k in "hwxy") or gp["x"] + gp["w"] > 24:
            problems.append(f"{title!r}: bad gridPos {gp}")
        if p.get("type") == "row":  # layout only: no query of its own
            continue
        n_panels += 1
        if p.get("datasource") != want_ds:
            problems.append(f"{title!r}: datasource {p.get('datasource')!r}, want {want_ds}")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{title!r}: no target")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or None in refs:
            problems.append(f"{title!r}: refIds {refs} not unique")
        for t in targets:
            if not str(t.get("expr", "")).strip():
                problems.append(f"{title!r}: target {t.get('refId')} has no expr")
            if t.get("datasource", want_ds) != want_ds:
                problems.append(f"{title!r}: target {t.get('refId')} uses {t['datasource']!r}")
    if n_panels == 0:
        problems.append("no panel")
    # Every $variable used is defined.
    used = set(re.findall(r"\$\{?(\w+)", json.dumps(dash)))
    undefined = used - set(variables) - GRAFANA_VARIABLES
    if undefined:
        problems.append(f"undefined variables: {sorted(undefined)}")
    return problems, n_panels


def dashboard_queries(dash):
    """[(where, kind, expression)] for every PromQL expression of the dashboard."""
    out = []
    for p in walk_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            out.append((f"panel {p.get('title')!r} {t.get('refId')}", "expr", t.get("expr", "")))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            out.append((f"variable ${v.get('name')}", "variable", q))
    return out


def documented_metrics():
    with open(METRICS_DOC) as f:
        return set(re.findall(r"`([A-Za-z_:][A-Za-z0-9_:]*)`", f.read()))


# --------------------------------------------------------------------------------------------
# 3: the binary's /metrics


class FakeKubeApi(ThreadingHTTPServer):
    """Just enough of a Kubernetes API server for /ready: empty lists with a resourceVersion,
    404 on discovery of the optional (CRD) groups, and watches that stay open. The first watch of
    Services sends one line that is not an event, so destination_kube_errors_total gets a series.
    Requests need the kubeconfig's token. Every held watch ends when `stop` is set."""

    daemon_threads = True
    TOKEN = "dashboard-check"

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _FakeKubeHandler)
        self.stop = threading.Event()
        self.garbage_sent = False
        self.lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _FakeKubeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code, reason, message):
        self._json(code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": message, "reason": reason, "code": code})

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        server = self.server
        if self.headers.get("Authorization") != f"Bearer {server.TOKEN}":
            return self._status(401, "Unauthorized", "Unauthorized")
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "apis":  # discovery of an optional group
            return self._status(404, "NotFound", "the server could not find the requested resource")
        if query.get("watch", [""])[0] not in ("1", "true"):
            return self._json(200, {"kind": "List", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": "1"}, "items": []})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        with server.lock:
            garbage = url.path.endswith("/services") and not server.garbage_sent
            server.garbage_sent |= garbage
        try:
            if garbage:
                self._chunk(b"this line is not a watch event\n")
            while not server.stop.wait(0.2):
                pass
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True


class Destination:
    """The binary, started with ARGS and the ports picked by the kernel; its log is drained."""

    def __init__(self, binary, args, name):
        self.name = name
        self.proc = subprocess.Popen([binary] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.admin_port = None

    def _drain(self):
        for line in self.proc.stdout:
            self.log.append(line.rstrip("\n"))
            self.lines.put(line)
        self.lines.put(None)

    def wait_serving(self, deadline):
        """Reads the log up to the JSON "serving" line; returns the admin port."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{self.name}: no \"serving\" log line within "
                                   f"{START_DEADLINE} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(timeout=STOP_DEADLINE)
                raise RuntimeError(f"{self.name}: exited ({code}) before serving: "
                                   + " | ".join(self.log[-5:]))
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("msg") == "serving":
                self.admin_port = int(entry["admin_port"])
                return self.admin_port

    def get(self, path):
        try:
            url = f"http://127.0.0.1:{self.admin_port}{path}"
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except OSError:
            return None, ""

    def wait_until(self, what, condition, deadline):
        while True:
            if condition():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: exited ({self.proc.returncode}) "
                                   f"waiting for {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no {what} within the deadline")
            time.sleep(0.05)

    def stop(self):
        """SIGTERM; the exit status (killed after STOP_DEADLINE: None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def parse_families(text):
    """{family: (type, number of samples)} from the Prometheus text format."""
    families = {}
    for m in re.finditer(r"^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)$", text, re.M):
        families[m.group(1)] = [m.group(2), 0]
    for line in text.splitlines():
        m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)[{ ]", line)
        if not m or line.startswith("#"):
            continue
        name = m.group(1)
        for base in (name, re.sub(r"_(bucket|sum|count)$", "", name)):
            if base in families:
                families[base][1] += 1
                break
    return {k: tuple(v) for k, v in families.items()}


def scrape(binary, name, args, wait_for=()):
    """Runs the binary; once /ready is 200 (and every family in wait_for is exported), returns
    its /metrics families. Raises with one line on any failure, including a bad exit status."""
    server = Destination(binary, args, name)
    try:
        deadline = time.monotonic() + START_DEADLINE
        server.wait_serving(deadline)
        server.wait_until("/ready 200", lambda: server.get("/ready")[0] == 200, deadline)
        box = {}

        def exported():
            status, text = server.get("/metrics")
            box["families"] = parse_families(text) if status == 200 else {}
            return status == 200 and all(f in box["families"] for f in wait_for)
        server.wait_until(f"/metrics with {', '.join(wait_for) or 'families'}", exported, deadline)
    finally:
        code = server.stop()
    if code != 0:
        raise RuntimeError(f"{name}: exit status {code} after SIGTERM, want 0: "
                           + " | ".join(server.log[-5:]))
    return box["families"]


def resolve(metric, families):
    """The family exporting `metric` (a histogram's _bucket/_sum/_count belong to it), or None."""
    if metric in families:
        kind = families[metric][0]
        return None if kind in ("histogram", "summary") else metric  # a bare histogram name
    m = re.fullmatch(r"(.*)_(bucket|sum|count)", metric)
    if m and m.group(1) in families:
        kind = families[m.group(1)][0]
        if kind == "histogram" or (kind == "summary" and m.group(2) != "bucket"):
            return m.group(1)
    return None


# --------------------------------------------------------------------------------------------
# 4: the chart


def render(renderer, *sets):
    cmd = [renderer, "--chart", CHART, "--namespace", "linkerd", "--release-name", "destination",
           "--strict"]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"render {' '.join(sets)} failed: {p.stderr.strip()}")
    return p.stdout


def dashboard_configmaps(out, label="grafana_dashboard"):
    docs = [d for d in yaml.safe_load_all(out) if d]
    return [d for d in docs if d.get("kind") == "ConfigMap"
            and label in (d["metadata"].get("labels") or {})]


def check_chart(renderer, file_bytes):
    problems = []
    out = render(renderer)
    if dashboard_configmaps(out) or TEMPLATE_SOURCE in out:
        problems.append("a dashboard ConfigMap is rendered with the default values")
    out = render(renderer, "grafana.dashboard.enabled=true")
    cms = dashboard_configmaps(out)
    if len(cms) != 1:
        return problems + [f"enabled: {len(cms)} ConfigMaps labelled grafana_dashboard, want 1"]
    cm = cms[0]
    meta = cm["metadata"]
    if meta["labels"]["grafana_dashboard"] != "1":
        problems.append(f"label grafana_dashboard={meta['labels']['grafana_dashboard']!r}, "
                        "want '1'")
    if meta.get("namespace") != "linkerd" or meta.get("name") != "destination-dashboard":
        problems.append(f"ConfigMap {meta.get('namespace')}/{meta.get('name')}, "
                        "want linkerd/destination-dashboard")
    if (meta.get("annotations") or {}).get("grafana_folder") is not None:
        problems.append("a folder annotation without grafana.dashboard.folder")
    if list(cm.get("data", {})) != [DASHBOARD_KEY]:
        problems.append(f"data keys {list(cm.get('data', {}))}, want [{DASHBOARD_KEY!r}]")
    elif cm["data"][DASHBOARD_KEY].encode() != file_bytes:
        got = cm["data"][DASHBOARD_KEY].encode()
        at = next((i for i, (a, b) in enumerate(zip(got, file_bytes)) if a != b),
                  min(len(got), len(file_bytes)))
        problems.append(f"ConfigMap data differs from {DASHBOARD_FILE} at byte {at} "
                        f"({len(got)} bytes, file {len(file_bytes)})")
    # Label, folder, namespace and extra labels from values.
    out = render(renderer, "grafana.dashboard.enabled=true", "grafana.dashboard.label=dashboards",
                 "grafana.dashboard.labelValue=1", "grafana.dashboard.folder=Service mesh",
                 "grafana.dashboard.namespace=monitoring", "grafana.dashboard.labels.team=mesh")
    cms = dashboard_configmaps(out, label="dashboards")
    if len(cms) != 1:
        problems.append(f"custom label: {len(cms)} ConfigMaps labelled dashboards, want 1")
    else:
        meta = cms[0]["metadata"]
        want = {"dashboards": "1", "team": "mesh"}
        got = {k: meta["labels"].get(k) for k in want}
        if got != want or "grafana_dashboard" in meta["labels"]:
            problems.append(f"custom labels {meta['labels']}, want {want} and no grafana_dashboard")
        if (meta.get("annotations") or {}).get("grafana_folder") != "Service mesh":
            problems.append(f"annotations {meta.get('annotations')}, "
                            "want grafana_folder: Service mesh")
        if meta.get("namespace") != "monitoring":
            problems.append(f"namespace {meta.get('namespace')}, want monitoring")
    # An empty label key is refused with its message rather than rendering bad YAML.
    try:
        render(renderer, "grafana.dashboard.enabled=true", "grafana.dashboard.label=")
        problems.append("grafana.dashboard.label= renders")
    except RuntimeError as e:
        if "grafana.dashboard.label must not be empty" not in str(e):
            problems.append(f"grafana.dashboard.label=: {e}")
    return problems


# --------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("destination", help="the built destination binary")
    ap.add_argument("--render", default=os.environ.get("RENDER"),
                    help="the chart renderer (default: built from tests/chart/render)")
    args = ap.parse_args()
    if not os.access(args.destination, os.X_OK):
        print(f"FAIL - no destination binary at {args.destination}")
        return 1
    tmp = tempfile.mkdtemp(prefix="dashboard-check-")
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp):
    # 1. The JSON model.
    with open(DASHBOARD, "rb") as f:
        file_bytes = f.read()
    try:
        dash = json.loads(file_bytes)
    except ValueError as e:
        fail("dashboard JSON parses", f"{DASHBOARD_FILE}: {e}")
        return 1
    ok(f"{DASHBOARD_FILE} parses ({len(file_bytes)} bytes)")
    if len(file_bytes) >= MAX_DASHBOARD_BYTES:
        fail("dashboard size", f"{len(file_bytes)} bytes; kubectl apply stores at most 256 KiB")
    problems, n_panels = check_dashboard_model(dash)
    if problems:
        fail("dashboard model", "; ".join(problems))
    else:
        ok(f"dashboard model: schemaVersion {dash['schemaVersion']}, {n_panels} panels, each on "
           "${datasource} with targets; ids unique; variables defined")

    # 2. The metric names.
    bad = []
    for expr, want in TOKENIZER_CASES:
        if promql_metrics(expr) != want:
            bad.append(f"{expr!r} -> {sorted(promql_metrics(expr))}, want {sorted(want)}")
    for query, want in VARIABLE_CASES:
        if variable_query_metrics(query) != want:
            bad.append(f"{query!r} -> {sorted(variable_query_metrics(query))}, want {sorted(want)}")
    if bad:
        fail("PromQL tokenizer", "; ".join(bad))
        return 1
    ok(f"PromQL tokenizer: {len(TOKENIZER_CASES) + len(VARIABLE_CASES)} cases")
    queried = {}  # metric -> where
    for where, kind, expr in dashboard_queries(dash):
        try:
            names = promql_metrics(expr) if kind == "expr" else variable_query_metrics(expr)
        except ValueError as e:
            fail("PromQL parses", f"{where}: {e}")
            continue
        if not names:
            fail("every expression selects a metric", f"{where}: none in {expr!r}")
        for n in names:
            queried.setdefault(n, []).append(where)
    documented = documented_metrics()
    undocumented = sorted(n for n in queried
                          if n not in documented and re.sub(r"_(bucket|sum|count)$", "", n)
                          not in documented)
    if undocumented:
        fail("metrics documented", f"not in docs/metrics.md: {', '.join(undocumented)}")
    else:
        ok(f"{len(queried)} queried metric names, all in docs/metrics.md")

    # 3. The binary exports every one.
    exported = {}  # family -> (type, {run: samples})
    try:
        manifests = os.path.join(tmp, "manifests")
        shutil.copytree(EXAMPLE, manifests)
        runs = [("manifests source", scrape(
            args.destination, "manifests source",
            [f"-manifests={manifests}", "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0",
             "-log-format=json"]))]
        ok("manifests source (examples/trafficsplit-sample): /ready 200, /metrics scraped, "
           "exit 0 on SIGTERM")
        api = FakeKubeApi()
        threading.Thread(target=api.serve_forever, daemon=True).start()
        try:
            kubeconfig = os.path.join(tmp, "kubeconfig")
            with open(kubeconfig, "w") as f:
                yaml.safe_dump({
                    "apiVersion": "v1", "kind": "Config", "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": api.url}}],
                    "users": [{"name": "u", "user": {"token": FakeKubeApi.TOKEN}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}]}, f)
            runs.append(("kubernetes source", scrape(
                args.destination, "kubernetes source",
                ["-source=kubernetes", f"-kubeconfig={kubeconfig}", "-addr=127.0.0.1:0",
                 "-admin-addr=127.0.0.1:0", "-log-format=json"],
                wait_for=["destination_kube_errors_total"])))
        finally:
            api.stop.set()
            api.shutdown()
            api.server_close()
        ok("kubernetes source (fake API server): /ready 200, /metrics scraped, exit 0 on SIGTERM")
    except RuntimeError as e:
        fail("the binary serves /metrics", str(e))
        return 1
    for run_name, families in runs:
        for fam, (kind, samples) in families.items():
            exported.setdefault(fam, (kind, {}))[1][run_name] = samples

    print("metrics the dashboard queries (family, type, samples per run):")
    missing = []
    for metric in sorted(queried):
        fam = resolve(metric, {k: (v[0], 0) for k, v in exported.items()})
        if fam is None:
            histogram = exported.get(metric, ("",))[0] == "histogram"
            missing.append(metric + (" (a histogram: query _bucket, _sum or _count)"
                                     if histogram else ""))
            print(f"  {metric:60} MISSING")
            continue
        kind, per_run = exported[fam]
        where = ", ".join(f"{r}: {n}" for r, n in per_run.items())
        shown = metric if fam == metric else f"{metric} -> {fam}"
        print(f"  {shown:60} {kind:9} {where}")
    if missing:
        fail("every queried metric is exported", "not in the binary's /metrics: " + ", ".join(
            f"{m} (queried by {queried[m.split(' ')[0]][0]})" for m in missing))
    else:
        ok(f"all {len(queried)} queried metrics are exported by {args.destination}")

    # 4. The chart.
    renderer = args.render
    if not renderer:
        renderer = os.path.join(tmp, "render")
        p = subprocess.run(["bash", os.path.join(ROOT, "tests", "chart", "render", "build.sh"),
                            renderer], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            fail("build the chart renderer", (p.stderr.strip().splitlines() or ["?"])[-1])
            return 1
    try:
        problems = check_chart(renderer, file_bytes)
    except RuntimeError as e:
        problems = [str(e)]
    if problems:
        fail("chart", "; ".join(problems))
    else:
        ok("chart: no dashboard ConfigMap by default; enabled, one ConfigMap with the sidecar "
           "label and the JSON byte for byte; label, folder, namespace from values; empty label "
           "refused")

    if _failures:
        print(f"FAILED: {', '.join(_failures)}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
