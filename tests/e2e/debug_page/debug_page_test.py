#!/usr/bin/python3
"""The debug page in a real browser: headless Chromium driven through the DevTools protocol.

    debug_page_test.py DESTINATION [-destctl PATH] [-chromium PATH] [-work DIR] [-scenario NAME]

For each scenario (by default every one available), it starts the real `destination` binary on a
directory of manifests in which one Service has two conflicting TrafficSplits (the older applies)
and an invalid ServiceProfile, opens a GetProfile stream with `destctl profile -watch` so that a
topic exists, then loads http://ADMIN/debug/ in headless Chromium and checks what the page shows
by querying the DOM: the topic and its subscriber count, the recent events naming the invalid
ServiceProfile and the split not applied; it clicks the topic's link (a mouse click at the link's
position) and checks the explanation: the split applied, the split ignored with its reason, the
invalid ServiceProfile with its reason, the traffic shares, the subscriber.

Scenarios: "canary-debug" serves examples/canary-debug/ as it is (skipped when that directory is
absent); "generated" writes examples/trafficsplit-sample/ plus the conflicting split, the
invalid ServiceProfile and an HTTPRoute with a header match to a temporary directory, and also
checks that the route is not applied: its event on the index, and its row among the HTTPRoutes
ignored, marked a mistake, with the reason.

The browser speaks the DevTools protocol over a pipe (--remote-debugging-pipe: fd 3 in, fd 4
out, messages separated by NUL), so no WebSocket client and no npm package is needed. Python's
standard library only; Chromium is Debian's `chromium`.

Every wait has a deadline. On failure: one line "debug_page_test: FAIL: ..." on stdout, the
server's log tail on stderr, exit 1. Screenshots and logs of the last run go to -work (default a
temporary directory, removed on success).
"""

import argparse
import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
NAME = "debug_page_test"


class TestFailure(Exception):
    """A check that failed: its message is the one failure line."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def wait_until(what, deadline_s, poll, interval_s=0.05):
    """Calls poll() until it returns a true value (returned) or the deadline passes (fails)."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        last = poll()
        if last:
            return last
        time.sleep(interval_s)
    raise TestFailure(f"timed out after {deadline_s:g}s waiting for {what}")


# --- scenarios -----------------------------------------------------------------------------------


class Scenario:
    """A manifests directory and what the debug page must show for it."""

    def __init__(self, name, manifests, authority, token, applied, ignored, profile, shares,
                 route_ignored=None):
        self.name = name
        self.manifests = manifests
        self.authority = authority
        self.token = token
        self.applied = applied  # "namespace/name" of the TrafficSplit that applies (the older)
        self.ignored = ignored  # "namespace/name" of the one ignored
        self.profile = profile  # "namespace/name" of the invalid ServiceProfile
        self.shares = shares  # the dst_overrides shares shown, in order ("90.0%", ...)
        # "namespace/name" of an HTTPRoute with a header match (not applied, a mistake), if any
        self.route_ignored = route_ignored


def canary_debug_scenario():
    manifests = os.path.join(SOURCE_DIR, "examples", "canary-debug")
    if not os.path.isdir(manifests):
        return None
    return Scenario("canary-debug", manifests, "web.shop.svc.cluster.local:8080",
                    '{"ns":"shop","nodeName":"node-1"}', "shop/web", "shop/web-manual",
                    "shop/web.shop.svc.cluster.local", ["90.0%", "10.0%"])


GENERATED_SPLITS = """\
# Two TrafficSplits for backend-svc: the older applies, the newer is ignored.
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: backend-split
  namespace: trafficsplit-sample
  creationTimestamp: "2026-11-30T10:00:00Z"
spec:
  service: backend-svc
  backends:
    - {service: backend-svc, weight: 750}
    - {service: failing-svc, weight: 250}
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata:
  name: backend-split-manual
  namespace: trafficsplit-sample
  creationTimestamp: "2026-12-01T09:00:00Z"
spec:
  service: backend-svc
  backends:
    - {service: backend-svc, weight: 500}
    - {service: failing-svc, weight: 500}
"""

GENERATED_ROUTE = """\
# A header match: plain weights cannot express it, so it is not applied (the splits are).
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: backend-canary-header
  namespace: trafficsplit-sample
spec:
  parentRefs:
    - {group: core, kind: Service, name: backend-svc}
  rules:
    - matches: [{headers: [{name: x-canary, value: "true"}]}]
      backendRefs: [{name: failing-svc, port: 8080}]
"""

GENERATED_PROFILE = """\
# Invalid: "300 ms" is not a Go duration.
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: backend-svc.trafficsplit-sample.svc.cluster.local
  namespace: trafficsplit-sample
spec:
  routes:
    - name: GET /api
      condition: {method: GET, pathRegex: /api}
      timeout: 300 ms
"""


def generated_scenario(tmp):
    manifests = os.path.join(tmp, "generated-manifests")
    shutil.rmtree(manifests, ignore_errors=True)
    shutil.copytree(os.path.join(SOURCE_DIR, "examples", "trafficsplit-sample"), manifests,
                    ignore=shutil.ignore_patterns("*.md", "trafficsplit.yaml"))
    with open(os.path.join(manifests, "trafficsplits.yaml"), "w", encoding="utf-8") as f:
        f.write(GENERATED_SPLITS)
    with open(os.path.join(manifests, "serviceprofile.yaml"), "w", encoding="utf-8") as f:
        f.write(GENERATED_PROFILE)
    with open(os.path.join(manifests, "httproute.yaml"), "w", encoding="utf-8") as f:
        f.write(GENERATED_ROUTE)
    ns = "trafficsplit-sample"
    return Scenario("generated", manifests, f"backend-svc.{ns}.svc.cluster.local:8080",
                    '{"ns":"trafficsplit-sample","nodeName":"node-2"}', f"{ns}/backend-split",
                    f"{ns}/backend-split-manual", f"{ns}/backend-svc.{ns}.svc.cluster.local",
                    ["75.0%", "25.0%"], route_ignored=f"{ns}/backend-canary-header")


# --- processes -----------------------------------------------------------------------------------


def stop(proc, deadline_s=10):
    """SIGTERM, then SIGKILL after the deadline; returns the exit code."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=deadline_s)


def tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Destination:
    """The real `destination` binary on a manifests directory, ports chosen by the kernel."""

    def __init__(self, binary, manifests, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [binary, f"-manifests={manifests}", "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.grpc_port = self.admin_port = None

    def wait_serving(self, deadline_s=20):
        def serving():
            check(self.proc.poll() is None, f"destination exited with {self.proc.returncode} "
                  f"before serving (log: {self.log_path})")
            m = re.search(r"serving.*grpc_port=(\d+).*admin_port=(\d+)", tail(self.log_path, 200))
            return m
        m = wait_until("the destination's \"serving\" log line", deadline_s, serving)
        self.grpc_port, self.admin_port = int(m.group(1)), int(m.group(2))
        wait_until("admin /ready to answer 200", deadline_s,
                   lambda: http_get(self.url("/ready"))[0] == 200)

    def url(self, path):
        return f"http://127.0.0.1:{self.admin_port}{path}"

    def stop(self):
        code = stop(self.proc)
        self.log.close()
        return code


def http_get(url, timeout_s=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None, ""


def start_profile_watch(destctl, grpc_port, scenario, log_path):
    """A GetProfile stream held open by destctl, as a proxy would."""
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [destctl, f"-addr=127.0.0.1:{grpc_port}", f"-context-token={scenario.token}", "profile",
         scenario.authority, "-watch", "-timeout=120s", "-o", "json"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


# --- the browser ---------------------------------------------------------------------------------


class Browser:
    """Headless Chromium, one page, driven through the DevTools protocol over a pipe."""

    def __init__(self, chromium, profile_dir, log_path):
        cmd_read, self._cmd_write = os.pipe()  # we write commands; Chromium reads fd 3
        self._res_read, res_write = os.pipe()  # Chromium writes answers on fd 4; we read

        def child_fds():
            # Copies above fd 9 first, so that neither dup2 clobbers the other's source.
            commands = fcntl.fcntl(cmd_read, fcntl.F_DUPFD, 10)
            answers = fcntl.fcntl(res_write, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(answers, 4)
            os.close(commands)
            os.close(answers)

        self.log = open(log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--window-size=900,700",
             f"--user-data-dir={profile_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=child_fds, close_fds=False)
        os.close(cmd_read)
        os.close(res_write)
        self._buffer = b""
        self._next_id = 0
        self._events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            check(left > 0, "timed out waiting for Chromium's DevTools answer")
            ready, _, _ = select.select([self._res_read], [], [], left)
            if ready:
                chunk = os.read(self._res_read, 1 << 16)
                check(chunk, f"Chromium closed the DevTools pipe (exit {self.proc.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=True, deadline_s=15):
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            request["sessionId"] = self.session
        os.write(self._cmd_write, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + deadline_s
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                check("error" not in message, f"DevTools {method} failed: {message.get('error')}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def wait_event(self, method, deadline_s=15):
        deadline = time.monotonic() + deadline_s
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    return self._events.pop(i)
            message = self._read_message(deadline)
            if "method" in message:
                self._events.append(message)

    def open_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send("Target.attachToTarget",
                             {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def navigate(self, url):
        self._events.clear()
        result = self.send("Page.navigate", {"url": url})
        check("errorText" not in result, f"navigating to {url}: {result.get('errorText')}")
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (DOM queries), as JSON data."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        check("exceptionDetails" not in result,
              f"DOM query failed: {result.get('exceptionDetails')} in {expression}")
        return result["result"].get("value")

    def click(self, selector):
        """A real mouse click at the centre of the first element matching `selector`."""
        box = self.evaluate(f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            if (!e) return null;
            e.scrollIntoView({{block: "center"}});
            const r = e.getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
        }})()""")
        check(box is not None, f"nothing to click: no element matches {selector}")
        self._events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1})
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(data["data"]))

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", session=False, deadline_s=5)
        except (TestFailure, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            stop(self.proc)
        os.close(self._cmd_write)
        os.close(self._res_read)
        self.log.close()


# --- what the pages show -------------------------------------------------------------------------

INDEX_QUERY = """(() => {
  const text = (row, sel) => (row.querySelector(sel) || {textContent: null}).textContent;
  return {
    scripts: document.scripts.length,
    process: (document.querySelector('#process') || {innerText: ''}).innerText,
    topics: [...document.querySelectorAll('#topics tr.topic')].map(r => ({
      kind: text(r, '.kind'), key: text(r, '.key'), subscribers: text(r, '.subscribers'),
      href: (r.querySelector('a.explain-link') || {getAttribute: () => null})
                .getAttribute('href')})),
    events: [...document.querySelectorAll('#events tr.event')].map(r => ({
      kind: text(r, '.kind'), object: text(r, '.object'), message: text(r, '.message')})),
    links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
  };
})()"""

EXPLANATION_QUERY = """(() => {
  const one = sel => { const e = document.querySelector(sel); return e ? e.innerText : null; };
  const text = (row, sel) => (row.querySelector(sel) || {textContent: null}).textContent;
  return {
    path: location.pathname,
    search: location.search,
    scripts: document.scripts.length,
    authority: one('#authority'),
    formAuthority: (document.querySelector('input[name=authority]') || {}).value,
    formToken: (document.querySelector('input[name=context_token]') || {}).value,
    applied: one('#split-applied'),
    routeApplied: one('#route-applied'),
    routesIgnored: [...document.querySelectorAll('tr.route-ignored')].map(r => ({
      name: text(r, '.name'), reason: text(r, '.ignored-reason'),
      mistake: r.classList.contains('mistake')})),
    ignored: [...document.querySelectorAll('tr.split-ignored')].map(r => ({
      name: text(r, '.name'), reason: text(r, '.ignored-reason')})),
    candidates: [...document.querySelectorAll('tr.profile-candidate')].map(r => ({
      name: text(r, '.name'), invalid: text(r, '.invalid-reason')})),
    shares: [...document.querySelectorAll('#dst-overrides tr.dst-override .share')]
                .map(e => e.textContent),
    overridesSource: one('#overrides-source td'),
    subscribers: document.querySelectorAll('#profile-topic tr.subscriber').length,
    back: (document.querySelector('a#back') || {getAttribute: () => null}).getAttribute('href'),
  };
})()"""


def find(items, what, predicate):
    for item in items:
        if predicate(item):
            return item
    raise TestFailure(f"{what} not shown; the page shows {json.dumps(items)}")


def query_param(href, name):
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query).get(name, [])
    return values[0] if values else None


def check_index(page, scenario, log):
    check(page["scripts"] == 0, f"/debug/ has {page['scripts']} script elements (expected none)")
    check("manifests" in page["process"], f"/debug/ header lacks the source: {page['process']!r}")
    topic = find(page["topics"], f"the profile topic of {scenario.authority} on /debug/",
                 lambda t: t["kind"] == "profile" and t["href"]
                 and query_param(t["href"], "authority") == scenario.authority)
    check(topic["subscribers"] == "1",
          f"/debug/ shows {topic['subscribers']!r} subscribers for {topic['key']} (expected 1)")
    log(f"topic {topic['key']} listed with 1 subscriber, link {topic['href']}")
    invalid = find(page["events"], f"a serviceprofile_invalid event for {scenario.profile}",
                   lambda e: e["kind"] == "serviceprofile_invalid"
                   and scenario.profile in e["object"])
    log(f"event {invalid['kind']}: {invalid['object']}: {invalid['message']}")
    split = find(page["events"], f"a trafficsplit_not_applied event for {scenario.ignored}",
                 lambda e: e["kind"] == "trafficsplit_not_applied"
                 and e["object"].endswith(" " + scenario.ignored))
    log(f"event {split['kind']}: {split['object']}: {split['message']}")
    if scenario.route_ignored:
        route = find(page["events"], f"an httproute_not_applied event for {scenario.route_ignored}",
                     lambda e: e["kind"] == "httproute_not_applied"
                     and e["object"].endswith(" " + scenario.route_ignored))
        log(f"event {route['kind']}: {route['object']}: {route['message']}")
    for path in ("/debug/topics", "/debug/events", "/metrics"):
        check(path in page["links"], f"/debug/ does not link to {path}")
    return topic["href"]


def check_explanation(page, scenario, log):
    check(page["path"] == "/debug/explain.html", f"the topic link led to {page['path']}")
    params = urllib.parse.parse_qs(page["search"].lstrip("?"))
    # The topic's own context token (TopicSummary.context_token): empty for a Service's profile.
    token = params.get("context_token", [""])[0]
    check(params.get("authority") == [scenario.authority],
          f"the topic link's query decodes to {params}")
    check(page["scripts"] == 0, f"the explanation has {page['scripts']} script elements")
    check(page["authority"] == scenario.authority, f"the explanation names {page['authority']!r}")
    check(page["formAuthority"] == scenario.authority and page["formToken"] == token,
          f"the form is not pre-filled: {page['formAuthority']!r} {page['formToken']!r}")
    check(page["applied"] is not None and scenario.applied in page["applied"],
          f"#split-applied does not name {scenario.applied}: {page['applied']!r}")
    log(f"split applied: {scenario.applied} (overrides from {page['overridesSource']})")
    ignored = find(page["ignored"], f"the ignored TrafficSplit {scenario.ignored}",
                   lambda i: i["name"] == scenario.ignored)
    reason = ignored["reason"] or ""
    check(re.search(r"\bold(er|est)\b", reason) and scenario.applied in reason,
          f"the reason {scenario.ignored} is ignored does not name the older split "
          f"{scenario.applied}: {reason!r}")
    log(f"split ignored: {scenario.ignored}: {reason}")
    if scenario.route_ignored:
        check(page["routeApplied"] is None, f"#route-applied shown: {page['routeApplied']!r}")
        route = find(page["routesIgnored"], f"the ignored HTTPRoute {scenario.route_ignored}",
                     lambda r: r["name"] == scenario.route_ignored)
        check(route["mistake"] and "matches headers" in (route["reason"] or ""),
              f"the HTTPRoute {scenario.route_ignored} is not shown as a mistake with its reason "
              f"(the header match): {route!r}")
        log(f"HTTPRoute ignored: {scenario.route_ignored}: {route['reason']}")
    candidate = find(page["candidates"], f"the ServiceProfile candidate {scenario.profile}",
                     lambda c: c["name"] == scenario.profile)
    check(candidate["invalid"] and "timeout" in candidate["invalid"],
          f"the ServiceProfile {scenario.profile} is not shown invalid with its reason "
          f"(the timeout): {candidate['invalid']!r}")
    log(f"ServiceProfile invalid: {scenario.profile}: {candidate['invalid']}")
    check(page["shares"] == scenario.shares,
          f"dst_overrides shares {page['shares']} (expected {scenario.shares})")
    log(f"dst_overrides shares {' / '.join(page['shares'])}")
    check(page["subscribers"] == 1, f"the profile topic lists {page['subscribers']} subscribers")
    check(page["back"] == "/debug/", f"the link back is {page['back']!r}")


def wait_for_topic(dest, scenario, deadline_s=15):
    def subscribed():
        status, body = http_get(dest.url("/debug/topics"))
        if status != 200:
            return False
        topics = json.loads(body).get("topics", [])
        return any(t.get("authority") == scenario.authority and t.get("subscribers", 0) >= 1
                   for t in topics)
    wait_until(f"a topic for {scenario.authority} with a subscriber in /debug/topics",
               deadline_s, subscribed)


def run_scenario(args, scenario, browser, work):
    def log(message):
        print(f"{NAME}: [{scenario.name}] {message}", flush=True)

    dest = Destination(args.destination, scenario.manifests,
                       os.path.join(work, f"{scenario.name}-destination.log"))
    watch = None
    try:
        dest.wait_serving()
        log(f"destination serving: grpc 127.0.0.1:{dest.grpc_port}, "
            f"admin 127.0.0.1:{dest.admin_port}")
        watch = start_profile_watch(args.destctl, dest.grpc_port, scenario,
                                    os.path.join(work, f"{scenario.name}-destctl.log"))
        wait_for_topic(dest, scenario)
        check(watch.poll() is None, f"destctl profile -watch exited with {watch.returncode}")
        browser.navigate(dest.url("/debug/"))
        href = check_index(browser.evaluate(INDEX_QUERY), scenario, log)
        browser.screenshot(os.path.join(work, f"{scenario.name}-index.png"))
        browser.click(f'#topics tr.topic a.explain-link[href="{href}"]')
        check_explanation(browser.evaluate(EXPLANATION_QUERY), scenario, log)
        browser.screenshot(os.path.join(work, f"{scenario.name}-explain.png"))
    except TestFailure:
        sys.stderr.write(f"--- {dest.log_path} (tail)\n{tail(dest.log_path)}")
        raise
    finally:
        stop(watch)
        code = dest.stop()
    check(code == 0, f"destination exited with {code} on SIGTERM (log: {dest.log_path})")
    log("destination stopped cleanly")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], prefix_chars="-")
    parser.add_argument("destination", help="the built destination binary")
    parser.add_argument("-destctl", help="default: destctl beside DESTINATION")
    parser.add_argument("-chromium", default="/usr/bin/chromium")
    parser.add_argument("-work", help="where logs and screenshots go (kept)")
    parser.add_argument("-scenario", choices=["canary-debug", "generated"], action="append",
                        help="run only this one (repeatable); default every one available")
    args = parser.parse_args()
    args.destctl = args.destctl or os.path.join(os.path.dirname(args.destination), "destctl")
    return args


def main():
    start = time.monotonic()
    args = parse_args()
    work = args.work or tempfile.mkdtemp(prefix="debug_page_test.")
    os.makedirs(work, exist_ok=True)
    browser = None
    try:
        for path, what in ((args.destination, "destination"), (args.destctl, "destctl"),
                           (args.chromium, "chromium (Debian package chromium)")):
            check(os.access(path, os.X_OK), f"{what} not found at {path}")
        scenarios = [s for s in (canary_debug_scenario(), generated_scenario(work)) if s]
        if args.scenario:
            scenarios = [s for s in scenarios if s.name in args.scenario]
            check(len(scenarios) == len(args.scenario), f"scenario not available: {args.scenario}")
        shutil.rmtree(os.path.join(work, "chromium-profile"), ignore_errors=True)
        browser = Browser(args.chromium, os.path.join(work, "chromium-profile"),
                          os.path.join(work, "chromium.log"))
        browser.open_page()
        for scenario in scenarios:
            run_scenario(args, scenario, browser, work)
    except TestFailure as e:
        print(f"{NAME}: FAIL: {e} (logs: {work})", flush=True)
        return 1
    finally:
        if browser:
            browser.close()
    print(f"{NAME}: PASS: {', '.join(s.name for s in scenarios)} in "
          f"{time.monotonic() - start:.1f}s", flush=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
