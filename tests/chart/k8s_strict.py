#!/usr/bin/python3
"""k8s_strict: a strict, offline validator of Kubernetes manifests (test tool).

Usage:
    /usr/bin/python3 tests/chart/k8s_strict.py [--crd FILE]... [--allow-kind GROUP/VERSION/KIND]... FILE...

FILE is a multi-document YAML stream (e.g. `helm template` output); `-` reads
stdin.  Needs Debian's python3-kubernetes (client 22.6.0 = Kubernetes 1.22 API
models) and python3-yaml; no network, no cluster.

Output: one line per document, `ok   Kind/name (source)` or `FAIL Kind/name
(source)` followed by indented errors; `warn Kind/name: ...` lines; then
`k8s_strict: N documents, M errors`.  Exit 0 = clean, 1 = validation errors,
2 = usage, I/O or YAML parse errors.

How a document is checked
-------------------------
* apiVersion/kind are mapped to a client model class through the generated API
  client: group `apps`, version `v1` -> `AppsV1Api`; kind `Deployment` -> its
  `create_namespaced_deployment` (or `create_<kind>` for cluster-scoped kinds)
  whose docstring says `create a Deployment` and `:param V1Deployment body:`.
  So `v1/Deployment` is rejected (CoreV1Api does not serve it), and the scope
  (namespaced or not) is known.
* Strict walk over the model's `openapi_types`/`attribute_map`: unknown field,
  wrong type, missing required field, null list items / map values are errors.
  Required fields are found by calling each property setter with None on an
  instance whose configuration has client_side_validation=True (the generated
  setters raise ValueError("... must not be `None`") for required fields).
  Per-class rules are the `hook_<ModelClass>` methods, per-kind rules the
  `doc_<Kind>` methods, cross-document rules `cross_check`.
* Type rules: str; int (bool and floats rejected: a float literal such as
  `1e+06` in an int field is reported "1e+06 is a float; quote or format it");
  float (int accepted); bool; datetime (RFC 3339 string); list[T];
  dict(str, T); nested models; `object` = any JSON value, except the documented
  special cases in INT_OR_STRING, QUANTITY_MAPS/QUANTITY_SCALARS and
  OBJECT_FIELDS below.
* YAML is read like Kubernetes reads it (sigs.k8s.io/yaml = go-yaml v2, YAML
  1.1): timestamps stay strings, `1e+06`/`1e6` are floats, `y`/`n`/`yes`/`on`
  are booleans, no sexagesimal ints; duplicate mapping keys are errors
  (go-yaml v2 rejects them); non-string keys are converted to strings with a
  warning.
* Speed: only the model modules a document needs are imported (importing
  kubernetes.client would load all 525 models and 60 API modules, ~0.5 s),
  and libyaml parses when available: ~0.3 s for 30 documents, most of it
  interpreter start-up.

Semantic rules (what the API server or kubelet enforces, small and listed):
  S1  metadata.name present; DNS-1123 subdomain (Service: DNS-1035 label,
      Namespace: DNS-1123 label, RBAC kinds: path segment); metadata.namespace
      a DNS-1123 label; warn on a namespace for a cluster-scoped kind.
  S2  label keys (optional DNS subdomain prefix + name <= 63) and values
      (<= 63, alphanumeric ends) in every ObjectMeta, LabelSelector.matchLabels
      and Service spec.selector; annotation keys; matchExpressions operators.
  S3  container port names: IANA_SVC_NAME (<= 15 chars, a-z0-9-, a letter, no
      `--`), unique per container; port numbers 1..65535.
  S4  probe httpGet/tcpSocket named ports refer to a port name declared by the
      same container; a string IntOrString port must be an IANA_SVC_NAME
      ("8080" quoted is rejected by the API), a string percent IntOrString
      (maxSurge, minAvailable, ...) must look like "25%".
  S5  Deployment/StatefulSet/DaemonSet/ReplicaSet spec.selector matches
      spec.template.metadata.labels.
  S6  Service: spec.selector matches the pod labels of a workload in the
      documents (warning only if the documents contain no workload), named
      targetPorts are container port names of a matched workload; port names
      DNS-1123 labels, required and unique when there are several ports.
  S7  PodDisruptionBudget selector matches a workload's pod labels (warning if
      the documents contain no workload).
  S8  RoleBinding/ClusterRoleBinding: roleRef.apiGroup is
      rbac.authorization.k8s.io and kind Role/ClusterRole; roleRef names a
      Role/ClusterRole in the documents (warning if absent); ServiceAccount
      subjects exist in the documents (warning if absent), have apiGroup "" and,
      in a ClusterRoleBinding, a namespace.
  S9  resources: requests <= limits when both are given; quantities >= 0.
  S10 CustomResourceDefinition: metadata.name == plural.group, exactly one
      storage version, every version served and has schema.openAPIV3Schema,
      unique version names, structural `type`s present, root type object;
      warn when version schemas differ without a Webhook conversion.
  S11 ServiceMonitor: endpoints[].port names a port of a Service its selector
      matches (warning if it matches no Service in the documents).
  S12 warning for two documents describing the same object.

CRDs: `--crd FILE` loads apiextensions.k8s.io/v1 CustomResourceDefinitions;
CRDs among the FILE documents are loaded too (and validated).  A custom
resource is checked against its version's openAPIV3Schema by a small
structural-schema validator (type, properties, required, items,
additionalProperties, enum, pattern, min/max, min/maxLength, min/maxItems,
format int32/int64, x-kubernetes-int-or-string, x-kubernetes-preserve-
unknown-fields, x-kubernetes-embedded-resource, nullable, anyOf/oneOf/allOf/
not); like `kubectl --validate=strict`, a field the API server would prune is
an error.  apiVersion/kind/metadata are implicit at the root; metadata is
checked as an ObjectMeta.

Built-in hand schema: monitoring.coreos.com/v1 ServiceMonitor (a strict SUBSET
of the Prometheus operator CRD, see SERVICE_MONITOR_SCHEMA); a --crd for it
takes precedence.  `--allow-kind G/V/K` (core group: `v1/Kind`) checks only
apiVersion, kind and metadata of that kind and prints a warning.

Known gaps: no defaulting, no admission/webhook logic, no field immutability;
RE2 patterns are run with Python's re; string formats other than int32/int64
are not checked; CEL/x-kubernetes-validations (not in 1.22) ignored;
`kind: List` is not unpacked; cross-document rules match namespaces loosely
(an unset namespace matches any); int-range checks only for ports.
"""

import argparse
import decimal
import difflib
import importlib
import importlib.util
import os
import re
import sys
import types

_INSTALL = ('k8s_strict: needs Debian\'s python3-kubernetes and python3-yaml:\n'
            '    apt-get install python3-kubernetes python3-yaml\n')
try:
    import yaml
    _KSPEC = importlib.util.find_spec('kubernetes')   # locates, does not import
    if _KSPEC is None or not _KSPEC.submodule_search_locations:
        raise ImportError('No module named kubernetes')
except ImportError as _e:  # pragma: no cover - environment problem
    sys.stderr.write('k8s_strict: %s\n%s' % (_e, _INSTALL))
    sys.exit(2)


# ----------------------------------------------------------------------------
# Access to the kubernetes client.  `import kubernetes.client` imports all 525
# model and 60 API modules (~0.5 s); a chart needs a few dozen models.  So the
# package directories are registered as bare packages (unless the real package
# is already imported) and model modules are imported one by one, located via
# the `from kubernetes.client.models.x import X` lines of models/__init__.py.
# The API classes are only needed for their docstrings, read from source.

_KROOT = _KSPEC.submodule_search_locations[0]


class _ValidatingConfiguration(object):
    """Stands in for kubernetes.client.configuration.Configuration (whose
    import pulls in urllib3, ~0.2 s): the model setters only read
    `local_vars_configuration.client_side_validation`."""
    client_side_validation = True


def _bare_packages():
    if 'kubernetes' in sys.modules:      # the real client is already imported
        return
    for name, sub in (('kubernetes', ()), ('kubernetes.client', ('client',)),
                      ('kubernetes.client.models', ('client', 'models'))):
        mod = types.ModuleType(name)
        mod.__path__ = [os.path.join(_KROOT, *sub)]
        mod.__package__ = name
        sys.modules[name] = mod
    conf = types.ModuleType('kubernetes.client.configuration')
    conf.Configuration = _ValidatingConfiguration
    sys.modules[conf.__name__] = conf


def _index(sub, pkg):
    with open(os.path.join(_KROOT, 'client', sub, '__init__.py'), encoding='utf-8') as f:
        text = f.read()
    return {cls: mod for mod, cls in re.findall(
        r'^from kubernetes\.client\.%s\.(\w+) import (\w+)$' % pkg, text, re.M)}


try:
    _MODEL_MODULES = _index('models', 'models')     # class name -> module name
    _API_MODULES = _index('api', 'api')
    _bare_packages()
except (ImportError, OSError) as _e:  # pragma: no cover - environment problem
    sys.stderr.write('k8s_strict: %s\n%s' % (_e, _INSTALL))
    sys.exit(2)
if not _MODEL_MODULES or not _API_MODULES:  # pragma: no cover
    sys.stderr.write('k8s_strict: unexpected kubernetes client layout in %s\n' % _KROOT)
    sys.exit(2)


def model_names():
    return sorted(_MODEL_MODULES)


def model_class(name):
    """The client model class `name` (e.g. V1Deployment), or None."""
    mod = _MODEL_MODULES.get(name)
    if mod is None:
        return None
    return getattr(importlib.import_module('kubernetes.client.models.' + mod), name)


_API_SOURCE = {}


def api_method_doc(api_class, method):
    """The docstring of api_class.method, read from the generated source."""
    mod = _API_MODULES.get(api_class)
    if mod is None:
        return None
    src = _API_SOURCE.get(mod)
    if src is None:     # bytes: core_v1_api.py is 2 MB, decode only what is used
        with open(os.path.join(_KROOT, 'client', 'api', mod + '.py'), 'rb') as f:
            src = _API_SOURCE[mod] = f.read()
    i = src.find(b'\n    def %s(self' % method.encode())
    if i < 0:
        return None
    start = src.find(b'"""', i)
    end = src.find(b'"""', start + 3)
    return src[start + 3:end].decode('utf-8') if start >= 0 and end > start else None


# ----------------------------------------------------------------------------
# YAML loading, mirroring sigs.k8s.io/yaml (go-yaml v2) rather than PyYAML.

class YFloat(float):
    """A float that remembers its YAML spelling, so messages can quote `1e+06`."""

    def __new__(cls, value, text):
        obj = float.__new__(cls, value)
        obj.text = text
        return obj


_DROP_TAGS = {'tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:float',
              'tag:yaml.org,2002:int', 'tag:yaml.org,2002:bool',
              'tag:yaml.org,2002:value'}


# libyaml's parser when available (PyYAML's pure-Python one is the slow part);
# tag resolution and construction are Python either way, so both behave alike.
_BaseLoader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class _Loader(_BaseLoader):
    # go-yaml v2 also reads y/Y/n/N as booleans.
    bool_values = dict(yaml.SafeLoader.bool_values, y=True, n=False)

    def __init__(self, stream):
        super().__init__(stream)
        self.dup_errors = []

    def construct_mapping(self, node, deep=False):
        # go-yaml v2 (>= 2.1) rejects duplicate keys ("mapping key "env" already
        # defined"); PyYAML silently keeps the last one.  Merge keys are fine.
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == 'tag:yaml.org,2002:merge':
                    continue
                ident = (key.tag, key.value)
                if ident in seen:
                    self.dup_errors.append('line %d: duplicate mapping key "%s" (first at line %d)'
                                           % (key.start_mark.line + 1, key.value, seen[ident]))
                else:
                    seen[ident] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_float(self, node):
        return YFloat(super().construct_yaml_float(node), node.value)


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in lst if tag not in _DROP_TAGS]
    for ch, lst in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:bool',
    re.compile(r'^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE'
               r'|on|On|ON|off|Off|OFF)$'), list('yYnNtTfFoO'))
# YAML 1.1 ints without sexagesimal (go-yaml v2 has none); registered before
# floats so that plain integers win.
_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:int',
    re.compile(r'^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)'
               r'|[-+]?0x[0-9a-fA-F_]+)$'), list('-+0123456789'))
# go-yaml v2 floats: exponent without dot or sign (`1e6`, `1e+06`) included.
_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:float',
    re.compile(r'^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?'
               r'|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?'
               r'|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$'), list('-+0123456789.'))
_Loader.add_constructor('tag:yaml.org,2002:float', _Loader.construct_yaml_float)


class ParseError(Exception):
    pass


class Doc(object):
    def __init__(self, fname, line, source, data, yaml_errors):
        self.fname = fname
        self.line = line
        self.source = source
        self.data = data
        self.errors = list(yaml_errors)
        self.warnings = []
        self.kind = self.name = self.namespace = None
        self.api_version = None
        self.checked = False    # fully validated (not --allow-kind)

    def where(self):
        loc = '%s:%d' % (self.fname, self.line)
        return '%s, Source: %s' % (loc, self.source) if self.source else loc

    def label(self):
        return '%s/%s' % (self.kind or '<no kind>', self.name or '<no name>')

    def meta(self):
        return _d(self.data.get('metadata'))


def _norm_keys(obj, path, warnings):
    """Convert non-string keys the way sigs.k8s.io/yaml does, with a warning."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                sk = ('true' if k else 'false') if isinstance(k, bool) else \
                     'null' if k is None else getattr(k, 'text', str(k))
                warnings.append('%s: key %s is a %s, Kubernetes reads it as "%s"; quote it'
                                % (path or '<root>', sk, type(k).__name__, sk))
                k = sk
            out[k] = _norm_keys(v, _join(path, k), warnings)
        return out
    if isinstance(obj, list):
        return [_norm_keys(v, '%s[%d]' % (path, i), warnings) for i, v in enumerate(obj)]
    return obj


_SOURCE_RE = re.compile(r'^#\s*Source:\s*(.+?)\s*$')


def parse_stream(text, fname):
    """Returns the non-empty documents of a YAML stream as Doc objects."""
    lines = text.splitlines()
    loader = _Loader(text)
    docs = []
    prev_end = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            loader.dup_errors = []
            data = loader.construct_document(node)
            start = node.start_mark.line
            source = None
            for i in range(min(start, len(lines)) - 1, prev_end - 1, -1):
                m = _SOURCE_RE.match(lines[i])
                if m:
                    source = m.group(1)
                    break
            prev_end = node.end_mark.line
            if data is None:
                continue
            warnings = []
            data = _norm_keys(data, '', warnings)
            doc = Doc(fname, start + 1, source, data, ['yaml: ' + e for e in loader.dup_errors])
            doc.warnings.extend(warnings)
            docs.append(doc)
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None) or getattr(e, 'context_mark', None)
        if mark is None:
            raise ParseError('%s: YAML parse error: %s' % (fname, str(e).replace('\n', ' ')))
        what = getattr(e, 'problem', None) or 'invalid YAML'
        if getattr(e, 'context', None):
            cm = getattr(e, 'context_mark', None)
            what += ' (%s%s)' % (e.context, ' at line %d' % (cm.line + 1) if cm else '')
        raise ParseError('%s:%d:%d: YAML parse error: %s' % (fname, mark.line + 1, mark.column + 1, what))
    finally:
        loader.dispose()
    return docs


# ----------------------------------------------------------------------------
# Small helpers.

def _d(x):
    return x if isinstance(x, dict) else {}


def _l(x):
    return x if isinstance(x, list) else []


_SIMPLE_KEY = re.compile(r'^[A-Za-z_$][A-Za-z0-9_$-]*$')


def _join(path, key):
    key = str(key)
    if _SIMPLE_KEY.match(key):
        return '%s.%s' % (path, key) if path else key
    return '%s["%s"]' % (path, key)


def describe(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'bool %s' % ('true' if v else 'false')
    if isinstance(v, int):
        return 'int %d' % v
    if isinstance(v, float):
        return 'float %s' % getattr(v, 'text', repr(v))
    if isinstance(v, str):
        return 'string "%s"' % (v if len(v) <= 40 else v[:37] + '...')
    if isinstance(v, list):
        return 'list'
    if isinstance(v, dict):
        return 'object'
    return type(v).__name__


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _float_msg(v, expected):
    return '%s is a float; quote or format it (expected %s)' % (getattr(v, 'text', repr(v)), expected)


DNS1123_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
DNS1123_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
DNS1035_LABEL = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
QUALIFIED_NAME = re.compile(r'^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$')
RFC3339 = re.compile(r'^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$')
PERCENT = re.compile(r'^[0-9]+%$')


def check_dns1123_label(s):
    if len(s) > 63:
        return 'must be no more than 63 characters'
    if not DNS1123_LABEL.match(s):
        return 'must be a DNS-1123 label (lowercase alphanumerics and "-", alphanumeric ends)'
    return None


def check_dns1123_subdomain(s):
    if len(s) > 253:
        return 'must be no more than 253 characters'
    if not DNS1123_SUBDOMAIN.match(s):
        return ('must be a DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", '
                'alphanumeric ends)')
    return None


def check_dns1035_label(s):
    if len(s) > 63:
        return 'must be no more than 63 characters'
    if not DNS1035_LABEL.match(s):
        return ('must be a DNS-1035 label (lowercase alphanumerics and "-", starting with a '
                'letter, alphanumeric end)')
    return None


def check_path_segment(s):
    if s in ('.', '..'):
        return 'may not be "." or ".."'
    if '/' in s or '%' in s:
        return 'may not contain "/" or "%"'
    return None


def check_qualified_name(s):
    """Label / annotation key syntax: [prefix/]name."""
    prefix, _, name = s.rpartition('/')
    if '/' in s:
        if not prefix:
            return 'prefix part must be non-empty'
        err = check_dns1123_subdomain(prefix)
        if err:
            return 'prefix part ' + err
    if not name:
        return 'name part must be non-empty'
    if len(name) > 63:
        return 'name part must be no more than 63 characters'
    if not QUALIFIED_NAME.match(name):
        return ('name part must consist of alphanumerics, "-", "_" or ".", '
                'with alphanumeric ends')
    return None


def check_label_value(s):
    if len(s) > 63:
        return 'must be no more than 63 characters'
    if s and not QUALIFIED_NAME.match(s):
        return 'must be empty or alphanumerics, "-", "_" or "." with alphanumeric ends'
    return None


def check_iana_svc_name(s):
    if len(s) > 15:
        return 'must be no more than 15 characters (IANA_SVC_NAME)'
    if not re.match(r'^[-a-z0-9]+$', s):
        return 'must contain only lowercase alphanumerics and "-" (IANA_SVC_NAME)'
    if not re.search(r'[a-z]', s):
        return 'must contain at least one letter (IANA_SVC_NAME)'
    if '--' in s or s.startswith('-') or s.endswith('-'):
        return 'must not contain "--" or start/end with "-" (IANA_SVC_NAME)'
    return None


# Kubernetes resource.Quantity: <signed number><suffix>, suffix one of the
# binary SI (Ki..Ei), decimal SI (n u m "" k M G T P E) or an exponent (e3).
_QTY_RE = re.compile(r'^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))'
                     r'(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$')
_QTY_MULT = {None: 1, 'n': decimal.Decimal('1e-9'), 'u': decimal.Decimal('1e-6'),
             'm': decimal.Decimal('1e-3'), 'k': 10 ** 3, 'M': 10 ** 6, 'G': 10 ** 9,
             'T': 10 ** 12, 'P': 10 ** 15, 'E': 10 ** 18, 'Ki': 2 ** 10, 'Mi': 2 ** 20,
             'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60}


def parse_quantity(v):
    """Returns a Decimal, or None if v is not a quantity."""
    if _is_num(v):
        return decimal.Decimal(repr(float(v))) if isinstance(v, float) else decimal.Decimal(v)
    if not isinstance(v, str):
        return None
    m = _QTY_RE.match(v)
    if not m:
        return None
    num = decimal.Decimal(m.group(1))
    if m.group(2):
        return num * decimal.Decimal('1' + m.group(2).lower())
    return num * decimal.Decimal(_QTY_MULT[m.group(3)])


# ----------------------------------------------------------------------------
# Model metadata: required fields and the special cases of `object` typing.

# IntOrString fields (typed `object` in the python models).  The value says how
# a string is validated by the API server: 'port' = IANA_SVC_NAME (a named
# port; a quoted "8080" is rejected), 'percent' = "<n>%".
INT_OR_STRING = {
    ('V1HTTPGetAction', 'port'): 'port',
    ('V1TCPSocketAction', 'port'): 'port',
    ('V1ServicePort', 'target_port'): 'port',
    ('V1NetworkPolicyPort', 'port'): 'port',
    ('V1PodDisruptionBudgetSpec', 'min_available'): 'percent',
    ('V1PodDisruptionBudgetSpec', 'max_unavailable'): 'percent',
    ('V1beta1PodDisruptionBudgetSpec', 'min_available'): 'percent',
    ('V1beta1PodDisruptionBudgetSpec', 'max_unavailable'): 'percent',
    ('V1RollingUpdateDeployment', 'max_surge'): 'percent',
    ('V1RollingUpdateDeployment', 'max_unavailable'): 'percent',
    ('V1RollingUpdateDaemonSet', 'max_surge'): 'percent',
    ('V1RollingUpdateDaemonSet', 'max_unavailable'): 'percent',
}

# Resource quantities: typed `dict(str, str)` / `str` in the models, but the
# API (resource.Quantity) also accepts JSON numbers.  Accept int/float/str and
# check that strings parse as quantities.
QUANTITY_MAPS = {
    ('V1ResourceRequirements', 'limits'), ('V1ResourceRequirements', 'requests'),
    ('V1PodSpec', 'overhead'), ('V1Overhead', 'pod_fixed'),
    ('V1alpha1Overhead', 'pod_fixed'), ('V1beta1Overhead', 'pod_fixed'),
    ('V1ResourceQuotaSpec', 'hard'), ('V1PersistentVolumeSpec', 'capacity'),
    ('V1LimitRangeItem', 'default'), ('V1LimitRangeItem', 'default_request'),
    ('V1LimitRangeItem', 'max'), ('V1LimitRangeItem', 'min'),
    ('V1LimitRangeItem', 'max_limit_request_ratio'),
}
QUANTITY_SCALARS = {
    ('V1EmptyDirVolumeSource', 'size_limit'), ('V1ResourceFieldSelector', 'divisor'),
    ('V1alpha1CSIStorageCapacity', 'capacity'), ('V1alpha1CSIStorageCapacity', 'maximum_volume_size'),
    ('V1beta1CSIStorageCapacity', 'capacity'), ('V1beta1CSIStorageCapacity', 'maximum_volume_size'),
    ('V2beta1ExternalMetricSource', 'target_average_value'),
    ('V2beta1ExternalMetricSource', 'target_value'),
    ('V2beta1ObjectMetricSource', 'average_value'), ('V2beta1ObjectMetricSource', 'target_value'),
    ('V2beta1PodsMetricSource', 'target_average_value'),
    ('V2beta2MetricTarget', 'average_value'), ('V2beta2MetricTarget', 'value'),
}

# The other `object` fields.  V1JSONSchemaProps: `items` is a schema or a list
# of schemas, `additionalProperties`/`additionalItems` a bool or a schema;
# some fields must be JSON objects; the rest (ANY_OBJECT_FIELDS, plus
# anything unlisted) accept any JSON value.
OBJECT_FIELDS = {
    ('V1JSONSchemaProps', 'items'): 'schema|schemas',
    ('V1JSONSchemaProps', 'additional_properties'): 'bool|schema',
    ('V1JSONSchemaProps', 'additional_items'): 'bool|schema',
    ('V1CustomResourceSubresources', 'status'): 'map',
    ('V1ManagedFieldsEntry', 'fields_v1'): 'map',
    ('V1alpha1StorageVersion', 'spec'): 'map',
}
ANY_OBJECT_FIELDS = {
    ('V1ControllerRevision', 'data'), ('V1JSONSchemaProps', 'default'),
    ('V1JSONSchemaProps', 'example'), ('V1WatchEvent', 'object'),
}

_CONFIG = _ValidatingConfiguration()
_NONE_RE = re.compile(r'Invalid value for `(\w+)`, must not be `None`')


def required_attrs(cls):
    """Python attribute names of the required fields of a model class.

    The generated setters raise ValueError("Invalid value for `x`, must not be
    `None`") for required fields when client_side_validation is on; the
    instance is made without __init__ and each setter is called with None."""
    inst = cls.__new__(cls)
    inst.local_vars_configuration = _CONFIG
    req = []
    for attr in cls.openapi_types:
        try:
            setattr(inst, attr, None)
        except ValueError as e:
            if _NONE_RE.search(str(e)):
                req.append(attr)
    return req


class ClassInfo(object):
    def __init__(self, name):
        cls = model_class(name)
        self.name = name
        self.fields = {}     # json name -> (attr, effective type)
        for attr, typ in cls.openapi_types.items():
            self.fields[cls.attribute_map[attr]] = (attr, effective_type(name, attr, typ))
        self.required = [cls.attribute_map[a] for a in required_attrs(cls)]


def effective_type(cls_name, attr, typ):
    key = (cls_name, attr)
    if key in INT_OR_STRING:
        return 'intorstr:' + INT_OR_STRING[key]
    if key in QUANTITY_MAPS:
        return 'dict(str, quantity)'
    if key in QUANTITY_SCALARS:
        return 'quantity'
    if key in OBJECT_FIELDS:
        return OBJECT_FIELDS[key]
    return typ


_CLASS_CACHE = {}


def class_info(name):
    info = _CLASS_CACHE.get(name)
    if info is None:
        info = _CLASS_CACHE[name] = ClassInfo(name)
    return info


def split_api_version(api_version):
    group, _, version = api_version.rpartition('/')
    return group, version


def _snake(kind):
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', kind).lower()


_GVK_CACHE = {}


def resolve_builtin(api_version, kind):
    """(model class name, namespaced) for a Kubernetes 1.22 built-in kind.

    group `apps`, version `v1` -> AppsV1Api; kind Deployment -> its method
    create_namespaced_deployment (or create_<kind> if cluster-scoped) whose
    docstring says "create a Deployment" and ":param V1Deployment body:".

    Returns (None, reason) if the group/version or kind is not built in."""
    key = (api_version, kind)
    if key in _GVK_CACHE:
        return _GVK_CACHE[key]
    group, version = split_api_version(api_version)
    g = 'Core' if not group else ''.join(
        p[:1].upper() + p[1:] for p in re.sub(r'\.k8s\.io$', '', group).split('.'))
    api_cls = '%s%sApi' % (g, version[:1].upper() + version[1:])
    result = (None, '%s is not a Kubernetes 1.22 API group/version' % api_version)
    if api_cls in _API_MODULES and re.match(r'^v\d+((alpha|beta)\d+)?$', version):
        result = (None, '%s is not a kind served by %s' % (kind, api_version))
        for namespaced, meth in ((True, 'create_namespaced_' + _snake(kind)),
                                 (False, 'create_' + _snake(kind))):
            doc = api_method_doc(api_cls, meth) or ''
            m = re.search(r':param (\w+) body:', doc)
            said = re.search(r'create (?:an? )?(\w+)  #', doc)
            if m and said and said.group(1) == kind and m.group(1) in _MODEL_MODULES:
                result = (m.group(1), namespaced)
                break
    _GVK_CACHE[key] = result
    return result


# ----------------------------------------------------------------------------
# Label selectors.

def selector_matches(sel, labels):
    """LabelSelector {matchLabels, matchExpressions} against a label map."""
    sel = _d(sel)
    for k, v in _d(sel.get('matchLabels')).items():
        if labels.get(k) != v:
            return False
    for e in _l(sel.get('matchExpressions')):
        e = _d(e)
        key, op, vals = e.get('key'), e.get('operator'), _l(e.get('values'))
        if op == 'In' and labels.get(key) not in vals:
            return False
        if op == 'NotIn' and key in labels and labels[key] in vals:
            return False
        if op == 'Exists' and key not in labels:
            return False
        if op == 'DoesNotExist' and key in labels:
            return False
    return True


def map_selector_matches(sel, labels):
    """A plain map selector (Service spec.selector) against a label map."""
    return all(labels.get(k) == v for k, v in sel.items())


def _fmt_labels(m):
    return '{' + ', '.join('%s: %s' % (k, v) for k, v in sorted(m.items(), key=str)) + '}'


# ----------------------------------------------------------------------------
# Structural schema validation (CRDs and the hand-written schemas).

_JSON_TYPES = ('object', 'array', 'string', 'integer', 'number', 'boolean')


def _type_ok(v, t):
    if t == 'object':
        return isinstance(v, dict)
    if t == 'array':
        return isinstance(v, list)
    if t == 'string':
        return isinstance(v, str)
    if t == 'integer':
        return _is_int(v)
    if t == 'number':
        return _is_num(v)
    if t == 'boolean':
        return isinstance(v, bool)
    return True


def schema_check(v, s, path, errs, prune=True):
    """Validates value v against structural schema s (a dict); appends
    'path: message' strings to errs.  prune=False inside anyOf/oneOf/allOf/not
    branches, which validate values but do not declare fields."""
    if not isinstance(s, dict):
        return
    p = path or '<root>'
    if v is None:
        if not s.get('nullable'):
            errs.append('%s: null is not allowed (nullable is not set)' % p)
        return
    t = s.get('type')
    if s.get('x-kubernetes-int-or-string'):
        if isinstance(v, float):
            errs.append('%s: %s' % (p, _float_msg(v, 'integer or string')))
            return
        if not (_is_int(v) or isinstance(v, str)):
            errs.append('%s: expected integer or string, got %s' % (p, describe(v)))
            return
    elif t in _JSON_TYPES and not _type_ok(v, t):
        if t == 'integer' and isinstance(v, float):
            errs.append('%s: %s' % (p, _float_msg(v, 'integer')))
        else:
            hint = '; quote it' if t == 'string' and (_is_num(v) or isinstance(v, bool)) else ''
            errs.append('%s: expected %s, got %s%s' % (p, t, describe(v), hint))
        return
    if 'enum' in s and isinstance(s['enum'], list) and v not in s['enum']:
        errs.append('%s: %s is not one of %s' % (p, describe(v), s['enum']))
    if isinstance(v, str):
        pat = s.get('pattern')
        if isinstance(pat, str):
            try:
                if not re.search(pat, v):
                    errs.append('%s: "%s" does not match pattern %s' % (p, v, pat))
            except re.error:
                pass
        if _is_int(s.get('maxLength')) and len(v) > s['maxLength']:
            errs.append('%s: longer than maxLength %d' % (p, s['maxLength']))
        if _is_int(s.get('minLength')) and len(v) < s['minLength']:
            errs.append('%s: shorter than minLength %d' % (p, s['minLength']))
    if _is_num(v):
        fmt = s.get('format')
        bits = {'int32': 31, 'int64': 63}.get(fmt)
        if bits and _is_int(v) and not -2 ** bits <= v < 2 ** bits:
            errs.append('%s: %d out of %s range' % (p, v, fmt))
        mn, mx = s.get('minimum'), s.get('maximum')
        if _is_num(mn) and (v < mn or s.get('exclusiveMinimum') and v == mn):
            errs.append('%s: %s is less than the minimum %s' % (p, v, mn))
        if _is_num(mx) and (v > mx or s.get('exclusiveMaximum') and v == mx):
            errs.append('%s: %s is greater than the maximum %s' % (p, v, mx))
    if isinstance(v, list):
        if _is_int(s.get('maxItems')) and len(v) > s['maxItems']:
            errs.append('%s: more than maxItems %d' % (p, s['maxItems']))
        if _is_int(s.get('minItems')) and len(v) < s['minItems']:
            errs.append('%s: fewer than minItems %d' % (p, s['minItems']))
        items = s.get('items')
        for i, item in enumerate(v):
            sub = '%s[%d]' % (path, i)
            if isinstance(items, dict):
                schema_check(item, items, sub, errs, prune)
            elif isinstance(items, list) and i < len(items):
                schema_check(item, items[i], sub, errs, prune)
    if isinstance(v, dict):
        props = _d(s.get('properties'))
        addl = s.get('additionalProperties')
        preserve = s.get('x-kubernetes-preserve-unknown-fields') is True
        embedded = s.get('x-kubernetes-embedded-resource') is True
        present = set()
        for k, val in v.items():
            sub = _join(path, k)
            if k in props:
                sch = _d(props[k])
                # Kubernetes prunes null for non-nullable fields: it is "absent".
                if val is None and not sch.get('nullable'):
                    continue
                schema_check(val, sch, sub, errs, prune)
            elif isinstance(addl, dict):
                schema_check(val, addl, sub, errs, prune)
            elif embedded and k in ('apiVersion', 'kind', 'metadata'):
                pass
            elif addl is True or preserve or not prune:
                pass
            else:
                hint = difflib.get_close_matches(k, list(props), 1)
                errs.append('%s: unknown field%s' % (sub, ' (did you mean %s?)' % hint[0] if hint else ''))
                continue
            present.add(k)
        for r in _l(s.get('required')):
            if r not in present and r not in v:
                errs.append('%s: required field missing' % _join(path, r))
    for kw in ('anyOf', 'oneOf'):
        branches = [b for b in _l(s.get(kw)) if isinstance(b, dict)]
        if branches:
            results = []
            for b in branches:
                e = []
                schema_check(v, b, path, e, prune=False)
                results.append(e)
            ok = sum(1 for e in results if not e)
            if kw == 'anyOf' and ok == 0:
                errs.append('%s: matches none of the anyOf schemas (%s)' % (p, results[0][0]))
            if kw == 'oneOf' and ok != 1:
                errs.append('%s: must match exactly one oneOf schema, matches %d' % (p, ok))
    for b in _l(s.get('allOf')):
        schema_check(v, b, path, errs, prune=False)
    if isinstance(s.get('not'), dict):
        e = []
        schema_check(v, s['not'], path, e, prune=False)
        if not e:
            errs.append('%s: must not match the "not" schema' % p)


def schema_structure_errors(s, path, errs):
    """Structural-schema sanity for a CRD version schema (subset of the API's
    rules): known `type` values, and a `type` for every property / item /
    additionalProperties node unless int-or-string or preserve-unknown-fields."""
    if not isinstance(s, dict):
        return
    t = s.get('type')
    if t is not None and t not in _JSON_TYPES:
        errs.append('%s.type: "%s" is not one of %s' % (path, t, ', '.join(_JSON_TYPES)))
    children = [(_join(_join(path, 'properties'), k), c) for k, c in _d(s.get('properties')).items()]
    if isinstance(s.get('items'), dict):
        children.append((path + '.items', s['items']))
    if isinstance(s.get('additionalProperties'), dict):
        children.append((path + '.additionalProperties', s['additionalProperties']))
    for cpath, c in children:
        if isinstance(c, dict) and not c.get('type') and not c.get('x-kubernetes-int-or-string') \
                and not c.get('x-kubernetes-preserve-unknown-fields'):
            errs.append('%s.type: must not be empty for a structural schema' % cpath)
        schema_structure_errors(c, cpath, errs)


# ServiceMonitor (monitoring.coreos.com/v1): hand-written strict SUBSET of the
# Prometheus operator CRD.  Fields not listed here are reported as unknown;
# tlsConfig/basicAuth/authorization/oauth2 are accepted without checking.
_STR = {'type': 'string'}
_STRS = {'type': 'array', 'items': _STR}
_ANYOBJ = {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}
_DURATION = {'type': 'string',
             'pattern': r'^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?'
                        r'(([0-9]+)s)?(([0-9]+)ms)?)$'}
_LABEL_SELECTOR = {
    'type': 'object',
    'properties': {
        'matchLabels': {'type': 'object', 'additionalProperties': _STR},
        'matchExpressions': {'type': 'array', 'items': {
            'type': 'object', 'required': ['key', 'operator'],
            'properties': {'key': _STR, 'values': _STRS,
                           'operator': {'type': 'string',
                                        'enum': ['In', 'NotIn', 'Exists', 'DoesNotExist']}}}},
    },
}
_SECRET_KEY = {'type': 'object', 'required': ['key'],
               'properties': {'key': _STR, 'name': _STR, 'optional': {'type': 'boolean'}}}
_RELABEL = {'type': 'object', 'properties': {
    'sourceLabels': _STRS, 'separator': _STR, 'targetLabel': _STR, 'regex': _STR,
    'modulus': {'type': 'integer', 'format': 'int64'}, 'replacement': _STR,
    'action': {'type': 'string', 'enum': [
        'replace', 'Replace', 'keep', 'Keep', 'drop', 'Drop', 'hashmod', 'HashMod',
        'labelmap', 'LabelMap', 'labeldrop', 'LabelDrop', 'labelkeep', 'LabelKeep']}}}
_ENDPOINT = {'type': 'object', 'properties': {
    'port': _STR,
    'targetPort': {'x-kubernetes-int-or-string': True,
                   'anyOf': [{'type': 'integer'}, {'type': 'string'}]},
    'path': _STR,
    'scheme': {'type': 'string', 'enum': ['http', 'https']},
    'params': {'type': 'object', 'additionalProperties': _STRS},
    'interval': _DURATION, 'scrapeTimeout': _DURATION,
    'honorLabels': {'type': 'boolean'}, 'honorTimestamps': {'type': 'boolean'},
    'relabelings': {'type': 'array', 'items': _RELABEL},
    'metricRelabelings': {'type': 'array', 'items': _RELABEL},
    'bearerTokenFile': _STR, 'bearerTokenSecret': _SECRET_KEY, 'proxyUrl': _STR,
    'followRedirects': {'type': 'boolean'}, 'enableHttp2': {'type': 'boolean'},
    'filterRunning': {'type': 'boolean'},
    'tlsConfig': _ANYOBJ, 'basicAuth': _ANYOBJ, 'authorization': _ANYOBJ, 'oauth2': _ANYOBJ,
}}
SERVICE_MONITOR_SCHEMA = {
    'type': 'object', 'required': ['spec'],
    'properties': {'spec': {
        'type': 'object', 'required': ['endpoints', 'selector'],
        'properties': {
            'selector': _LABEL_SELECTOR,
            'namespaceSelector': {'type': 'object', 'properties': {
                'any': {'type': 'boolean'}, 'matchNames': _STRS}},
            'jobLabel': _STR, 'targetLabels': _STRS, 'podTargetLabels': _STRS,
            'endpoints': {'type': 'array', 'items': _ENDPOINT},
            'sampleLimit': {'type': 'integer', 'format': 'int64', 'minimum': 0},
            'targetLimit': {'type': 'integer', 'format': 'int64', 'minimum': 0},
            'labelLimit': {'type': 'integer', 'format': 'int64', 'minimum': 0},
            'labelNameLengthLimit': {'type': 'integer', 'format': 'int64', 'minimum': 0},
            'labelValueLengthLimit': {'type': 'integer', 'format': 'int64', 'minimum': 0},
            'attachMetadata': {'type': 'object', 'properties': {'node': {'type': 'boolean'}}},
        }}},
}
HAND_SCHEMAS = {
    ('monitoring.coreos.com', 'v1', 'ServiceMonitor'): (SERVICE_MONITOR_SCHEMA, True),
}


# ----------------------------------------------------------------------------
# The validator.

WORKLOAD_KINDS = ('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet')
RBAC_KINDS = ('Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding')
RBAC_GROUP = 'rbac.authorization.k8s.io'


class CrdVersion(object):
    def __init__(self, crd_name, schema, namespaced, served):
        self.crd_name = crd_name
        self.schema = schema
        self.namespaced = namespaced
        self.served = served


class Validator(object):
    def __init__(self, allow_kinds=()):
        self.allow = set(allow_kinds)      # (apiVersion, kind)
        self.crds = {}                     # (group, version, kind) -> CrdVersion
        self.crd_kinds = {}                # (group, kind) -> crd name
        self.doc = None

    # -- CRD registry -------------------------------------------------------
    def add_crd(self, data):
        spec = _d(data.get('spec'))
        group = spec.get('group')
        kind = _d(spec.get('names')).get('kind')
        if not isinstance(group, str) or not isinstance(kind, str):
            return False
        name = _d(data.get('metadata')).get('name') or '%s.%s' % (kind, group)
        self.crd_kinds[(group, kind)] = name
        for v in _l(spec.get('versions')):
            v = _d(v)
            if isinstance(v.get('name'), str):
                schema = _d(_d(v.get('schema')).get('openAPIV3Schema'))
                self.crds[(group, v['name'], kind)] = CrdVersion(
                    name, schema, spec.get('scope') != 'Cluster', v.get('served') is not False)
        return True

    # -- reporting ------------------------------------------------------------
    def err(self, path, msg):
        self.doc.errors.append('%s: %s' % (path or '<root>', msg))

    def warn(self, path, msg):
        self.doc.warnings.append('%s: %s' % (path, msg) if path else msg)

    # -- per document ---------------------------------------------------------
    def validate(self, doc):
        self.doc = doc
        data = doc.data
        if not isinstance(data, dict):
            self.err('', 'document is a %s, not a mapping' % describe(data))
            return
        api_version, kind = data.get('apiVersion'), data.get('kind')
        if isinstance(kind, str):
            doc.kind = kind
        meta = doc.meta()
        if isinstance(meta.get('name'), str):
            doc.name = meta['name']
        if isinstance(meta.get('namespace'), str):
            doc.namespace = meta['namespace']
        for field, val in (('apiVersion', api_version), ('kind', kind)):
            if val is None:
                self.err(field, 'required field missing')
            elif not isinstance(val, str):
                self.err(field, 'expected string, got %s' % describe(val))
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return
        doc.api_version = api_version
        group, version = split_api_version(api_version)

        if (api_version, kind) in self.allow:
            if 'metadata' in data:
                self.walk_model('V1ObjectMeta', data['metadata'], 'metadata')
            self.check_name(kind, None)
            self.warn('', '%s %s allowed by --allow-kind: only apiVersion, kind and metadata '
                          'were checked' % (api_version, kind))
            return

        cls_name, scope = resolve_builtin(api_version, kind)
        if cls_name:
            doc.checked = True
            self.walk_model(cls_name, data, '')
            self.check_name(kind, scope)
            post = getattr(self, 'doc_' + kind, None)
            if post:
                post(data)
            return

        crd = self.crds.get((group, version, kind))
        hand = HAND_SCHEMAS.get((group, version, kind))
        if crd is None and hand is None and (group, kind) in self.crd_kinds:
            self.err('apiVersion', 'CustomResourceDefinition %s does not define version %s'
                     % (self.crd_kinds[(group, kind)], version))
            return
        if crd is not None or hand is not None:
            doc.checked = True
            if crd is not None:
                if not crd.served:
                    self.err('apiVersion', 'version %s of %s is not served' % (version, crd.crd_name))
                schema, namespaced = crd.schema, crd.namespaced
            else:
                schema, namespaced = hand
            if 'metadata' in data:
                self.walk_model('V1ObjectMeta', data['metadata'], 'metadata')
            self.check_name(kind, namespaced)
            body = {k: v for k, v in data.items() if k not in ('apiVersion', 'kind', 'metadata')}
            root = dict(schema)
            root['properties'] = {k: v for k, v in _d(schema.get('properties')).items()
                                  if k not in ('apiVersion', 'kind', 'metadata')}
            root['required'] = [r for r in _l(schema.get('required'))
                                if r not in ('apiVersion', 'kind', 'metadata')]
            schema_check(body, root, '', doc.errors)
            return

        self.err('apiVersion' if 'API group/version' in scope else 'kind',
                 '%s, and no loaded CRD serves %s %s (use --crd FILE or --allow-kind %s/%s)'
                 % (scope, api_version, kind, api_version, kind))

    def check_name(self, kind, namespaced):
        """S1: metadata.name / metadata.namespace syntax."""
        meta = self.doc.data.get('metadata')
        if not isinstance(meta, dict):
            if meta is None:
                self.err('metadata', 'required field missing')
            return
        name = meta.get('name')
        if name is None:
            self.err('metadata.name', 'required field missing (kubectl apply / helm need a name)')
        elif isinstance(name, str):
            if kind == 'Service':
                e = check_dns1035_label(name)
            elif kind == 'Namespace':
                e = check_dns1123_label(name)
            elif kind in RBAC_KINDS:
                e = check_path_segment(name) if name else 'must not be empty'
            else:
                e = check_dns1123_subdomain(name)
            if e:
                self.err('metadata.name', '"%s" %s' % (name, e))
        ns = meta.get('namespace')
        if isinstance(ns, str):
            e = check_dns1123_label(ns)
            if e:
                self.err('metadata.namespace', '"%s" %s' % (ns, e))
            if namespaced is False:
                self.warn('metadata.namespace', '%s is cluster-scoped; the namespace is ignored' % kind)

    # -- the strict model walk ------------------------------------------------
    def walk_model(self, cls_name, v, path):
        if not isinstance(v, dict):
            self.err(path, 'expected object (%s), got %s' % (cls_name, describe(v)))
            return
        info = class_info(cls_name)
        for k, val in v.items():
            f = info.fields.get(k)
            sub = _join(path, k)
            if f is None:
                hint = difflib.get_close_matches(k, list(info.fields), 1)
                self.err(sub, 'unknown field%s' % (' (did you mean %s?)' % hint[0] if hint else ''))
            elif val is not None:
                # null for an optional field is "absent" for the API server.
                self.check_type(val, f[1], sub)
        for r in info.required:
            if v.get(r) is None:
                self.err(_join(path, r), 'required field missing')
        hook = getattr(self, 'hook_' + cls_name, None)
        if hook:
            hook(v, path)

    def check_type(self, v, t, path):
        if v is None:
            self.err(path, 'null value (an empty template expression?); quote it or remove the key')
            return
        if t == 'str':
            if not isinstance(v, str):
                hint = '; quote it' if _is_num(v) or isinstance(v, bool) else ''
                if isinstance(v, bool):
                    hint = '; quote it (YAML reads yes/no/on/off/y/n/true/false as booleans)'
                self.err(path, 'expected string, got %s%s' % (describe(v), hint))
        elif t == 'int':
            if isinstance(v, float):
                self.err(path, _float_msg(v, 'int'))
            elif not _is_int(v):
                self.err(path, 'expected int, got %s' % describe(v))
        elif t == 'float':
            if not _is_num(v):
                self.err(path, 'expected number, got %s' % describe(v))
        elif t == 'bool':
            if not isinstance(v, bool):
                hint = '; unquote it' if v in ('true', 'false') else ''
                self.err(path, 'expected bool, got %s%s' % (describe(v), hint))
        elif t == 'datetime':
            if not isinstance(v, str) or not RFC3339.match(v):
                self.err(path, 'expected an RFC 3339 date-time string, got %s' % describe(v))
        elif t in ('object', 'any'):
            pass
        elif t == 'map':
            if not isinstance(v, dict):
                self.err(path, 'expected object, got %s' % describe(v))
        elif t == 'quantity':
            # Quantities: JSON numbers or strings that parse as quantities.
            q = parse_quantity(v)
            if q is None:
                self.err(path, '%s is not a valid quantity (e.g. 500m, 1.5, 128Mi, 1G)' % describe(v))
            elif q < 0:
                self.err(path, '%s must not be negative' % describe(v))
        elif t.startswith('intorstr:'):
            self.check_int_or_string(v, t[len('intorstr:'):], path)
        elif t == 'schema|schemas':
            if isinstance(v, list):
                for i, item in enumerate(v):
                    self.walk_model('V1JSONSchemaProps', item, '%s[%d]' % (path, i))
            else:
                self.walk_model('V1JSONSchemaProps', v, path)
        elif t == 'bool|schema':
            if not isinstance(v, bool):
                self.walk_model('V1JSONSchemaProps', v, path)
        elif t.startswith('list['):
            if not isinstance(v, list):
                self.err(path, 'expected list, got %s' % describe(v))
                return
            inner = t[5:-1]
            for i, item in enumerate(v):
                self.check_type(item, inner, '%s[%d]' % (path, i))
        elif t.startswith('dict(str, '):
            if not isinstance(v, dict):
                self.err(path, 'expected object (map of %s), got %s' % (t[10:-1], describe(v)))
                return
            inner = t[10:-1]
            for k, item in v.items():
                if item is None and inner in ('object', 'any'):
                    continue
                self.check_type(item, inner, _join(path, k))
        elif t in _MODEL_MODULES:
            self.walk_model(t, v, path)
        else:  # pragma: no cover - a model type this tool does not know
            raise RuntimeError('k8s_strict: unhandled model type %r at %s' % (t, path))

    def check_int_or_string(self, v, how, path):
        # IntOrString: an int, or a string (named port / percentage); nothing else.
        if isinstance(v, float):
            self.err(path, _float_msg(v, 'int or string'))
        elif _is_int(v):
            if how == 'port' and not 1 <= v <= 65535:
                self.err(path, 'port %d must be between 1 and 65535' % v)
            elif how == 'percent' and v < 0:
                self.err(path, 'must not be negative')
        elif isinstance(v, str):
            if how == 'port':
                e = check_iana_svc_name(v)
                if e:
                    self.err(path, 'named port "%s" %s%s' % (
                        v, e, '; write the number unquoted' if v.isdigit() else ''))
            elif not PERCENT.match(v):
                self.err(path, '"%s" must be an int or a percentage like "25%%"%s' % (
                    v, '; write the number unquoted' if v.isdigit() else ''))
        else:
            self.err(path, 'expected int or string (IntOrString), got %s' % describe(v))

    # -- hooks run after a model's fields were walked ----------------------
    def hook_V1ObjectMeta(self, v, path):
        """S2: label and annotation syntax."""
        labels = v.get('labels')
        if isinstance(labels, dict):
            self.check_labels(labels, _join(path, 'labels'))
        ann = v.get('annotations')
        if isinstance(ann, dict):
            size = 0
            for k, val in ann.items():
                e = check_qualified_name(k)
                if e:
                    self.err(_join(_join(path, 'annotations'), k), 'invalid annotation key: ' + e)
                size += len(k) + (len(val) if isinstance(val, str) else 0)
            if size > 256 * 1024:
                self.err(_join(path, 'annotations'), 'total size %d exceeds 256 KiB' % size)

    def check_labels(self, labels, path):
        for k, val in labels.items():
            sub = _join(path, k)
            e = check_qualified_name(k)
            if e:
                self.err(sub, 'invalid label key: ' + e)
            if isinstance(val, str):
                e = check_label_value(val)
                if e:
                    self.err(sub, 'invalid label value "%s": %s' % (val, e))

    def hook_V1LabelSelector(self, v, path):
        """S2: matchLabels syntax, matchExpressions operators and values."""
        ml = v.get('matchLabels')
        if isinstance(ml, dict):
            self.check_labels(ml, _join(path, 'matchLabels'))
        for i, e in enumerate(_l(v.get('matchExpressions'))):
            if not isinstance(e, dict):
                continue
            sub = '%s[%d]' % (_join(path, 'matchExpressions'), i)
            op, vals = e.get('operator'), e.get('values')
            if op in ('In', 'NotIn'):
                if not vals:
                    self.err(_join(sub, 'values'), 'must be non-empty for operator %s' % op)
            elif op in ('Exists', 'DoesNotExist'):
                if vals:
                    self.err(_join(sub, 'values'), 'must be empty for operator %s' % op)
            elif isinstance(op, str):
                self.err(_join(sub, 'operator'), '"%s" is not one of In, NotIn, Exists, '
                                                 'DoesNotExist' % op)

    def hook_V1ContainerPort(self, v, path):
        """S3: container port name and number."""
        name = v.get('name')
        if isinstance(name, str):
            e = check_iana_svc_name(name)
            if e:
                self.err(_join(path, 'name'), '"%s" %s' % (name, e))
        for f in ('containerPort', 'hostPort'):
            n = v.get(f)
            if _is_int(n) and not 1 <= n <= 65535:
                self.err(_join(path, f), 'port %d must be between 1 and 65535' % n)

    def hook_V1Container(self, v, path):
        """S3/S4: unique port names; probe named ports are declared ports."""
        names = set()
        for i, p in enumerate(_l(v.get('ports'))):
            n = _d(p).get('name')
            if isinstance(n, str):
                if n in names:
                    self.err('%s[%d].name' % (_join(path, 'ports'), i), 'duplicate port name "%s"' % n)
                names.add(n)
        for probe in ('livenessProbe', 'readinessProbe', 'startupProbe'):
            pr = _d(v.get(probe))
            for handler in ('httpGet', 'tcpSocket'):
                port = _d(pr.get(handler)).get('port')
                if isinstance(port, str) and not check_iana_svc_name(port) and port not in names:
                    self.err(_join(_join(_join(path, probe), handler), 'port'),
                             'named port "%s" is not declared in this container\'s ports%s'
                             % (port, ' (%s)' % ', '.join(sorted(names)) if names else ''))

    def hook_V1ResourceRequirements(self, v, path):
        """S9: requests <= limits."""
        lim, req = _d(v.get('limits')), _d(v.get('requests'))
        for res, rv in req.items():
            if res in lim:
                a, b = parse_quantity(rv), parse_quantity(lim[res])
                if a is not None and b is not None and a > b:
                    self.err(_join(_join(path, 'requests'), res),
                             'request %s is greater than limit %s' % (rv, lim[res]))

    def hook_V1ServiceSpec(self, v, path):
        """S6 (syntax part): selector labels, port names."""
        sel = v.get('selector')
        if isinstance(sel, dict):
            self.check_labels(sel, _join(path, 'selector'))
        ports = _l(v.get('ports'))
        seen = set()
        for i, p in enumerate(ports):
            p = _d(p)
            sub = '%s[%d]' % (_join(path, 'ports'), i)
            name = p.get('name')
            if isinstance(name, str) and name:
                e = check_dns1123_label(name)
                if e:
                    self.err(_join(sub, 'name'), '"%s" %s' % (name, e))
                if name in seen:
                    self.err(_join(sub, 'name'), 'duplicate port name "%s"' % name)
                seen.add(name)
            elif len(ports) > 1:
                self.err(_join(sub, 'name'), 'required when a Service has more than one port')
            n = p.get('port')
            if _is_int(n) and not 1 <= n <= 65535:
                self.err(_join(sub, 'port'), 'port %d must be between 1 and 65535' % n)

    def _hook_workload_spec(self, v, path):
        """S5: the selector selects the pod template."""
        sel = v.get('selector')
        labels = _d(_d(_d(v.get('template')).get('metadata')).get('labels'))
        if isinstance(sel, dict) and not selector_matches(sel, labels):
            self.err(_join(path, 'selector'), 'does not match spec.template.metadata.labels %s'
                     % _fmt_labels(labels))

    hook_V1DeploymentSpec = _hook_workload_spec
    hook_V1StatefulSetSpec = _hook_workload_spec
    hook_V1DaemonSetSpec = _hook_workload_spec
    hook_V1ReplicaSetSpec = _hook_workload_spec

    def hook_V1RoleRef(self, v, path):
        """S8: roleRef group and kind."""
        if isinstance(v.get('apiGroup'), str) and v['apiGroup'] != RBAC_GROUP:
            self.err(_join(path, 'apiGroup'), 'must be %s' % RBAC_GROUP)
        if isinstance(v.get('kind'), str) and v['kind'] not in ('Role', 'ClusterRole'):
            self.err(_join(path, 'kind'), 'must be Role or ClusterRole')

    def hook_V1Subject(self, v, path):
        """S8: subject kinds."""
        kind, group = v.get('kind'), v.get('apiGroup')
        if isinstance(kind, str) and kind not in ('ServiceAccount', 'User', 'Group'):
            self.err(_join(path, 'kind'), '"%s" must be ServiceAccount, User or Group' % kind)
        if kind == 'ServiceAccount' and group:
            self.err(_join(path, 'apiGroup'), 'must be "" for a ServiceAccount')
        if kind in ('User', 'Group') and group not in (None, '', RBAC_GROUP):
            self.err(_join(path, 'apiGroup'), 'must be %s' % RBAC_GROUP)

    def hook_V1JSONSchemaProps(self, v, path):
        t = v.get('type')
        if isinstance(t, str) and t not in _JSON_TYPES:
            self.err(_join(path, 'type'), '"%s" is not one of %s' % (t, ', '.join(_JSON_TYPES)))

    # -- document-level rules -------------------------------------------------
    def doc_ClusterRoleBinding(self, data):
        """S8: ServiceAccount subjects of a ClusterRoleBinding need a namespace."""
        for i, s in enumerate(_l(data.get('subjects'))):
            s = _d(s)
            if s.get('kind') == 'ServiceAccount' and not s.get('namespace'):
                self.err('subjects[%d].namespace' % i, 'required for a ServiceAccount subject '
                                                       'of a ClusterRoleBinding')

    def doc_CustomResourceDefinition(self, data):
        """S10: CRD consistency."""
        if self.doc.api_version != 'apiextensions.k8s.io/v1':
            return
        spec = _d(data.get('spec'))
        group, names = spec.get('group'), _d(spec.get('names'))
        name = self.doc.name
        if isinstance(group, str) and isinstance(names.get('plural'), str) and name is not None:
            want = '%s.%s' % (names['plural'], group)
            if name != want:
                self.err('metadata.name', '"%s" must be spec.names.plural + "." + spec.group = "%s"'
                         % (name, want))
        if spec.get('scope') not in (None, 'Namespaced', 'Cluster'):
            self.err('spec.scope', '"%s" must be Namespaced or Cluster' % spec.get('scope'))
        versions = [_d(v) for v in _l(spec.get('versions'))]
        storage = [v.get('name') for v in versions if v.get('storage') is True]
        if len(storage) != 1:
            self.err('spec.versions', 'exactly one version must have storage: true, found %d%s'
                     % (len(storage), ' (%s)' % ', '.join(map(str, storage)) if storage else ''))
        seen = set()
        schemas = {}
        for i, v in enumerate(versions):
            sub = 'spec.versions[%d]' % i
            vname = v.get('name')
            if vname in seen:
                self.err(sub + '.name', 'duplicate version "%s"' % vname)
            seen.add(vname)
            if v.get('served') is not True:
                self.err(sub + '.served', 'version %s is not served' % vname)
            schema = _d(v.get('schema')).get('openAPIV3Schema')
            if not isinstance(schema, dict):
                self.err(sub + '.schema.openAPIV3Schema', 'required: every version needs a schema')
                continue
            schemas[vname] = schema
            if schema.get('type') != 'object':
                self.err(sub + '.schema.openAPIV3Schema.type', 'must be object at the root')
            structural = []
            schema_structure_errors(schema, sub + '.schema.openAPIV3Schema', structural)
            for e in structural:
                if not e.endswith('is not one of object, array, string, integer, number, boolean'):
                    self.doc.errors.append(e)   # bad types are already reported by the hook
        distinct = {repr(s) for s in schemas.values()}
        if len(distinct) > 1 and _d(spec.get('conversion')).get('strategy') != 'Webhook':
            self.warn('spec.versions', 'versions %s have different schemas but no Webhook '
                      'conversion; objects are not converted between them'
                      % ', '.join(map(str, schemas)))


# ----------------------------------------------------------------------------
# Cross-document rules.

def _ns_compatible(a, b):
    """An unset namespace is the release namespace: it matches anything."""
    return a is None or b is None or a == b


class Workload(object):
    def __init__(self, doc, labels, containers):
        self.doc = doc
        self.labels = labels
        self.port_names = set()
        for c in containers:
            for p in _l(_d(c).get('ports')):
                n = _d(p).get('name')
                if isinstance(n, str):
                    self.port_names.add(n)


def cross_check(docs):
    workloads, services, sas = [], [], []
    roles = {'Role': [], 'ClusterRole': []}
    for doc in docs:
        if not doc.checked or not isinstance(doc.data, dict):
            continue
        spec = _d(doc.data.get('spec'))
        if doc.kind in WORKLOAD_KINDS and doc.api_version == 'apps/v1':
            tmpl = _d(spec.get('template'))
            workloads.append(Workload(doc, _d(_d(tmpl.get('metadata')).get('labels')),
                                      _l(_d(tmpl.get('spec')).get('containers'))))
        elif doc.kind == 'Pod' and doc.api_version == 'v1':
            workloads.append(Workload(doc, _d(doc.meta().get('labels')), _l(spec.get('containers'))))
        elif doc.kind == 'Service' and doc.api_version == 'v1':
            services.append(doc)
        elif doc.kind == 'ServiceAccount' and doc.api_version == 'v1':
            sas.append(doc)
        elif doc.kind in roles and doc.api_version == 'rbac.authorization.k8s.io/v1':
            roles[doc.kind].append(doc)

    # Two documents for the same object: the later one silently wins.
    seen = {}
    for doc in docs:
        if doc.kind and doc.name and doc.api_version:
            key = (split_api_version(doc.api_version)[0], doc.kind, doc.namespace, doc.name)
            if key in seen:
                doc.warnings.append('same object as %s' % seen[key].where())
            else:
                seen[key] = doc

    def wl_names(ws):
        return ', '.join(w.doc.label() for w in ws)

    for doc in docs:
        if not doc.checked or not isinstance(doc.data, dict):
            continue
        spec = _d(doc.data.get('spec'))
        near = [w for w in workloads if _ns_compatible(w.doc.namespace, doc.namespace)]
        if doc.kind == 'Service' and doc.api_version == 'v1':
            # S6: selector and named targetPorts against the workloads.
            sel = spec.get('selector')
            if not isinstance(sel, dict) or not sel or spec.get('type') == 'ExternalName':
                continue
            if not near:
                doc.warnings.append('spec.selector: no Deployment/StatefulSet/DaemonSet/ReplicaSet/'
                                    'Pod in the documents to check it against')
                continue
            matched = [w for w in near if map_selector_matches(sel, w.labels)]
            if not matched:
                doc.errors.append('spec.selector: %s matches the pod labels of no workload in the '
                                  'documents (%s)' % (_fmt_labels(sel), wl_names(near)))
                continue
            for i, p in enumerate(_l(spec.get('ports'))):
                tp = _d(p).get('targetPort')
                if isinstance(tp, str) and not any(tp in w.port_names for w in matched):
                    doc.errors.append('spec.ports[%d].targetPort: named port "%s" is not a container '
                                      'port name of %s' % (i, tp, wl_names(matched)))
        elif doc.kind == 'PodDisruptionBudget':
            # S7: the PDB selects the pods of a workload.
            sel = spec.get('selector')
            if not isinstance(sel, dict):
                continue
            if not near:
                doc.warnings.append('spec.selector: no workload in the documents to check it against')
            elif not any(selector_matches(sel, w.labels) for w in near):
                doc.errors.append('spec.selector: matches the pod labels of no workload in the '
                                  'documents (%s)' % wl_names(near))
        elif doc.kind in ('RoleBinding', 'ClusterRoleBinding') and \
                doc.api_version == 'rbac.authorization.k8s.io/v1':
            # S8: referenced roles and ServiceAccounts exist in the documents.
            ref = _d(doc.data.get('roleRef'))
            rk, rn = ref.get('kind'), ref.get('name')
            if rk in roles and isinstance(rn, str):
                found = [r for r in roles[rk] if r.name == rn and
                         (rk == 'ClusterRole' or _ns_compatible(r.namespace, doc.namespace))]
                if not found:
                    doc.warnings.append('roleRef: %s "%s" is not in the documents (it must exist '
                                        'in the cluster)' % (rk, rn))
            for i, s in enumerate(_l(doc.data.get('subjects'))):
                s = _d(s)
                if s.get('kind') != 'ServiceAccount' or not isinstance(s.get('name'), str):
                    continue
                ns = s.get('namespace') or (doc.namespace if doc.kind == 'RoleBinding' else None)
                if not any(sa.name == s['name'] and _ns_compatible(sa.namespace, ns) for sa in sas):
                    doc.warnings.append('subjects[%d]: ServiceAccount "%s" is not in the documents'
                                        % (i, s['name']))
        elif doc.kind == 'ServiceMonitor' and doc.api_version == 'monitoring.coreos.com/v1':
            # S11: the ServiceMonitor's endpoints name ports of the Services it selects.
            sel = spec.get('selector')
            nsel = _d(spec.get('namespaceSelector'))
            if not isinstance(sel, dict) or nsel.get('any') or nsel.get('matchNames'):
                continue
            matched = [s for s in services if _ns_compatible(s.namespace, doc.namespace)
                       and selector_matches(sel, _d(s.meta().get('labels')))]
            if not matched:
                doc.warnings.append('spec.selector: selects no Service in the documents')
                continue
            names = set()
            for s in matched:
                for p in _l(_d(s.data.get('spec')).get('ports')):
                    if isinstance(_d(p).get('name'), str):
                        names.add(p['name'])
            for i, ep in enumerate(_l(spec.get('endpoints'))):
                port = _d(ep).get('port')
                if isinstance(port, str) and port not in names:
                    doc.errors.append('spec.endpoints[%d].port: "%s" is not a port name of %s'
                                      % (i, port, ', '.join(s.label() for s in matched)))


# ----------------------------------------------------------------------------
# CLI.

def _read(path, stdin):
    if path == '-':
        return stdin.read(), '<stdin>'
    with open(path, encoding='utf-8') as f:
        return f.read(), path


def main(argv=None, stdin=None, stdout=None, stderr=None):
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            self.print_usage(stderr)
            stderr.write('k8s_strict: %s\n' % message)
            raise SystemExit(2)

    ap = _Parser(prog='k8s_strict.py', description='Strict offline Kubernetes manifest validator '
                                                   '(Kubernetes 1.22 API).')
    ap.add_argument('--crd', action='append', default=[], metavar='FILE',
                    help='load CustomResourceDefinitions from FILE')
    ap.add_argument('--allow-kind', action='append', default=[], metavar='GROUP/VERSION/KIND',
                    help='only check apiVersion/kind/metadata of this kind (core: v1/Kind)')
    ap.add_argument('files', nargs='+', metavar='FILE', help='YAML stream, - for stdin')
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2

    allow = set()
    for a in args.allow_kind:
        av, _, kind = a.strip('/').rpartition('/')
        if not av or not kind:
            stderr.write('k8s_strict: --allow-kind %s: expected GROUP/VERSION/KIND\n' % a)
            return 2
        allow.add((av, kind))
    validator = Validator(allow)
    try:
        for path in args.crd:
            text, name = _read(path, stdin)
            for doc in parse_stream(text, name):
                data = _d(doc.data)
                if data.get('kind') != 'CustomResourceDefinition':
                    stderr.write('k8s_strict: %s: ignoring %s in --crd file\n'
                                 % (doc.where(), data.get('kind')))
                elif data.get('apiVersion') != 'apiextensions.k8s.io/v1':
                    stderr.write('k8s_strict: %s: only apiextensions.k8s.io/v1 CRDs are supported\n'
                                 % doc.where())
                    return 2
                else:
                    validator.add_crd(data)
        docs = []
        for path in args.files:
            text, name = _read(path, stdin)
            docs.extend(parse_stream(text, name))
    except (OSError, UnicodeDecodeError) as e:
        stderr.write('k8s_strict: %s\n' % e)
        return 2
    except ParseError as e:
        stderr.write('k8s_strict: %s\n' % e)
        return 2

    for doc in docs:
        data = _d(doc.data)
        if data.get('kind') == 'CustomResourceDefinition' and \
                data.get('apiVersion') == 'apiextensions.k8s.io/v1':
            validator.add_crd(data)
    for doc in docs:
        validator.validate(doc)
    cross_check(docs)

    nerr = 0
    for doc in docs:
        nerr += len(doc.errors)
        stdout.write('%s %s (%s)\n' % ('FAIL' if doc.errors else 'ok  ', doc.label(), doc.where()))
        for e in doc.errors:
            stdout.write('    %s\n' % e)
        for w in doc.warnings:
            stdout.write('warn %s: %s\n' % (doc.label(), w))
    stdout.write('k8s_strict: %d documents, %d errors\n' % (len(docs), nerr))
    return 1 if nerr else 0


if __name__ == '__main__':
    sys.exit(main())
