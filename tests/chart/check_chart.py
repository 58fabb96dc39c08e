#!/usr/bin/python3
"""The Helm chart check: renders helm/ the way Helm does and holds it to the binary it deploys.

  DESTINATION=build/bin/destination /usr/bin/python3 tests/chart/check_chart.py [-v]

For the default values, values-ha.yaml and the files in tests/chart/values/ (every option on; the
manifests source), it renders the chart with tests/chart/render (Go text/template + sprig + Helm's
own functions, strict about undefined .Values) and checks that:
  - every document validates strictly against the Kubernetes API types (tests/chart/k8s_strict.py,
    with the chart's own CRDs);
  - every flag in the rendered args exists in `destination --helpfull`, the binary accepts the
    args as rendered, and every service flag is reachable from values.yaml;
  - the ClusterRole grants get/list/watch on exactly what `destination <args>
    -print-watched-resources` prints, and nothing else;
  - container ports are the binary's default -addr/-admin-addr ports, and the probe paths answer
    200 on a running binary;
  - every .Values path a template uses is defined in values.yaml, and the other values files only
    set keys values.yaml defines;
  - the security posture (non-root, read-only root, no capabilities, seccomp, token only for the
    Kubernetes source) and the HA objects (PDB, anti-affinity, zone spread) are as documented;
  - the Dockerfile's build packages are the README's (packages/build.txt), and a required value fails rendering with
    its message.
Needs: golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev python3-yaml
python3-kubernetes (Debian), and a built `destination` (DESTINATION, default build-test/bin).
"""

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "helm")
HERE = os.path.join(ROOT, "tests", "chart")
CRDS = [os.path.join(CHART, "files", "crds", f) for f in sorted(os.listdir(os.path.join(CHART, "files", "crds")))]

# (name, values files): the renders every check runs over.
VALUE_SETS = [
    ("default", []),
    ("ha", [os.path.join(CHART, "values-ha.yaml")]),
    ("all-options", [os.path.join(HERE, "values", "all-options.yaml")]),
    ("manifests-source", [os.path.join(HERE, "values", "manifests-source.yaml")]),
]

# Flags of main.cc that a deployment never sets (they make the binary print and exit).
NOT_DEPLOYMENT_FLAGS = {"print_watched_resources"}

NAMESPACE = "linkerd"

_tmp = None
_render = None
_destination = None


def setUpModule():
    global _tmp, _render, _destination
    _tmp = tempfile.mkdtemp(prefix="chart-check-")
    _destination = os.environ.get("DESTINATION") or os.path.join(ROOT, "build-test", "bin", "destination")
    if not os.access(_destination, os.X_OK):
        raise RuntimeError(f"no destination binary at {_destination} (set DESTINATION)")
    _render = os.environ.get("RENDER")
    if not _render:
        _render = os.path.join(_tmp, "render")
        subprocess.run(["bash", os.path.join(HERE, "render", "build.sh"), _render], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)


def tearDownModule():
    if _tmp:
        shutil.rmtree(_tmp, ignore_errors=True)


def render(values=(), sets=(), strict=True, notes=False):
    """Renders the chart; returns (returncode, stdout, stderr)."""
    cmd = [_render, "--chart", CHART, "--namespace", NAMESPACE, "--release-name", "destination"]
    if strict:
        cmd.append("--strict")
    if notes:
        cmd.append("--notes")
    for v in values:
        cmd += ["--values", v]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def render_docs(values=(), sets=()):
    code, out, err = render(values, sets)
    if code != 0:
        raise AssertionError(f"render failed ({code}): {err}")
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def container(docs):
    deps = by_kind(docs, "Deployment")
    assert len(deps) == 1, f"{len(deps)} Deployments"
    pod = deps[0]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    return deps[0], pod, c


# The file whose flags are the service's own (--helpfull names each flag's file).
MAIN_SOURCE = "controlplane/server/main.cc"


def helpfull_flags():
    """{flag name (underscores): (default text, defined in MAIN_SOURCE?)} from --helpfull."""
    p = subprocess.run([_destination, "--helpfull"], capture_output=True, text=True, timeout=30)
    flags, section = {}, ""
    for line in p.stdout.splitlines():
        m = re.match(r"\s+Flags from (.*):$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"\s+--([a-z0-9_]+) ", line)
        if m:
            flags[m.group(1)] = {"main": section.endswith(MAIN_SOURCE), "default": None}
            last = m.group(1)
        m = re.search(r"default: (.*);$", line)
        if m and flags:
            flags[last]["default"] = m.group(1)
    return flags


def flag_name(arg):
    m = re.match(r"^--?([A-Za-z0-9_-]+)(=|$)", arg)
    assert m, f"not a flag: {arg!r}"
    return m.group(1).replace("-", "_")


def values_paths(tree, prefix=()):
    """Every path in a values tree (maps only; lists and scalars are leaves)."""
    out = set()
    if isinstance(tree, dict):
        for k, v in tree.items():
            p = prefix + (k,)
            out.add(p)
            out |= values_paths(v, p)
    return out


def free_maps(tree, prefix=()):
    """Paths of maps whose keys are the user's (empty by default): podAnnotations, files, ..."""
    out = set()
    if isinstance(tree, dict):
        for k, v in tree.items():
            p = prefix + (k,)
            if v == {}:
                out.add(p)
            out |= free_maps(v, p)
    return out


class ChartCheck(unittest.TestCase):
    maxDiff = None

    def test_every_values_set_renders_and_validates_strictly(self):
        for name, values in VALUE_SETS:
            with self.subTest(values=name):
                code, out, err = render(values, notes=True)
                self.assertEqual(code, 0, err)
                self.assertIn("# NOTES.txt", out)
                manifests = out.split("# NOTES.txt")[0]
                path = os.path.join(_tmp, f"{name}.yaml")
                with open(path, "w") as f:
                    f.write(manifests)
                cmd = ["/usr/bin/python3", os.path.join(HERE, "k8s_strict.py")]
                for c in CRDS:
                    cmd += ["--crd", c]
                p = subprocess.run(cmd + [path], capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 0, f"{name}:\n{p.stdout}\n{p.stderr}")
                self.assertNotIn("warn", p.stdout, p.stdout)

    def test_crds_validate_and_accept_every_example_and_both_weight_forms(self):
        cmd = ["/usr/bin/python3", os.path.join(HERE, "k8s_strict.py")]
        for c in CRDS:
            cmd += ["--crd", c]
        examples = os.path.join(ROOT, "examples", "trafficsplit-sample")
        files = [os.path.join(examples, f) for f in sorted(os.listdir(examples)) if f.endswith(".yaml")]
        p = subprocess.run(cmd + CRDS + files, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The same split under every served version, with quantity and integer weights.
        docs = []
        for version in ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"):
            for i, weight in enumerate(("500m", 500, "1")):
                docs.append({"apiVersion": f"split.smi-spec.io/{version}", "kind": "TrafficSplit",
                             "metadata": {"name": f"split-{version}-{i}", "namespace": "demo"},
                             "spec": {"service": "a", "backends": [{"service": "a", "weight": weight},
                                                                   {"service": "b", "weight": weight}]}})
        path = os.path.join(_tmp, "splits.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(docs, f)
        p = subprocess.run(cmd + [path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("warn", p.stdout)
        # And a wrong one is refused: the CRD check is not a pass-through.
        docs = [{"apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
                 "metadata": {"name": "split", "namespace": "demo"},
                 "spec": {"service": "a", "backends": [{"service": "a", "weight": "half"}]}}]
        with open(path, "w") as f:
            yaml.safe_dump_all(docs, f)
        p = subprocess.run(cmd + [path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("weight", p.stdout)

    def test_args_are_flags_of_the_binary_and_accepted_by_it(self):
        flags = helpfull_flags()
        self.assertIn("addr", flags)
        reached = set()
        for name, values in VALUE_SETS:
            with self.subTest(values=name):
                _, _, c = container(render_docs(values))
                self.assertEqual(c.get("command"), None, "the image's ENTRYPOINT runs the binary")
                args = c["args"]
                for a in args:
                    self.assertIsInstance(a, str)
                    self.assertIn(flag_name(a), flags, f"{a}: not a flag of destination --helpfull")
                    reached.add(flag_name(a))
                # The binary parses the args as rendered (values, not only names).
                p = subprocess.run([_destination] + args + ["-print-watched-resources"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, f"{shlex.join(args)}: {p.stderr}")
        service_flags = {f for f, v in flags.items() if v["main"]} - NOT_DEPLOYMENT_FLAGS
        # A check over no flags would pass whatever the chart does: the service has dozens.
        self.assertGreater(len(service_flags), 20,
                           f"--helpfull lists no flags from {MAIN_SOURCE} (did main.cc move?)")
        self.assertEqual(service_flags - reached, set(), "flags no values file reaches")

    def test_rbac_is_exactly_what_the_binary_watches(self):
        for name, values in VALUE_SETS:
            with self.subTest(values=name):
                docs = render_docs(values)
                _, pod, c = container(docs)
                roles = by_kind(docs, "ClusterRole") + by_kind(docs, "Role")
                source = next(a for a in c["args"] if a.startswith("-source=")).split("=", 1)[1]
                if source == "manifests":
                    self.assertEqual(roles, [], "the manifests source needs no API access")
                    self.assertEqual(by_kind(docs, "ClusterRoleBinding"), [])
                    self.assertFalse(pod["automountServiceAccountToken"])
                    continue
                self.assertTrue(pod["automountServiceAccountToken"])
                p = subprocess.run([_destination] + c["args"] + ["-print-watched-resources"],
                                   capture_output=True, text=True, timeout=30, check=True)
                want = {}
                for line in p.stdout.splitlines():
                    r = json.loads(line)
                    want[(r["group"], r["resource"])] = set(r["verbs"])
                self.assertEqual(len(roles), 1)
                got = {}
                for rule in roles[0]["rules"]:
                    self.assertNotIn("nonResourceURLs", rule)
                    self.assertNotIn("resourceNames", rule)
                    for g in rule["apiGroups"]:
                        for r in rule["resources"]:
                            self.assertNotIn("*", (g, r), "no wildcards")
                            self.assertNotEqual(r, "secrets")
                            key = (g, r)
                            self.assertNotIn(key, got, f"{key} granted twice")
                            got[key] = set(rule["verbs"])
                self.assertEqual(got, want)
                for verbs in got.values():
                    self.assertEqual(verbs, {"get", "list", "watch"})
                (binding,) = by_kind(docs, "ClusterRoleBinding")
                self.assertEqual(binding["roleRef"]["name"], roles[0]["metadata"]["name"])
                (subject,) = binding["subjects"]
                self.assertEqual(subject["name"], pod["serviceAccountName"])
                self.assertEqual(subject["namespace"], NAMESPACE)

    def test_ports_and_probes_match_the_binary(self):
        flags = helpfull_flags()
        default_grpc = int(flags["addr"]["default"].strip('"').rsplit(":", 1)[1])
        default_admin = int(flags["admin_addr"]["default"].strip('"').rsplit(":", 1)[1])
        docs = render_docs()
        _, _, c = container(docs)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        self.assertEqual(ports, {"grpc": default_grpc, "admin-http": default_admin})
        self.assertIn(f"-addr=:{default_grpc}", c["args"])
        self.assertIn(f"-admin-addr=:{default_admin}", c["args"])
        services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
        self.assertEqual({p["name"] for p in services["destination"]["spec"]["ports"]}, {"grpc"})
        self.assertEqual(services["destination"]["spec"]["type"], "ClusterIP")
        self.assertEqual(services["destination-headless"]["spec"]["clusterIP"], "None")
        probes = {k: c[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
        for probe in probes.values():
            self.assertEqual(probe["port"], "admin-http")
        self.assertEqual(probes["readinessProbe"]["path"], "/ready")
        self.assertEqual(probes["livenessProbe"]["path"], "/live")
        # Every probe path (and the scrape path) answers 200 on the running binary.
        paths = {p["path"] for p in probes.values()} | {"/metrics"}
        manifests = tempfile.mkdtemp(dir=_tmp)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            admin_port = s.getsockname()[1]
        proc = subprocess.Popen([_destination, f"-manifests={manifests}", "-addr=127.0.0.1:0",
                                 f"-admin-addr=127.0.0.1:{admin_port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            answers = {}
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(answers) < len(paths):
                for path in paths - set(answers):
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}{path}", timeout=2) as r:
                            answers[path] = r.status
                    except OSError:
                        pass
                time.sleep(0.05)
            self.assertEqual(answers, {p: 200 for p in paths})
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    def test_every_values_path_is_defined(self):
        with open(os.path.join(CHART, "values.yaml")) as f:
            defaults = yaml.safe_load(f)
        defined = values_paths(defaults)
        used = set()
        templates = os.path.join(CHART, "templates")
        for name in os.listdir(templates):
            with open(os.path.join(templates, name)) as f:
                for m in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", f.read()):
                    used.add((name, tuple(m.group(1).lstrip(".").split("."))))
        self.assertGreater(len(used), 40)
        for name, path in sorted(used):
            self.assertIn(path, defined, f"{name}: .Values.{'.'.join(path)} is not in values.yaml")
        # Override files set only keys that values.yaml defines (free-form maps excepted).
        free = free_maps(defaults) | {("resources",), ("affinity",),
                                       ("networkPolicy", "meshNamespaceSelector"),
                                       ("networkPolicy", "meshPodSelector"),
                                       ("networkPolicy", "monitoringNamespaceSelector")}
        for name, values in VALUE_SETS:
            for v in values:
                with open(v) as f:
                    for path in values_paths(yaml.safe_load(f)):
                        if any(path[:len(p)] == p and len(path) > len(p) for p in free):
                            continue
                        self.assertIn(path, defined, f"{v}: {'.'.join(path)} is not in values.yaml")
        # Strict rendering (--strict: missingkey=error) passed for every set above; prove it bites.
        broken = os.path.join(_tmp, "broken-chart")
        shutil.copytree(CHART, broken)
        with open(os.path.join(broken, "templates", "service.yaml"), "a") as f:
            f.write("\n# {{ .Values.service.nosuchkey }}\n")
        p = subprocess.run([_render, "--chart", broken, "--strict"], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nosuchkey", p.stderr)

    def test_security_posture(self):
        for name, values in VALUE_SETS:
            with self.subTest(values=name):
                docs = render_docs(values)
                dep, pod, c = container(docs)
                psc, csc = pod["securityContext"], c["securityContext"]
                self.assertTrue(psc["runAsNonRoot"])
                self.assertIsInstance(psc["runAsUser"], int)
                self.assertGreater(psc["runAsUser"], 0)
                self.assertIsInstance(psc["runAsGroup"], int)
                self.assertEqual(psc["seccompProfile"], {"type": "RuntimeDefault"})
                self.assertTrue(csc["readOnlyRootFilesystem"])
                self.assertFalse(csc["allowPrivilegeEscalation"])
                self.assertFalse(csc["privileged"])
                self.assertEqual(csc["capabilities"], {"drop": ["ALL"]})
                self.assertNotIn("add", csc["capabilities"])
                self.assertFalse(pod.get("hostNetwork", False))
                for sa in by_kind(docs, "ServiceAccount"):
                    self.assertFalse(sa["automountServiceAccountToken"])
                # The kubelet waits longer than the service drains.
                grace = next(a for a in c["args"] if a.startswith("-shutdown-grace="))
                seconds = int(grace.split("=", 1)[1].rstrip("s"))
                self.assertGreater(pod["terminationGracePeriodSeconds"], seconds)
                self.assertIn("memory", c["resources"]["limits"])
                self.assertIn("memory", c["resources"]["requests"])
                annotations = pod_annotations = dep["spec"]["template"]["metadata"]["annotations"]
                self.assertRegex(pod_annotations["checksum/config"], r"^[0-9a-f]{64}$")
                self.assertEqual(annotations["prometheus.io/scrape"], "true")

    def test_checksum_follows_config(self):
        def checksum(*sets):
            dep, _, _ = container(render_docs([os.path.join(HERE, "values", "manifests-source.yaml")], sets))
            return dep["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        base = checksum()
        self.assertEqual(base, checksum())
        self.assertNotEqual(base, checksum("manifests.files.extra\\.yaml=kind: List"))
        self.assertNotEqual(base, checksum("log.level=debug"))

    def test_high_availability(self):
        docs = render_docs()
        _, pod, _ = container(docs)
        self.assertEqual(by_kind(docs, "PodDisruptionBudget"), [], "no budget on one replica")
        self.assertNotIn("affinity", pod)
        ha = render_docs([os.path.join(CHART, "values-ha.yaml")])
        dep, pod, c = container(ha)
        self.assertEqual(dep["spec"]["replicas"], 3)
        (pdb,) = by_kind(ha, "PodDisruptionBudget")
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"], dep["spec"]["selector"]["matchLabels"])
        anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        self.assertEqual(anti[0]["topologyKey"], "kubernetes.io/hostname")
        self.assertEqual(anti[0]["labelSelector"]["matchLabels"], dep["spec"]["selector"]["matchLabels"])
        (spread,) = pod["topologySpreadConstraints"]
        self.assertEqual(spread["topologyKey"], "topology.kubernetes.io/zone")
        self.assertEqual(dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)

    def test_dockerfile_build_packages_are_the_readmes(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
        # Both README commands and the image install from the one list in packages/.
        self.assertTrue(blocks[0].startswith("sh packages/install.sh build &&"), blocks[0])
        self.assertTrue(blocks[1].startswith("sh packages/install.sh build test &&"), blocks[1])
        with open(os.path.join(ROOT, "Dockerfile")) as f:
            dockerfile = f.read()
        build_stage = dockerfile.split("\nFROM ")[1]
        self.assertIn("RUN sh packages/install.sh build ", build_stage)
        self.assertLess(build_stage.index("COPY packages/"), build_stage.index("COPY . ."))
        with open(os.path.join(ROOT, "packages", "build.txt")) as f:
            build_packages = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn("g++", build_packages)
        runtime = dockerfile.split("\nFROM ")[2]
        runtime_packages = re.search(r"apt-get install -y --no-install-recommends ([^\\\n&]*)",
                                     runtime).group(1).split()
        self.assertEqual([p for p in runtime_packages if p.endswith("-dev")], [])
        self.assertIn("ca-certificates", runtime_packages)
        self.assertNotIn("g++", runtime_packages)
        # The image runs what the chart runs: the same user, ports and entrypoint.
        self.assertIn('ENTRYPOINT ["/usr/local/bin/destination"]', runtime)
        self.assertIn("USER 65532:65532", runtime)
        self.assertIn("EXPOSE 8086 9996", runtime)

    def test_required_and_invalid_values_fail_with_their_message(self):
        cases = [
            (["source=manifests"],
             "source=manifests needs manifests.configMap (an existing ConfigMap of manifest files) or manifests.files"),
            (["source=kube"], 'source must be kubernetes or manifests, not "kube"'),
            (["clusterDomain="], "clusterDomain must not be empty"),
            (["shutdownGraceSeconds=2.5"], "expected a whole number of seconds"),
            (["replicas=2", "highAvailability.antiAffinity=sometimes"], "antiAffinity must be soft or hard"),
        ]
        for sets, message in cases:
            with self.subTest(sets=sets):
                code, out, err = render(sets=sets)
                self.assertEqual(code, 1, out)
                self.assertIn(message, err)
                self.assertEqual(out.strip(), "", "nothing is rendered when a value is refused")


if __name__ == "__main__":
    unittest.main()
