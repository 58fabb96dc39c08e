#!/usr/bin/python3
"""Tests for k8s_strict.py:  /usr/bin/python3 tests/chart/k8s_strict_test.py

Table-driven: the valid set in k8s_testdata/ passes; each MUTATIONS entry
changes one thing and must fail with the expected message (and every mutation
is applied to the documents that pass, so each test can fail)."""

import copy
import io
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
import k8s_strict  # noqa: E402
import yaml  # noqa: E402

TOOL = os.path.join(HERE, 'k8s_strict.py')
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
VALID = os.path.join(HERE, 'k8s_testdata', 'valid.yaml')
CRD = os.path.join(HERE, 'k8s_testdata', 'crd.yaml')


def _load(path):
    with open(path, encoding='utf-8') as f:
        return [d for d in yaml.safe_load_all(f) if d]


VALID_DOCS = _load(CRD) + _load(VALID)


def RAW(text):
    """A value written verbatim into the YAML (e.g. 1e+06, which PyYAML's
    dumper would spell differently)."""
    return 'RAW<%s>' % text


def dump(docs):
    text = yaml.safe_dump_all(docs, sort_keys=False)
    return re.sub(r"'?RAW<(.*?)>'?", r'\1', text)


def run(docs, *args):
    """Runs the tool in-process on docs (a list, or YAML text) read from stdin."""
    text = docs if isinstance(docs, str) else dump(docs)
    out, err = io.StringIO(), io.StringIO()
    code = k8s_strict.main(list(args) + ['-'], stdin=io.StringIO(text), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def find(docs, kind, name=None):
    for d in docs:
        if d.get('kind') == kind and (name is None or d['metadata']['name'] == name):
            return d
    raise KeyError(kind)


def dep(docs):
    return find(docs, 'Deployment')


def container(docs):
    return dep(docs)['spec']['template']['spec']['containers'][0]


def widget(docs):
    return find(docs, 'Widget')


def crd(docs):
    return find(docs, 'CustomResourceDefinition')


def _set(path):
    """Sets a path like spec.ports[0].name or metadata.labels["a.b/c"] of a
    document to a value (creating mappings on the way)."""
    parts = [int(i) if i else q or k
             for q, i, k in re.findall(r'\["([^"]*)"\]|\[(\d+)\]|([^.\[\]]+)', path)]

    def setter(obj, value):
        for p in parts[:-1]:
            obj = obj[p] if isinstance(p, int) else obj.setdefault(p, {})
        obj[parts[-1]] = value
    return setter


def _del(obj, key):
    del obj[key]


def _add_storage_version(docs):
    v2 = copy.deepcopy(crd(docs)['spec']['versions'][0])
    v2['name'] = 'v1beta1'
    crd(docs)['spec']['versions'].append(v2)


def _service_only(docs):
    docs[:] = [find(docs, 'Service')]


def _drop(kind):
    def m(docs):
        docs[:] = [d for d in docs if d['kind'] != kind]
    return m


# (test name, mutation(docs), failing document "Kind/name", expected message)
MUTATIONS = [
    ('unknown_field_deep_in_pod_spec',
     lambda d: _set('securityContext.runAsUsr')(container(d), 1000), 'Deployment/demo',
     'spec.template.spec.containers[0].securityContext.runAsUsr: unknown field (did you mean runAsUser?)'),
    ('unknown_top_level_field',
     lambda d: _set('spec.replica')(dep(d), 2), 'Deployment/demo', 'spec.replica: unknown field'),
    ('replicas_quoted',
     lambda d: _set('spec.replicas')(dep(d), '3'), 'Deployment/demo',
     'spec.replicas: expected int, got string "3"'),
    ('missing_container_name',
     lambda d: _del(container(d), 'name'), 'Deployment/demo',
     'spec.template.spec.containers[0].name: required field missing'),
    ('missing_deployment_selector',
     lambda d: _del(dep(d)['spec'], 'selector'), 'Deployment/demo',
     'spec.selector: required field missing'),
    ('missing_policy_rule_verbs',
     lambda d: _del(find(d, 'ClusterRole')['rules'][0], 'verbs'), 'ClusterRole/demo',
     'rules[0].verbs: required field missing'),
    ('annotation_value_int',
     lambda d: _set('metadata.annotations["prometheus.io/port"]')(find(d, 'Service'), 9990),
     'Service/demo', 'metadata.annotations["prometheus.io/port"]: expected string, got int 9990; quote it'),
    ('annotation_value_null',
     lambda d: _set('metadata.annotations.note')(find(d, 'Service'), None),
     'Service/demo', 'metadata.annotations.note: null value'),
    ('label_value_bool',
     lambda d: _set('metadata.labels.enabled')(find(d, 'ServiceAccount'), RAW('yes')),
     'ServiceAccount/demo', 'metadata.labels.enabled: expected string, got bool true'),
    ('float_literal_in_int_field',
     lambda d: _set('spec.progressDeadlineSeconds')(dep(d), RAW('1e+06')), 'Deployment/demo',
     'spec.progressDeadlineSeconds: 1e+06 is a float; quote or format it'),
    ('float_in_string_field',
     lambda d: _set('env[0].value')(container(d), RAW('1e+06')), 'Deployment/demo',
     'containers[0].env[0].value: expected string, got float 1e+06; quote it'),
    ('bad_quantity',
     lambda d: _set('resources.limits.cpu')(container(d), '1x'), 'Deployment/demo',
     'resources.limits.cpu: string "1x" is not a valid quantity'),
    ('request_above_limit',
     lambda d: _set('resources.requests.memory')(container(d), '1Gi'), 'Deployment/demo',
     'resources.requests.memory: request 1Gi is greater than limit 256Mi'),
    ('int_or_string_given_list',
     lambda d: _set('spec.strategy.rollingUpdate.maxSurge')(dep(d), [1]), 'Deployment/demo',
     'spec.strategy.rollingUpdate.maxSurge: expected int or string (IntOrString), got list'),
    ('percent_int_or_string_quoted_number',
     lambda d: _set('spec.minAvailable')(find(d, 'PodDisruptionBudget'), '1'),
     'PodDisruptionBudget/demo', 'spec.minAvailable: "1" must be an int or a percentage'),
    ('port_int_or_string_quoted_number',
     lambda d: _set('spec.ports[1].targetPort')(find(d, 'Service'), '9990'), 'Service/demo',
     'spec.ports[1].targetPort: named port "9990" must contain at least one letter'),
    ('deployment_selector_mismatch',
     lambda d: _set('spec.selector.matchLabels["app.kubernetes.io/name"]')(dep(d), 'other'),
     'Deployment/demo', 'spec.selector: does not match spec.template.metadata.labels'),
    ('service_selector_mismatch',
     lambda d: _set('spec.selector["app.kubernetes.io/name"]')(find(d, 'Service'), 'other'),
     'Service/demo', 'spec.selector: {app.kubernetes.io/instance: rel, app.kubernetes.io/name: '
                     'other} matches the pod labels of no workload'),
    ('service_target_port_not_declared',
     lambda d: _set('spec.ports[0].targetPort')(find(d, 'Service'), 'grpc-web'), 'Service/demo',
     'spec.ports[0].targetPort: named port "grpc-web" is not a container port name of Deployment/demo'),
    ('pdb_selector_mismatch',
     lambda d: _set('spec.selector.matchLabels.tier')(find(d, 'PodDisruptionBudget'), 'db'),
     'PodDisruptionBudget/demo', 'spec.selector: matches the pod labels of no workload'),
    ('probe_named_port_not_declared',
     lambda d: _set('readinessProbe.httpGet.port')(container(d), 'admin'), 'Deployment/demo',
     'containers[0].readinessProbe.httpGet.port: named port "admin" is not declared in this '
     'container\'s ports'),
    ('container_port_name_too_long',
     lambda d: _set('ports[0].name')(container(d), 'grpc-api-listener'), 'Deployment/demo',
     'containers[0].ports[0].name: "grpc-api-listener" must be no more than 15 characters'),
    ('service_name_not_dns1035',
     lambda d: _set('metadata.name')(find(d, 'Service'), '9demo'), 'Service/9demo',
     'metadata.name: "9demo" must be a DNS-1035 label'),
    ('deployment_name_not_subdomain',
     lambda d: _set('metadata.name')(dep(d), 'Demo_App'), 'Deployment/Demo_App',
     'metadata.name: "Demo_App" must be a DNS-1123 subdomain'),
    ('missing_name',
     lambda d: _del(find(d, 'NetworkPolicy')['metadata'], 'name'), 'NetworkPolicy/<no name>',
     'metadata.name: required field missing'),
    ('bad_label_value',
     lambda d: _set('metadata.labels.version')(find(d, 'ServiceAccount'), '1.0+build'),
     'ServiceAccount/demo', 'metadata.labels.version: invalid label value "1.0+build"'),
    ('bad_label_key',
     lambda d: _set('metadata.labels.-bad')(find(d, 'ServiceAccount'), 'x'),
     'ServiceAccount/demo', 'invalid label key'),
    ('bad_match_expression_operator',
     lambda d: _set('spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator')(
         find(d, 'NetworkPolicy'), 'in'), 'NetworkPolicy/demo',
     'matchExpressions[0].operator: "in" is not one of In, NotIn, Exists, DoesNotExist'),
    ('string_for_bool',
     lambda d: _set('securityContext.readOnlyRootFilesystem')(container(d), 'true'), 'Deployment/demo',
     'securityContext.readOnlyRootFilesystem: expected bool, got string "true"; unquote it'),
    ('crb_role_ref_wrong_group',
     lambda d: _set('roleRef.apiGroup')(find(d, 'ClusterRoleBinding'), 'rbac'),
     'ClusterRoleBinding/demo', 'roleRef.apiGroup: must be rbac.authorization.k8s.io'),
    ('crb_service_account_without_namespace',
     lambda d: _del(find(d, 'ClusterRoleBinding')['subjects'][0], 'namespace'),
     'ClusterRoleBinding/demo', 'subjects[0].namespace: required for a ServiceAccount subject'),
    ('unknown_kind',
     lambda d: _set('kind')(find(d, 'NetworkPolicy'), 'NetworkPolicies'), 'NetworkPolicies/demo',
     'kind: NetworkPolicies is not a kind served by networking.k8s.io/v1'),
    ('kind_in_wrong_group',
     lambda d: _set('apiVersion')(dep(d), 'v1'), 'Deployment/demo',
     'kind: Deployment is not a kind served by v1'),
    ('unknown_api_version',
     lambda d: _set('apiVersion')(find(d, 'PodDisruptionBudget'), 'policy/v2'),
     'PodDisruptionBudget/demo', 'apiVersion: policy/v2 is not a Kubernetes 1.22 API group/version'),
    ('missing_kind',
     lambda d: _del(find(d, 'ServiceAccount'), 'kind'), '<no kind>/demo', 'kind: required field missing'),
    ('crd_two_storage_versions',
     _add_storage_version, 'CustomResourceDefinition/widgets.demo.example.com',
     'spec.versions: exactly one version must have storage: true, found 2 (v1, v1beta1)'),
    ('crd_name_mismatch',
     lambda d: _set('metadata.name')(crd(d), 'widget.demo.example.com'),
     'CustomResourceDefinition/widget.demo.example.com',
     'metadata.name: "widget.demo.example.com" must be spec.names.plural + "." + spec.group'),
    ('crd_version_without_schema',
     lambda d: _del(crd(d)['spec']['versions'][0], 'schema'),
     'CustomResourceDefinition/widgets.demo.example.com',
     'spec.versions[0].schema.openAPIV3Schema: required'),
    ('crd_schema_unknown_field',
     lambda d: _set('spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-preserve-'
                    'unknown-field')(crd(d), True),
     'CustomResourceDefinition/widgets.demo.example.com', 'x-kubernetes-preserve-unknown-field: '
                                                          'unknown field (did you mean '),
    ('crd_schema_bad_type',
     lambda d: _set('spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.type')(
         crd(d), 'int'), 'CustomResourceDefinition/widgets.demo.example.com',
     'properties.size.type: "int" is not one of object, array'),
    ('cr_unknown_field',
     lambda d: _set('spec.colour')(widget(d), 'red'), 'Widget/default-widget', 'spec.colour: unknown field'),
    ('cr_wrong_type',
     lambda d: _set('spec.size')(widget(d), '3'), 'Widget/default-widget',
     'spec.size: expected integer, got string "3"'),
    ('cr_float_in_integer',
     lambda d: _set('spec.size')(widget(d), RAW('1e+06')), 'Widget/default-widget',
     'spec.size: 1e+06 is a float; quote or format it'),
    ('cr_maximum',
     lambda d: _set('spec.size')(widget(d), 101), 'Widget/default-widget',
     'spec.size: 101 is greater than the maximum 100'),
    ('cr_enum',
     lambda d: _set('spec.mode')(widget(d), 'medium'), 'Widget/default-widget',
     'spec.mode: string "medium" is not one of [\'fast\', \'slow\']'),
    ('cr_pattern',
     lambda d: _set('spec.name')(widget(d), 'Bad1'), 'Widget/default-widget',
     'spec.name: "Bad1" does not match pattern ^[a-z]+$'),
    ('cr_missing_required',
     lambda d: _del(widget(d)['spec'], 'size'), 'Widget/default-widget', 'spec.size: required field missing'),
    ('cr_additional_properties_type',
     lambda d: _set('spec.selector.replicas')(widget(d), 2), 'Widget/default-widget',
     'spec.selector.replicas: expected string, got int 2; quote it'),
    ('cr_int_or_string_given_list',
     lambda d: _set('spec.port')(widget(d), [8080]), 'Widget/default-widget',
     'spec.port: expected integer or string, got list'),
    ('cr_unknown_version',
     lambda d: _set('apiVersion')(widget(d), 'demo.example.com/v2'), 'Widget/default-widget',
     'CustomResourceDefinition widgets.demo.example.com does not define version v2'),
    ('cr_unknown_root_field',
     lambda d: _set('status2')(widget(d), {}), 'Widget/default-widget', 'status2: unknown field'),
    ('service_monitor_unknown_field',
     lambda d: _set('spec.endpoints[0].intervall')(find(d, 'ServiceMonitor'), '10s'),
     'ServiceMonitor/demo', 'spec.endpoints[0].intervall: unknown field (did you mean interval?)'),
    ('service_monitor_bad_interval',
     lambda d: _set('spec.endpoints[0].interval')(find(d, 'ServiceMonitor'), '30'),
     'ServiceMonitor/demo', 'spec.endpoints[0].interval: "30" does not match pattern'),
    ('service_monitor_port_not_on_service',
     lambda d: _set('spec.endpoints[0].port')(find(d, 'ServiceMonitor'), 'metrics'),
     'ServiceMonitor/demo', 'spec.endpoints[0].port: "metrics" is not a port name of Service/demo'),
]

# (test name, mutation(docs), expected warning line) -- still exit 0
WARNINGS = [
    ('service_without_workload', _service_only,
     'warn Service/demo: spec.selector: no Deployment/StatefulSet/DaemonSet/ReplicaSet/Pod'),
    ('role_ref_absent', _drop('ClusterRole'),
     'warn ClusterRoleBinding/demo: roleRef: ClusterRole "demo" is not in the documents'),
    ('subject_service_account_absent', _drop('ServiceAccount'),
     'warn ClusterRoleBinding/demo: subjects[0]: ServiceAccount "demo" is not in the documents'),
    ('crd_versions_differ_without_conversion',
     lambda d: (_add_storage_version(d),
                _set('storage')(crd(d)['spec']['versions'][1], False),
                _set('schema.openAPIV3Schema.properties.spec.properties.size.maximum')(
                    crd(d)['spec']['versions'][1], 10)),
     'warn CustomResourceDefinition/widgets.demo.example.com: spec.versions: versions v1, v1beta1 '
     'have different schemas'),
    ('cluster_scoped_with_namespace',
     lambda d: _set('metadata.namespace')(find(d, 'ClusterRole'), 'default'),
     'warn ClusterRole/demo: metadata.namespace: ClusterRole is cluster-scoped'),
    ('duplicate_object', lambda d: d.append(copy.deepcopy(find(d, 'ServiceAccount'))),
     'warn ServiceAccount/demo: same object as <stdin>:'),
]

# (test name, mutation(docs)) -- variants that must still pass cleanly
ACCEPTED = [
    ('int_or_string_int', lambda d: _set('spec.strategy.rollingUpdate.maxUnavailable')(dep(d), 0)),
    ('int_or_string_percent', lambda d: _set('spec.strategy.rollingUpdate.maxSurge')(dep(d), '50%')),
    ('target_port_number', lambda d: _set('spec.ports[0].targetPort')(find(d, 'Service'), 8086)),
    ('cr_int_or_string_as_int', lambda d: _set('spec.port')(widget(d), 8080)),
    ('cr_int_or_string_as_string', lambda d: _set('spec.port')(widget(d), 'http')),
    ('cr_nullable_null', lambda d: _set('spec.name')(widget(d), None)),
    ('cr_preserve_unknown_fields', lambda d: _set('spec.extra.deep')(widget(d), {'a': [{'b': 1}]})),
    ('quantity_as_numbers', lambda d: (_set('resources.requests.cpu')(container(d), 0.5),
                                       _set('resources.limits.cpu')(container(d), 2))),
    ('quantity_suffixes', lambda d: (_set('resources.requests.memory')(container(d), '1e3'),
                                     _set('resources.limits.memory')(container(d), '1.5Gi'))),
    ('optional_field_null', lambda d: _set('metadata.creationTimestamp')(dep(d), None)),
    ('datetime_field', lambda d: _set('metadata.creationTimestamp')(dep(d), '2024-01-02T03:04:05Z')),
    ('float_field_takes_int',
     lambda d: _set('spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.'
                    'multipleOf')(crd(d), 1)),
    ('service_monitor_target_port_int',
     lambda d: _set('spec.endpoints[0].targetPort')(find(d, 'ServiceMonitor'), 9990)),
    ('rbac_name_with_colon',
     lambda d: (_set('metadata.name')(find(d, 'ClusterRole'), 'demo:reader'),
                _set('roleRef.name')(find(d, 'ClusterRoleBinding'), 'demo:reader'))),
]


class ValidSet(unittest.TestCase):
    def test_valid_set_passes(self):
        code, out, err = run(VALID_DOCS)
        self.assertEqual(code, 0, out + err)
        self.assertNotIn('FAIL', out)
        self.assertNotIn('warn', out)
        kinds = {l.split()[1].split('/')[0] for l in out.splitlines() if l.startswith('ok')}
        self.assertTrue({'Deployment', 'Service', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding',
                         'PodDisruptionBudget', 'NetworkPolicy', 'CustomResourceDefinition',
                         'ServiceMonitor', 'Widget'} <= kinds, out)
        self.assertTrue(out.endswith('k8s_strict: %d documents, 0 errors\n' % len(VALID_DOCS)), out)

    def test_crd_flag(self):
        docs = [d for d in VALID_DOCS if d['kind'] != 'CustomResourceDefinition']
        code, out, _ = run(docs)
        self.assertEqual(code, 1)
        self.assertIn('apiVersion: demo.example.com/v1 is not a Kubernetes 1.22 API group/version, '
                      'and no loaded CRD serves demo.example.com/v1 Widget (use --crd FILE or '
                      '--allow-kind demo.example.com/v1/Widget)', out)
        code, out, err = run(docs, '--crd', CRD)
        self.assertEqual(code, 0, out + err)

    def test_allow_kind(self):
        docs = [copy.deepcopy(d) for d in VALID_DOCS if d['kind'] != 'CustomResourceDefinition']
        code, out, err = run(docs, '--allow-kind', 'demo.example.com/v1/Widget')
        self.assertEqual(code, 0, out + err)
        self.assertIn('warn Widget/default-widget: demo.example.com/v1 Widget allowed by --allow-kind', out)
        widget(docs)['spec']['colour'] = 'red'          # not checked
        widget(docs)['metadata']['labels'] = {'a': 1}   # still checked
        code, out, _ = run(docs, '--allow-kind', 'demo.example.com/v1/Widget')
        self.assertEqual(code, 1)
        self.assertIn('metadata.labels.a: expected string, got int 1', out)
        self.assertNotIn('colour', out)

    def test_duplicate_yaml_key(self):
        text = dump(VALID_DOCS).replace('  replicas: 3\n', '  replicas: 3\n  replicas: 2\n', 1)
        code, out, _ = run(text)
        self.assertEqual(code, 1)
        self.assertRegex(out, r'FAIL Deployment/demo .*\n    yaml: line \d+: duplicate mapping key '
                              r'"replicas" \(first at line \d+\)')

    def test_source_comments_and_empty_documents(self):
        with open(VALID, encoding='utf-8') as f:
            text = '---\n# empty\n---\n' + f.read() + '\n---\n'
        code, out, _ = run(text, '--crd', CRD)
        self.assertEqual(code, 0, out)
        self.assertIn('ok   Deployment/demo (<stdin>:', out)
        self.assertIn('Source: demo/templates/deployment.yaml)', out)
        self.assertIn('k8s_strict: 9 documents, 0 errors', out)

    def test_validation_is_fast(self):
        docs = VALID_DOCS * 3
        start = time.time()
        code, out, _ = run(docs)
        self.assertEqual(code, 0)
        self.assertLess(time.time() - start, 1.0)


class Mutations(unittest.TestCase):
    def check(self, mutate, label, expected):
        docs = copy.deepcopy(VALID_DOCS)
        mutate(docs)
        code, out, err = run(docs)
        self.assertEqual(code, 1, out + err)
        # the expected message is among the error lines of the expected document
        block = re.search(r'^FAIL %s \(.*\n((?:    .*\n)*)' % re.escape(label), out, re.M)
        self.assertIsNotNone(block, 'no FAIL %s in:\n%s' % (label, out))
        self.assertIn(expected, block.group(1), out)


class Warnings(unittest.TestCase):
    def check(self, mutate, expected):
        docs = copy.deepcopy(VALID_DOCS)
        mutate(docs)
        code, out, err = run(docs)
        self.assertEqual(code, 0, out + err)
        self.assertIn(expected, out)


class Accepted(unittest.TestCase):
    def check(self, mutate):
        docs = copy.deepcopy(VALID_DOCS)
        mutate(docs)
        code, out, err = run(docs)
        self.assertEqual(code, 0, out + err)
        self.assertNotIn('warn', out)


for _name, _mutate, _label, _expected in MUTATIONS:
    setattr(Mutations, 'test_' + _name,
            lambda self, m=_mutate, l=_label, e=_expected: self.check(m, l, e))
for _name, _mutate, _expected in WARNINGS:
    setattr(Warnings, 'test_' + _name, lambda self, m=_mutate, e=_expected: self.check(m, e))
for _name, _mutate in ACCEPTED:
    setattr(Accepted, 'test_' + _name, lambda self, m=_mutate: self.check(m))


class YamlReading(unittest.TestCase):
    """YAML is read the way sigs.k8s.io/yaml (go-yaml v2) reads it."""

    def test_scalars(self):
        (doc,) = k8s_strict.parse_stream(
            'a: 1e+06\nb: 1e6\nc: y\nd: 2023-01-01\ne: 1:30\nf: "1e+06"\ng: off\nh: 0x10\n', 'x')
        d = doc.data
        self.assertIsInstance(d['a'], float)
        self.assertEqual(d['a'].text, '1e+06')
        self.assertIsInstance(d['b'], float)
        self.assertIs(d['c'], True)
        self.assertEqual(d['d'], '2023-01-01')
        self.assertEqual(d['e'], '1:30')
        self.assertEqual(d['f'], '1e+06')
        self.assertIs(d['g'], False)
        self.assertEqual(d['h'], 16)

    def test_non_string_keys_warn(self):
        (doc,) = k8s_strict.parse_stream('data:\n  8080: x\n  n: y\n', 'x')
        self.assertEqual(doc.data, {'data': {'8080': 'x', 'false': True}})
        self.assertEqual(len(doc.warnings), 2)

    def test_parse_error_names_file_and_line(self):
        with self.assertRaisesRegex(k8s_strict.ParseError, r'^f\.yaml:4:\d+: YAML parse error'):
            k8s_strict.parse_stream('a: 1\nb:\n  - x\n c: 2\n', 'f.yaml')


class ModelIntrospection(unittest.TestCase):
    def test_required_fields(self):
        req = lambda c: k8s_strict.required_attrs(k8s_strict.model_class(c))  # noqa: E731
        self.assertEqual(req('V1Container'), ['name'])
        self.assertEqual(req('V1ObjectMeta'), [])
        self.assertEqual(sorted(req('V1DeploymentSpec')), ['selector', 'template'])
        self.assertEqual(req('V1PolicyRule'), ['verbs'])
        self.assertEqual(sorted(req('V1RoleRef')), ['api_group', 'kind', 'name'])
        self.assertEqual(req('V1ServicePort'), ['port'])

    def test_builtin_kinds(self):
        for (av, kind), cls in {
                ('v1', 'Service'): 'V1Service', ('apps/v1', 'Deployment'): 'V1Deployment',
                ('policy/v1', 'PodDisruptionBudget'): 'V1PodDisruptionBudget',
                ('policy/v1beta1', 'PodDisruptionBudget'): 'V1beta1PodDisruptionBudget',
                ('rbac.authorization.k8s.io/v1', 'ClusterRole'): 'V1ClusterRole',
                ('networking.k8s.io/v1', 'NetworkPolicy'): 'V1NetworkPolicy',
                ('apiextensions.k8s.io/v1', 'CustomResourceDefinition'): 'V1CustomResourceDefinition',
                ('autoscaling/v2beta2', 'HorizontalPodAutoscaler'): 'V2beta2HorizontalPodAutoscaler',
                ('v1', 'Endpoints'): 'V1Endpoints', ('v1', 'Event'): 'CoreV1Event',
                ('events.k8s.io/v1', 'Event'): 'EventsV1Event',
                ('apiregistration.k8s.io/v1', 'APIService'): 'V1APIService'}.items():
            self.assertEqual(k8s_strict.resolve_builtin(av, kind)[0], cls, (av, kind))
        self.assertEqual(k8s_strict.resolve_builtin('v1', 'Namespace'), ('V1Namespace', False))
        self.assertEqual(k8s_strict.resolve_builtin('v1', 'ConfigMap'), ('V1ConfigMap', True))
        for av, kind in (('v1', 'Deployment'), ('apps/v1', 'DeploymentList'),
                         ('networking.k8s.io/v1beta1', 'Ingress'), ('monitoring.coreos.com/v1', 'X')):
            self.assertIsNone(k8s_strict.resolve_builtin(av, kind)[0], (av, kind))

    def test_every_object_field_is_classified(self):
        """Every `object`-typed model field is in a documented list, and every
        listed field exists with the type the lists assume."""
        objects = set()
        for name in k8s_strict.model_names():
            for attr, t in k8s_strict.model_class(name).openapi_types.items():
                if t == 'object':
                    objects.add((name, attr))
        listed = set(k8s_strict.INT_OR_STRING) | set(k8s_strict.OBJECT_FIELDS) | \
            k8s_strict.ANY_OBJECT_FIELDS
        self.assertEqual(objects, listed)
        for name, attr in k8s_strict.QUANTITY_MAPS:
            self.assertEqual(k8s_strict.model_class(name).openapi_types[attr], 'dict(str, str)')
        for name, attr in k8s_strict.QUANTITY_SCALARS:
            self.assertEqual(k8s_strict.model_class(name).openapi_types[attr], 'str')

    def test_quantities(self):
        for q in ('1', '100m', '1.5Gi', '1e3', '2E', '0.5', '64Mi', '+1', '1k'):
            self.assertIsNotNone(k8s_strict.parse_quantity(q), q)
        for q in ('1x', '1K', 'Mi', '1 Gi', '', '1.2.3', '1mi'):
            self.assertIsNone(k8s_strict.parse_quantity(q), q)
        self.assertEqual(k8s_strict.parse_quantity('1Ki'), 1024)
        self.assertLess(k8s_strict.parse_quantity('100m'), k8s_strict.parse_quantity(1))


class Cli(unittest.TestCase):
    def cli(self, *args, stdin=''):
        p = subprocess.run([PY, TOOL] + list(args), input=stdin, capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_files_ok(self):
        code, out, err = self.cli(CRD, VALID)
        self.assertEqual(code, 0, out + err)
        self.assertTrue(out.endswith('k8s_strict: 10 documents, 0 errors\n'), out)

    def test_stdin_failure(self):
        docs = copy.deepcopy(VALID_DOCS)
        dep(docs)['spec']['replicas'] = '3'
        code, out, _ = self.cli('-', stdin=dump(docs))
        self.assertEqual(code, 1)
        self.assertIn('FAIL Deployment/demo (<stdin>:', out)
        self.assertIn('    spec.replicas: expected int, got string "3"\n', out)
        self.assertIn('k8s_strict: %d documents, 1 errors' % len(docs), out)

    def test_yaml_parse_error_exit_2(self):
        code, out, err = self.cli('--crd', CRD, '-', stdin='a: 1\nb: [\n')
        self.assertEqual(code, 2)
        self.assertIn('k8s_strict: <stdin>:3:1: YAML parse error', err)

    def test_usage_and_io_errors_exit_2(self):
        self.assertEqual(self.cli()[0], 2)
        code, _, err = self.cli('/nonexistent/x.yaml')
        self.assertEqual(code, 2)
        self.assertIn('/nonexistent/x.yaml', err)
        self.assertEqual(self.cli('--allow-kind', 'Widget', VALID)[0], 2)


if __name__ == '__main__':
    unittest.main()
