// Command render is a small, offline stand-in for `helm template`, written for
// tests only. It renders one Helm v3 chart directory with the same template
// engine Helm uses (Go text/template + sprig's TxtFuncMap + Helm's own
// functions) so that a test can check rendered manifests without Helm or a
// cluster. It is a re-implementation from Helm's documented/observed
// behaviour, not a copy of Helm's code. Build it with build.sh beside this file.
//
// SUPPORTED (behaving as `helm template` does unless noted):
//   - Chart.yaml (apiVersion v2 only) -> .Chart with Helm's field names (Name,
//     Version, AppVersion, Description, Type, Home, Sources, Keywords,
//     Maintainers[].Name/Email/URL, Icon, APIVersion, Condition, Tags,
//     Deprecated, Annotations, KubeVersion, Dependencies) plus IsRoot (true).
//     name/version (semver)/type are validated; a chart `kubeVersion`
//     constraint is checked against --kube-version.
//   - Values: DIR/values.yaml, then every --values file deep-merged on top
//     (maps merge, anything else replaces), then --set; the user values are
//     then coalesced over values.yaml as Helm does (a user `null` deletes the
//     key). YAML goes through sigs.k8s.io/yaml (YAML -> JSON -> interface{}),
//     so every YAML number is a float64: 1000000 prints as 1e+06, exactly like
//     Helm. --set values are typed like Helm's strvals: true/false
//     (any case) -> bool, null -> nil, integers without a leading 0 -> int64,
//     everything else -> string; "a.b.c=v" nests maps, "k1=v1,k2=v2" sets
//     several keys, "k={a,b}" gives a list, and '\' escapes the next character
//     (e.g. "a\.b=1" sets the key "a.b").
//   - Templates: every file under DIR/templates/ (recursively) ending in .yaml,
//     .yml, .tpl or .txt, all parsed into ONE template set named
//     CHART/templates/REL (so defines in _helpers.tpl are visible everywhere).
//     Parse order is Helm's (deepest paths first, then reverse lexical), which
//     decides the winner when two files `define` the same name; templates are
//     also executed in that order, so the first error reported is the one Helm
//     would report. Files whose base name starts with "_" are parsed but never
//     rendered.
//   - Top-level data: .Values; .Release (Name, Namespace, Service "Helm",
//     IsInstall true, IsUpgrade false, Revision 1); .Chart; .Capabilities
//     (.KubeVersion.Version/.Major/.Minor/.GitVersion, printing it gives the
//     version; .APIVersions.Has "group/version" — see defaultAPIVersions below
//     plus every --api-versions); .Template (.Name, .BasePath); .Files with
//     .Get/.GetBytes/.Lines (path relative to the chart dir; a missing file, a
//     directory, a non-canonical path, or a file Helm keeps out of .Files —
//     Chart.yaml, Chart.lock, values.yaml, values.schema.json,
//     requirements.yaml/lock, templates/**, charts/** — gives ""); .Subcharts
//     (always empty).
//   - Functions: sprig's TxtFuncMap without env/expandenv (as Helm), and
//     Helm's include (recursion limit 1000 per name), tpl, required, fail,
//     toYaml, fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray, lookup
//     (always an empty map, as offline `helm template`), getHostByName (always
//     "", as Helm without --enable-dns).
//   - missingkey=zero and removal of every literal "<no value>" from output, as
//     Helm; --strict switches to missingkey=error (Helm's strict engine, used by
//     `helm lint --strict`): any lookup of an absent map key — .Values.nope,
//     .Release.Nope — fails, even when piped into `default`.
//   - Error texts follow Helm: "execution error at (FILE:LINE:COL): MSG" for
//     required/fail, Go's own text for other execution errors, "parse error at
//     (FILE:LINE): MSG", "YAML parse error on FILE: ..." when a rendered
//     document is not valid YAML (or has a malformed apiVersion/kind/metadata
//     head), "rendering template failed: ..." for a panic.
//   - Output: templates in plain lexical order of their names (Helm instead
//     stable-sorts by resource kind install order after the path sort; this
//     tool does NOT do the kind sort). Each template's output is split on
//     lines that are exactly "---" (trailing blanks allowed; "--- text" starts
//     a document whose first line is "text"); every document is trimmed of
//     surrounding whitespace, and documents that are empty or contain only
//     comments/blank lines are dropped (Helm keeps comment-only documents).
//     Each document is printed as "---\n# Source: CHART/templates/REL\n<doc>".
//     With --include-crds the files under DIR/crds/ (recursively; .yaml, .yml,
//     .json, not templated) come first, verbatim as Helm prints them:
//     "---\n# Source: CHART/crds/REL\n<file bytes>\n". As in Helm, the whole
//     stream is trimmed of surrounding whitespace and ends with one newline.
//   - NOTES: a template whose name ends in NOTES.txt is never a manifest. With
//     --notes, CHART/templates/NOTES.txt is rendered and printed after the
//     manifests after a line "# NOTES.txt". Without --notes it is not rendered
//     at all (unlike Helm, which always renders it, so an error inside
//     NOTES.txt only shows up here with --notes).
//
// NOT SUPPORTED: subcharts/dependencies (a chart declaring dependencies or
// holding anything in charts/ is rejected) and therefore globals; library
// charts (rejected, as Helm does); apiVersion v1 charts (Helm accepts them);
// hooks handling (hook resources are printed in place like every other
// resource, not moved to the end, not weight-sorted, unknown hooks not
// skipped); .Files.Glob/.AsConfig/.AsSecrets and .helmignore; template files
// with other extensions (Helm renders every file under templates/);
// values.schema.json validation; lookup against a cluster; post-renderers;
// toToml; .Capabilities.HelmVersion; Helm's methods on .Values (.Values.AsMap,
// .YAML, .Table); --set list indexes (key[0]=v), --set-string, --set-file,
// --set-json; release-name validation; --show-only/--output-dir.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver/v3"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

const usageText = `usage: render --chart DIR [flags]

Offline test stand-in for 'helm template' (Helm v3 chart, apiVersion v2).

Flags:
  --chart DIR           chart directory (required)
  --values FILE         values file merged over DIR/values.yaml (repeatable;
                        later files win; maps deep-merge)
  --set KEY=VAL[,...]   set values after all --values (repeatable). KEY is a
                        dotted path; VAL is typed as Helm does: true/false,
                        null (deletes the key), integers (int64), else string;
                        {a,b} is a list; '\' escapes , . = { }.
                        Unsupported: list indexes (key[0]=v), --set-string,
                        --set-file, --set-json
  --release-name NAME   .Release.Name (default "destination")
  --namespace NS        .Release.Namespace (default "default")
  --kube-version VER    .Capabilities.KubeVersion (default 1.28.0)
  --api-versions G/V    add a group/version to .Capabilities.APIVersions
                        (repeatable), e.g. monitoring.coreos.com/v1
  --include-crds        print DIR/crds/* (verbatim) before the templates
  --notes               render templates/NOTES.txt and print it last, after
                        a line "# NOTES.txt"
  --strict              missingkey=error: any reference to an absent map key
                        (e.g. an undefined .Values path) fails rendering

Output: every rendered document as "---\n# Source: CHART/templates/FILE\n...",
templates in lexical path order (no kind-order sort), empty and comment-only
documents dropped.
Not supported: subcharts/dependencies, hooks handling (hooks are printed like
other resources), .Files.Glob/AsConfig/AsSecrets, values.schema.json
validation, lookup against a cluster (always an empty map), post-renderers,
toToml, .Capabilities.HelmVersion.
Exit status: 0 rendered, 1 chart/values/template error, 2 usage error.
`

const (
	defaultReleaseName = "destination"
	defaultNamespace   = "default"
	defaultKubeVersion = "1.28.0"
	noValue            = "<no value>"
	maxIncludeDepth    = 1000
	notesSuffix        = "NOTES.txt"
)

// defaultAPIVersions is what .Capabilities.APIVersions.Has answers true for
// (before --api-versions): the group/versions a Kubernetes 1.28 API server
// serves out of the box. Helm's own offline default is the longer list of every
// group/version compiled into its client-go scheme (which also contains many
// beta/alpha versions); this tool deliberately keeps to this fixed list.
var defaultAPIVersions = []string{
	"v1",
	"admissionregistration.k8s.io/v1",
	"apiextensions.k8s.io/v1",
	"apiregistration.k8s.io/v1",
	"apps/v1",
	"authentication.k8s.io/v1",
	"authorization.k8s.io/v1",
	"autoscaling/v1",
	"autoscaling/v2",
	"batch/v1",
	"certificates.k8s.io/v1",
	"coordination.k8s.io/v1",
	"discovery.k8s.io/v1",
	"events.k8s.io/v1",
	"flowcontrol.apiserver.k8s.io/v1beta2",
	"flowcontrol.apiserver.k8s.io/v1beta3",
	"networking.k8s.io/v1",
	"node.k8s.io/v1",
	"policy/v1",
	"rbac.authorization.k8s.io/v1",
	"scheduling.k8s.io/v1",
	"storage.k8s.io/v1",
}

// ---------------------------------------------------------------------------
// Command line

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	chartDir    string
	valueFiles  listFlag
	sets        listFlag
	apiVersions listFlag
	releaseName string
	namespace   string
	kubeVersion string
	includeCRDs bool
	notes       bool
	strict      bool
}

// usageError marks errors that exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func parseArgs(args []string) (*options, error) {
	o := &options{}
	fset := flag.NewFlagSet("render", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.StringVar(&o.chartDir, "chart", "", "")
	fset.Var(&o.valueFiles, "values", "")
	fset.Var(&o.sets, "set", "")
	fset.Var(&o.apiVersions, "api-versions", "")
	fset.StringVar(&o.releaseName, "release-name", defaultReleaseName, "")
	fset.StringVar(&o.namespace, "namespace", defaultNamespace, "")
	fset.StringVar(&o.kubeVersion, "kube-version", defaultKubeVersion, "")
	fset.BoolVar(&o.includeCRDs, "include-crds", false, "")
	fset.BoolVar(&o.notes, "notes", false, "")
	fset.BoolVar(&o.strict, "strict", false, "")
	if err := fset.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fset.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q", fset.Arg(0))}
	}
	if o.chartDir == "" {
		return nil, usageError{"--chart DIR is required"}
	}
	return o, nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err == flag.ErrHelp {
		fmt.Fprint(stdout, usageText)
		return 0
	}
	if err == nil {
		var out string
		out, err = render(o, stderr)
		if err == nil {
			w := bufio.NewWriter(stdout)
			w.WriteString(out)
			if err = w.Flush(); err == nil {
				return 0
			}
		}
	}
	fmt.Fprintf(stderr, "render: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprint(stderr, "(run with -h for usage)\n")
		return 2
	}
	return 1
}

// ---------------------------------------------------------------------------
// Chart metadata (field names as Helm exposes them under .Chart)

type Maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

type Dependency struct {
	Name         string        `json:"name"`
	Version      string        `json:"version,omitempty"`
	Repository   string        `json:"repository"`
	Condition    string        `json:"condition,omitempty"`
	Tags         []string      `json:"tags,omitempty"`
	Enabled      bool          `json:"enabled,omitempty"`
	ImportValues []interface{} `json:"import-values,omitempty"`
	Alias        string        `json:"alias,omitempty"`
}

type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

// ChartInfo is .Chart: the metadata plus IsRoot, as in Helm.
type ChartInfo struct {
	Metadata
	IsRoot bool
}

func loadMetadata(dir string) (*Metadata, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("Chart.yaml file is missing in %s", dir)
	}
	if err != nil {
		return nil, err
	}
	md := &Metadata{}
	if err := yaml.Unmarshal(data, md); err != nil {
		return nil, fmt.Errorf("cannot load Chart.yaml: %v", err)
	}
	switch {
	case md.APIVersion == "":
		return nil, errors.New("validation: chart.metadata.apiVersion is required")
	case md.APIVersion != "v2":
		return nil, fmt.Errorf("chart apiVersion %q is not supported by this renderer (only \"v2\")", md.APIVersion)
	case md.Name == "":
		return nil, errors.New("validation: chart.metadata.name is required")
	case md.Name != filepath.Base(md.Name):
		return nil, fmt.Errorf("validation: chart.metadata.name %q is invalid", md.Name)
	case md.Version == "":
		return nil, errors.New("validation: chart.metadata.version is required")
	}
	if _, err := semver.NewVersion(md.Version); err != nil {
		return nil, fmt.Errorf("validation: chart.metadata.version %q is invalid", md.Version)
	}
	switch md.Type {
	case "", "application":
	case "library":
		return nil, errors.New("library charts are not installable")
	default:
		return nil, errors.New("validation: chart.metadata.type must be application or library")
	}
	if len(md.Dependencies) > 0 {
		return nil, errors.New("chart declares dependencies; subcharts are not supported by this renderer")
	}
	entries, err := os.ReadDir(filepath.Join(dir, "charts"))
	if err == nil {
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				return nil, fmt.Errorf("charts/%s: subcharts are not supported by this renderer", e.Name())
			}
		}
	}
	return md, nil
}

// ---------------------------------------------------------------------------
// Values

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil { // an empty file or a bare "null"
		m = map[string]interface{}{}
	}
	return m, nil
}

// mergeInto deep-merges src over dst (used between --values files): maps
// merge key by key, any other src value replaces what dst had.
func mergeInto(dst, src map[string]interface{}) {
	for k, sv := range src {
		if sm, ok := sv.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = sv
	}
}

// coalesce fills user with the chart defaults, as Helm does: user values win,
// nested maps are combined, and a user null removes the key altogether.
func coalesce(user, defaults map[string]interface{}, prefix string, warn io.Writer) {
	for k, dv := range defaults {
		uv, present := user[k]
		if !present {
			user[k] = dv
			continue
		}
		if uv == nil {
			delete(user, k)
			continue
		}
		um, userIsMap := uv.(map[string]interface{})
		dm, defIsMap := dv.(map[string]interface{})
		switch {
		case userIsMap && defIsMap:
			coalesce(um, dm, prefix+k+".", warn)
		case userIsMap && dv != nil:
			fmt.Fprintf(warn, "render: warning: skipped default for %s%s: not a table (%v)\n", prefix, k, dv)
		case !userIsMap && defIsMap:
			fmt.Fprintf(warn, "render: warning: cannot overwrite table with non table for %s%s (%v)\n", prefix, k, uv)
		}
	}
}

// setValue parses one --set argument ("a.b=1,c={x,y}") into vals.
func setValue(expr string, vals map[string]interface{}) error {
	rs := []rune(expr)
	i := 0
	// readUntil returns the unescaped text up to (not including) the first
	// unescaped rune in stops, and that rune (0 at the end of input).
	readUntil := func(stops string) (string, rune) {
		var b strings.Builder
		for i < len(rs) {
			r := rs[i]
			i++
			if r == '\\' && i < len(rs) {
				b.WriteRune(rs[i])
				i++
				continue
			}
			if strings.ContainsRune(stops, r) {
				return b.String(), r
			}
			b.WriteRune(r)
		}
		return b.String(), 0
	}
	for i < len(rs) {
		// key: dotted segments up to '='
		var segs []string
		for {
			seg, last := readUntil(".=,[")
			if last == '[' {
				return fmt.Errorf("%q: list indexes (key[N]=value) are not supported by this renderer", expr)
			}
			if seg == "" {
				return fmt.Errorf("%q: empty key segment", expr)
			}
			segs = append(segs, seg)
			if last == '.' {
				continue
			}
			if last != '=' {
				return fmt.Errorf("key %q has no value", strings.Join(segs, "."))
			}
			break
		}
		// value: {list} or plain
		var val interface{}
		if i < len(rs) && rs[i] == '{' {
			i++
			list := []interface{}{}
			for {
				item, last := readUntil(",}")
				if last == 0 {
					return fmt.Errorf("%q: list must terminate with '}'", expr)
				}
				list = append(list, typedSetValue(item))
				if last == '}' {
					break
				}
			}
			if i < len(rs) {
				if rs[i] != ',' {
					return fmt.Errorf("%q: unexpected %q after list", expr, string(rs[i:]))
				}
				i++
			}
			val = list
		} else {
			s, _ := readUntil(",")
			val = typedSetValue(s)
		}
		// store
		m := vals
		for _, s := range segs[:len(segs)-1] {
			switch next := m[s].(type) {
			case map[string]interface{}:
				m = next
			case nil: // absent (or null): create the map
				nm := map[string]interface{}{}
				m[s] = nm
				m = nm
			default:
				return fmt.Errorf("unable to parse key: %q is a %T, not a map, so %q cannot be set", s, next, strings.Join(segs, "."))
			}
		}
		m[segs[len(segs)-1]] = val
	}
	return nil
}

// typedSetValue types a --set value the way Helm's strvals does.
func typedSetValue(s string) interface{} {
	switch {
	case strings.EqualFold(s, "true"):
		return true
	case strings.EqualFold(s, "false"):
		return false
	case strings.EqualFold(s, "null"):
		return nil
	case s == "0":
		return int64(0)
	}
	if s != "" && s[0] != '0' {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}

func loadValues(o *options, warn io.Writer) (map[string]interface{}, error) {
	defaults := map[string]interface{}{}
	defFile := filepath.Join(o.chartDir, "values.yaml")
	if _, err := os.Stat(defFile); err == nil {
		d, err := readYAMLMap(defFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load values.yaml: %v", err)
		}
		defaults = d
	}
	user := map[string]interface{}{}
	for _, f := range o.valueFiles {
		m, err := readYAMLMap(f)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %v", f, err)
		}
		mergeInto(user, m)
	}
	for _, s := range o.sets {
		if err := setValue(s, user); err != nil {
			return nil, usageError{"failed parsing --set data: " + err.Error()}
		}
	}
	coalesce(user, defaults, "", warn)
	return user, nil
}

// ---------------------------------------------------------------------------
// .Capabilities, .Files

type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv *KubeVersion) String() string     { return kv.Version }
func (kv *KubeVersion) GitVersion() string { return kv.Version }

type VersionSet []string

func (vs VersionSet) Has(apiVersion string) bool {
	for _, v := range vs {
		if v == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

// ChartFiles is .Files: read-only access to the chart's non-special files.
type ChartFiles struct{ root string }

func (f *ChartFiles) GetBytes(name string) []byte {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." ||
		strings.HasPrefix(name, "../") || strings.Contains(name, "\\") {
		return []byte{}
	}
	switch name {
	case "Chart.yaml", "Chart.lock", "values.yaml", "values.schema.json", "requirements.yaml", "requirements.lock":
		return []byte{}
	}
	if strings.HasPrefix(name, "templates/") || strings.HasPrefix(name, "charts/") {
		return []byte{}
	}
	data, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(name)))
	if err != nil {
		return []byte{}
	}
	return data
}

func (f *ChartFiles) Get(name string) string { return string(f.GetBytes(name)) }

func (f *ChartFiles) Lines(name string) []string {
	s := f.Get(name)
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// ---------------------------------------------------------------------------
// Template functions

// Errors from required/fail are wrapped in these markers so that the final
// message can be cut out of Go's long "executing ... error calling ..." chain,
// giving Helm's "execution error at (FILE:LINE:COL): MSG".
const (
	msgStart = "\x01RENDER_MSG<"
	msgEnd   = ">RENDER_MSG\x01"
)

var msgRe = regexp.MustCompile(regexp.QuoteMeta(msgStart) + `((?s).*)` + regexp.QuoteMeta(msgEnd))

func userError(msg string) error { return errors.New(msgStart + msg + msgEnd) }

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "" // Helm swallows marshalling errors inside templates
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

type engine struct {
	strict   bool
	includes map[string]int // active include depth per template name
}

func (e *engine) setMissingKey(t *template.Template) {
	if e.strict {
		t.Option("missingkey=error")
	} else {
		t.Option("missingkey=zero")
	}
}

func (e *engine) baseFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["fromYamlArray"] = fromYAMLArray
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["fromJsonArray"] = fromJSONArray
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["getHostByName"] = func(string) string { return "" }
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, userError(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, userError(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", userError(msg) }
	return f
}

// boundFuncs are the functions that execute templates of the set t; tpl
// re-binds them to its private clone so defines inside a tpl string work.
func (e *engine) boundFuncs(t *template.Template) template.FuncMap {
	return template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			if e.includes[name] > maxIncludeDepth {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
			}
			e.includes[name]++
			defer func() { e.includes[name]-- }()
			var b strings.Builder
			err := t.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"tpl": func(text string, data interface{}) (string, error) {
			c, err := t.Clone()
			if err != nil {
				return "", fmt.Errorf("cannot clone template: %v", err)
			}
			e.setMissingKey(c) // Clone does not carry the option over
			c.Funcs(e.boundFuncs(c))
			c, err = c.New(t.Name()).Parse(text)
			if err != nil {
				return "", fmt.Errorf("cannot parse template %q: %v", text, err)
			}
			var b strings.Builder
			if err := c.Execute(&b, data); err != nil {
				return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
			}
			return strings.ReplaceAll(b.String(), noValue, ""), nil
		},
	}
}

func parseError(name string, err error) error {
	parts := strings.Split(err.Error(), ": ")
	if len(parts) == 1 {
		return fmt.Errorf("parse error in (%s): %v", name, err)
	}
	return fmt.Errorf("parse error at (%s): %s", parts[1], parts[len(parts)-1])
}

func execError(name string, err error) error {
	if _, ok := err.(template.ExecError); !ok {
		return err
	}
	parts := strings.SplitN(err.Error(), ": ", 3)
	if len(parts) != 3 {
		return fmt.Errorf("execution error in (%s): %v", name, err)
	}
	if m := msgRe.FindStringSubmatch(parts[2]); m != nil {
		return fmt.Errorf("execution error at (%s): %s", parts[1], m[1])
	}
	return err
}

// ---------------------------------------------------------------------------
// Rendering

type sourceFile struct {
	name string // CHART/templates/REL or CHART/crds/REL
	data []byte
}

// collectFiles returns the files under dir/sub whose names end in one of exts
// (case-insensitive), named CHART/sub/REL, in lexical order.
func collectFiles(dir, sub, chartName string, exts []string) ([]sourceFile, error) {
	root := filepath.Join(dir, sub)
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, nil
	}
	var out []sourceFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		keep := false
		for _, e := range exts {
			keep = keep || ext == e
		}
		if !keep {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, sourceFile{name: chartName + "/" + sub + "/" + filepath.ToSlash(rel), data: data})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, err
}

// helmParseOrder sorts names the way Helm parses (and executes) templates:
// more path components first, then reverse lexical order.
func helmParseOrder(names []string) {
	sort.Slice(names, func(i, j int) bool {
		ci, cj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if ci != cj {
			return ci > cj
		}
		return names[i] > names[j]
	})
}

// renderTemplates executes every renderable template and returns name -> text.
func renderTemplates(tpls []sourceFile, top map[string]interface{}, basePath string, strict, notes bool) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	e := &engine{strict: strict, includes: map[string]int{}}
	root := template.New("gotpl")
	e.setMissingKey(root)
	root.Funcs(e.baseFuncs()).Funcs(e.boundFuncs(root))

	byName := map[string]string{}
	var order []string
	for _, f := range tpls {
		byName[f.name] = string(f.data)
		order = append(order, f.name)
	}
	helmParseOrder(order)
	for _, name := range order {
		if _, err := root.New(name).Parse(byName[name]); err != nil {
			return nil, parseError(name, err)
		}
	}
	rendered = map[string]string{}
	for _, name := range order {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		if strings.HasSuffix(name, notesSuffix) && !notes {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": name, "BasePath": basePath}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, top); err != nil {
			return nil, execError(name, err)
		}
		rendered[name] = strings.ReplaceAll(b.String(), noValue, "")
	}
	return rendered, nil
}

// splitDocuments splits rendered text on "---" lines, trims each document and
// drops the ones holding nothing but blank lines and comments.
func splitDocuments(text string) []string {
	var docs []string
	var cur []string
	flush := func() {
		doc := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = nil
		for _, line := range strings.Split(doc, "\n") {
			l := strings.TrimSpace(line)
			if l != "" && !strings.HasPrefix(l, "#") {
				docs = append(docs, doc)
				return
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimRight(line, " \t\r")
		if trimmed == "---" {
			flush()
			continue
		}
		if strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "---\t") {
			flush()
			cur = append(cur, strings.TrimLeft(line[3:], " \t"))
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}

// docHead is the part of every document Helm decodes (and so validates)
// before it accepts a manifest.
type docHead struct {
	Version  string `json:"apiVersion"`
	Kind     string `json:"kind,omitempty"`
	Metadata *struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}

func render(o *options, warn io.Writer) (string, error) {
	kv, err := semver.NewVersion(o.kubeVersion)
	if err != nil {
		return "", usageError{fmt.Sprintf("invalid kube version '%s': %s", o.kubeVersion, err)}
	}
	md, err := loadMetadata(o.chartDir)
	if err != nil {
		return "", err
	}
	caps := &Capabilities{
		KubeVersion: KubeVersion{
			Version: "v" + kv.String(),
			Major:   strconv.FormatUint(kv.Major(), 10),
			Minor:   strconv.FormatUint(kv.Minor(), 10),
		},
		APIVersions: append(append(VersionSet{}, defaultAPIVersions...), o.apiVersions...),
	}
	if md.KubeVersion != "" {
		c, cerr := semver.NewConstraint(md.KubeVersion)
		if cerr != nil || !c.Check(kv) {
			return "", fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", md.KubeVersion, caps.KubeVersion.Version)
		}
	}
	values, err := loadValues(o, warn)
	if err != nil {
		return "", err
	}
	tpls, err := collectFiles(o.chartDir, "templates", md.Name, []string{".yaml", ".yml", ".tpl", ".txt"})
	if err != nil {
		return "", err
	}
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name":      o.releaseName,
			"Namespace": o.namespace,
			"Service":   "Helm",
			"IsInstall": true,
			"IsUpgrade": false,
			"Revision":  1,
		},
		"Chart":        ChartInfo{Metadata: *md, IsRoot: true},
		"Capabilities": caps,
		"Files":        &ChartFiles{root: o.chartDir},
		"Subcharts":    map[string]interface{}{},
	}
	rendered, err := renderTemplates(tpls, top, md.Name+"/templates", o.strict, o.notes)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	if o.includeCRDs {
		crds, err := collectFiles(o.chartDir, "crds", md.Name, []string{".yaml", ".yml", ".json"})
		if err != nil {
			return "", err
		}
		for _, c := range crds {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", c.name, c.data)
		}
	}
	var names []string
	for name := range rendered {
		if !strings.HasSuffix(name, notesSuffix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, doc := range splitDocuments(rendered[name]) {
			var head docHead
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, doc)
		}
	}
	out := strings.TrimSpace(b.String()) + "\n"
	if o.notes {
		if n, ok := rendered[md.Name+"/templates/"+notesSuffix]; ok {
			out += "# " + notesSuffix + "\n" + n
			if !strings.HasSuffix(n, "\n") {
				out += "\n"
			}
		}
	}
	return out, nil
}
