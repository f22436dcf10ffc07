#!/usr/bin/env bash
# Validates charts/orleans-triggers as far as that is possible without helm (no helm binary exists on these
# machines and none can be fetched), and without a Kubernetes cluster.
#
# What it checks:
#   1. yamllint (a relaxed config, warnings fatal) on Chart.yaml, values.yaml and ci/*.yaml.
#   2. Chart.yaml metadata; every .Values path the templates use exists in values.yaml; every template's
#      {{ }} actions are balanced and every if/with/range/define has its end.
#   3. The hand-rendered examples in ci/ (rendered-example.yaml: default values + ci/example-values.yaml;
#      rendered-kerberos-ingress.yaml: the optional Kerberos mounts and Ingress) with kubectl, offline:
#        - kubectl's own YAML reader lists every document (kubectl label --local);
#        - every document decodes into kubectl's compiled-in API types (kubectl set env --local): unknown
#          apiVersion/kind, wrong field types and malformed quantities fail here;
#        - for the StatefulSet and Deployment, the typed round trip must keep every field the example sets,
#          so misspelt or misplaced fields (silently dropped by the decoder) fail too.
#      kubectl apply/create --dry-run=client cannot be used: both need an API server for discovery.
#      Needs kubectl 1.25 or later (policy/v1 and the other API versions the chart uses); Debian 12's own
#      kubernetes-client (1.20) is too old, and the script says so instead of running these checks.
#   4. Cross-references inside each example: selectors match pod labels, Services' target ports and probes'
#      ports exist, secretKeyRefs/volumes point at objects and keys that exist, RBAC subjects exist, the
#      Orleans pod labels equal the cluster identity in the environment, ports agree with Orleans__SiloPort,
#      Orleans__GatewayPort and ASPNETCORE_URLS, non-root and read-only root filesystem with a writable /tmp.
#   5. Drift: every template line outside optional blocks must have a counterpart in rendered-example.yaml,
#      and every environment variable in the examples must appear in a template.
#
# What it cannot check: that helm renders the templates exactly as the examples say (no helm template /
# helm lint), server-side validation and admission, or the images. Exit status: 0 when every check passed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
# CHART_DIR: validate another copy of the chart (used to test this script against broken charts).
CHART="${CHART_DIR:-$ROOT/charts/orleans-triggers}"
readonly CHART

log() { echo "validate-chart: $*" >&2; }

ensure_tools() {
  local packages=()
  command -v yamllint >/dev/null 2>&1 || packages+=(yamllint)
  command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
  python3 -c 'import yaml' >/dev/null 2>&1 || packages+=(python3-yaml)
  ((${#packages[@]} == 0)) && return 0
  if [[ "$(id -u)" != 0 ]]; then
    log "missing tools (${packages[*]}); install them with apt-get or run as root"
    exit 2
  fi
  log "installing ${packages[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
}

ensure_tools
command -v python3 >/dev/null || { log "python3 is required"; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/validate-chart.XXXXXX")"
readonly WORK
trap 'rm -rf -- "$WORK"' EXIT
# kubectl must never reach a real cluster from here: an empty configuration, and only --local commands.
export KUBECONFIG="$WORK/kubeconfig-none"

cat >"$WORK/yamllint.yaml" <<'EOF'
extends: relaxed
rules:
  line-length:
    max: 160
  indentation:
    spaces: 2
    # Helm's toYaml writes sequences unindented, the templates indent theirs: both appear in rendered output.
    indent-sequences: whatever
  trailing-spaces: enable
  new-line-at-end-of-file: enable
  truthy:
    allowed-values: ["true", "false"]
    check-keys: false
EOF

cat >"$WORK/check.py" <<'PYEOF'
import base64, json, os, re, subprocess, sys
import yaml

chart, work = sys.argv[1], sys.argv[2]
results = []   # (ok, name, detail)

def record(ok, name, detail=""):
    results.append((ok, name, detail))
    print(("PASS  " if ok else "FAIL  ") + name + (": " + detail if detail else ""), flush=True)

def rel(path):
    return os.path.relpath(path, os.path.dirname(os.path.dirname(chart)))

# ---------------------------------------------------------------------------------------------------------
# 1. yamllint
lint_files = [os.path.join(chart, "Chart.yaml"), os.path.join(chart, "values.yaml")]
lint_files += sorted(os.path.join(chart, "ci", f) for f in os.listdir(os.path.join(chart, "ci")) if f.endswith(".yaml"))
for f in lint_files:
    p = subprocess.run(["yamllint", "--strict", "-f", "parsable", "-c", os.path.join(work, "yamllint.yaml"), f],
                       capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    record(p.returncode == 0, "yamllint " + rel(f), "" if p.returncode == 0 else "\n" + out)

# ---------------------------------------------------------------------------------------------------------
# 2. chart metadata, values paths, template structure
try:
    with open(os.path.join(chart, "Chart.yaml")) as fh:
        meta = yaml.safe_load(fh) or {}
except yaml.YAMLError as e:
    meta = {}
problems = []
if meta.get("apiVersion") != "v2": problems.append("apiVersion must be v2")
if meta.get("name") != os.path.basename(chart): problems.append("name must equal the chart directory's name")
if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?", str(meta.get("version", ""))):
    problems.append("version must be SemVer 2")
if not meta.get("appVersion"): problems.append("appVersion missing")
if meta.get("type", "application") not in ("application", "library"): problems.append("type must be application or library")
record(not problems, "Chart.yaml metadata", "; ".join(problems))

try:
    with open(os.path.join(chart, "values.yaml")) as fh:
        values = yaml.safe_load(fh) or {}
except yaml.YAMLError as e:
    record(False, "values.yaml parses", str(e))
    values = {}
tdir = os.path.join(chart, "templates")
templates = sorted(f for f in os.listdir(tdir) if not f.startswith("."))
texts = {f: open(os.path.join(tdir, f)).read() for f in templates}

aliases = {"$krb5": "kerberos.krb5Conf", "$keytab": "kerberos.keytab"}
missing = set()
for f, text in texts.items():
    refs = [m.group(1) for m in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text)]
    for alias, base in aliases.items():
        refs += ["." + base + m.group(1) for m in re.finditer(re.escape(alias) + r"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text)]
    for ref in refs:
        node = values
        for part in ref.strip(".").split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                missing.add(f"{f}: .Values{ref}")
                break
record(not missing, "every .Values path used by the templates exists in values.yaml", "; ".join(sorted(missing)))

problems = []
for f, text in texts.items():
    if text.count("{{") != text.count("}}"):
        problems.append(f"{f}: {text.count('{{')} '{{{{' but {text.count('}}')} '}}}}'")
    actions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", text, re.S)
    depth = 0
    for a in actions:
        if a.startswith("/*"):
            continue
        word = a.split()[0] if a.split() else ""
        if word in ("if", "with", "range", "define", "block"):
            depth += 1
        elif word == "end":
            depth -= 1
            if depth < 0:
                problems.append(f"{f}: 'end' without an opening action")
                depth = 0
    if depth:
        problems.append(f"{f}: {depth} if/with/range/define without 'end'")
record(not problems, f"template actions balanced ({len(texts)} files)", "; ".join(problems))

# ---------------------------------------------------------------------------------------------------------
# 3./4. the rendered examples
def kubectl(args, stdin=None):
    return subprocess.run(["kubectl"] + args, capture_output=True, text=True, input=stdin, timeout=120)

def is_zero(v):
    return v in (None, False, 0, "", [], {})

def dropped(orig, out, path):
    """Paths set in orig (non-zero) that the typed round trip lost: unknown or misplaced fields."""
    lost = []
    if isinstance(orig, dict):
        if not isinstance(out, dict):
            return [path]
        for k, v in orig.items():
            if k not in out:
                if not is_zero(v):
                    lost.append(f"{path}.{k}")
            else:
                lost += dropped(v, out[k], f"{path}.{k}")
    elif isinstance(orig, list):
        if not isinstance(out, list) or len(out) < len(orig):
            return [path]
        for i, v in enumerate(orig):
            lost += dropped(v, out[i], f"{path}[{i}]")
    return lost

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

def pod_spec(doc):
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]

def pod_labels(doc):
    return (doc.get("metadata") or {}).get("labels") or {} if doc["kind"] == "Pod" else \
        (doc["spec"]["template"].get("metadata") or {}).get("labels") or {}

def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

def kubectl_minor():
    try:
        p = kubectl(["version", "--client", "-o", "json"])
        v = json.loads(p.stdout)["clientVersion"]
        return int(v["major"]), int(re.sub(r"\D.*", "", v["minor"])), v.get("gitVersion", "")
    except Exception:
        return 0, 0, "unknown"

major, minor, kubectl_version = kubectl_minor()
# The chart's objects (policy/v1 PodDisruptionBudget, ...) need a kubectl whose built-in types know them:
# Debian 12's kubernetes-client (1.20) does not.
kubectl_ok = (major, minor) >= (1, 25)
record(kubectl_ok, f"kubectl {kubectl_version} knows the chart's API versions (needs 1.25 or later)",
       "" if kubectl_ok else "install a newer kubectl (e.g. the one in google-cloud-cli) to run the kubectl checks")

def kubectl_checks(name, path, docs):
    # kubectl's own YAML reader, all documents at once.
    p = kubectl(["label", "--local", "--dry-run=client", "-o", "name", "-f", path, "validate-chart=1"])
    listed = [l for l in p.stdout.splitlines() if l.strip()]
    record(p.returncode == 0 and len(listed) == len(docs),
           f"{name}: kubectl reads every document (kubectl label --local)",
           f"{len(listed)} of {len(docs)} listed" + ("; " + p.stderr.strip() if p.stderr.strip() else ""))

    # Typed decoding, document by document, and the round trip for workloads.
    decode_fail, lost_fields, round_trips = [], [], 0
    for i, d in enumerate(docs):
        label = f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"
        doc_file = os.path.join(work, f"doc-{os.getpid()}-{i}.json")
        with open(doc_file, "w") as fh:
            json.dump(d, fh)
        p = kubectl(["set", "env", "--local", "--dry-run=client", "-o", "json", "-f", doc_file, "VALIDATE_CHART_ROUNDTRIP=1"])
        err = p.stderr.strip()
        if "unable to decode" in err or "no kind" in err or "no matches for kind" in err:
            decode_fail.append(f"{label}: {err}")
        elif d.get("kind") in WORKLOADS:
            if p.returncode != 0:
                decode_fail.append(f"{label}: {err}")
                continue
            out = json.loads(p.stdout)
            round_trips += 1
            lost_fields += [f"{label}: {x}" for x in dropped(d, out, "")]
        elif "not a pod or does not have a pod template" not in err:
            decode_fail.append(f"{label}: unexpected kubectl answer: {err or p.stdout[:200]}")
    record(not decode_fail, f"{name}: every document decodes into kubectl's API types (kubectl set env --local)",
           "; ".join(decode_fail))
    record(not lost_fields and round_trips > 0,
           f"{name}: typed round trip keeps every field ({round_trips} workloads)",
           "unknown or misplaced fields: " + "; ".join(lost_fields) if lost_fields else ("" if round_trips else "no workload found"))

def check_example(path, base_docs=()):
    """base_docs: the default example's documents, which a partial example (the objects that differ for some
    other values) is laid over when references are resolved."""
    name = rel(path)
    try:
        with open(path) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d]
    except yaml.YAMLError as e:
        record(False, f"{name}: parses", str(e))
        return []
    record(bool(docs), f"{name}: parses ({len(docs)} documents)")
    if not docs:
        return []

    if kubectl_ok:
        kubectl_checks(name, path, docs)

    # Cross-references, over this file laid on the default example.
    own = {(d.get("kind"), (d.get("metadata") or {}).get("name")) for d in docs}
    merged = [d for d in base_docs if (d.get("kind"), (d.get("metadata") or {}).get("name")) not in own] + docs
    problems = []
    by_kind = {}
    seen = set()
    for d in merged:
        md = d.get("metadata") or {}
        for key in ("apiVersion", "kind"):
            if not d.get(key):
                problems.append(f"a document has no {key}")
        if not md.get("name"):
            problems.append(f"{d.get('kind')} without metadata.name")
            continue
        if not md.get("namespace"):
            problems.append(f"{d['kind']}/{md['name']}: no metadata.namespace")
        key = (d["kind"], md["name"])
        if key in seen:
            problems.append(f"duplicate {d['kind']}/{md['name']}")
        seen.add(key)
        by_kind.setdefault(d["kind"], {})[md["name"]] = d
        rx = DNS1035 if d["kind"] == "Service" else DNS1123
        if not rx.match(md["name"]) or len(md["name"]) > (63 if d["kind"] == "Service" else 253):
            problems.append(f"{d['kind']}/{md['name']}: invalid name")
        all_labels = dict(md.get("labels") or {})
        if d["kind"] in WORKLOADS and d["kind"] != "Pod":
            all_labels.update(pod_labels(d))
        for k, v in all_labels.items():
            if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
                problems.append(f"{d['kind']}/{md['name']}: invalid label value {k}={v!r}")

    def get(kind, nm):
        return by_kind.get(kind, {}).get(nm)

    workloads = [d for k in WORKLOADS for d in by_kind.get(k, {}).values()]
    for w in workloads:
        wn = f"{w['kind']}/{w['metadata']['name']}"
        spec = pod_spec(w)
        labels = pod_labels(w)
        if w["kind"] != "Pod":
            sel = (w["spec"].get("selector") or {}).get("matchLabels") or {}
            if not matches(sel, labels):
                problems.append(f"{wn}: selector {sel} does not match the pod labels")
        if w["kind"] == "StatefulSet":
            svc = get("Service", w["spec"].get("serviceName"))
            if not svc or svc["spec"].get("clusterIP") != "None":
                problems.append(f"{wn}: serviceName {w['spec'].get('serviceName')!r} is not a headless Service here")
        sa = spec.get("serviceAccountName")
        if sa and sa != "default" and not get("ServiceAccount", sa):
            problems.append(f"{wn}: ServiceAccount {sa} not found")
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        for v in volumes.values():
            if "configMap" in v:
                cm = get("ConfigMap", v["configMap"]["name"])
                if not cm:
                    problems.append(f"{wn}: ConfigMap {v['configMap']['name']} not found")
                else:
                    for item in v["configMap"].get("items") or []:
                        if item["key"] not in (cm.get("data") or {}):
                            problems.append(f"{wn}: ConfigMap {cm['metadata']['name']} has no key {item['key']}")
            if "secret" in v:
                if not get("Secret", v["secret"]["secretName"]):
                    problems.append(f"{wn}: Secret {v['secret']['secretName']} not found")
                mode = v["secret"].get("defaultMode", 0o644)
                if not mode & 0o044:
                    problems.append(f"{wn}: secret volume {v['name']} mode {mode:o} is readable by its owner (root) only")
        if (spec.get("securityContext") or {}).get("runAsNonRoot") is not True:
            problems.append(f"{wn}: pod securityContext.runAsNonRoot is not true")
        for c in spec.get("containers") or []:
            cn = f"{wn} container {c['name']}"
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            env = c.get("env") or []
            names = [e["name"] for e in env]
            for n in set(names):
                if names.count(n) > 1:
                    problems.append(f"{cn}: env {n} set twice")
            defined = set()
            envmap = {}
            for e in env:
                val = e.get("value")
                if isinstance(val, str):
                    for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", val):
                        if ref not in defined:
                            problems.append(f"{cn}: env {e['name']} refers to $({ref}) before it is defined")
                    envmap[e["name"]] = val
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    s = get("Secret", ref["name"])
                    if not s:
                        problems.append(f"{cn}: env {e['name']}: Secret {ref['name']} not found")
                    elif ref["key"] not in (s.get("data") or {}) and ref["key"] not in (s.get("stringData") or {}):
                        problems.append(f"{cn}: env {e['name']}: Secret {ref['name']} has no key {ref['key']}")
                fref = (e.get("valueFrom") or {}).get("fieldRef")
                if fref:
                    envmap[e["name"]] = "fieldRef:" + fref["fieldPath"]
                defined.add(e["name"])
            mounts = c.get("volumeMounts") or []
            for m in mounts:
                if m["name"] not in volumes:
                    problems.append(f"{cn}: volumeMount {m['name']} has no volume")
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is True and not any(m["mountPath"] == "/tmp" for m in mounts):
                problems.append(f"{cn}: read-only root filesystem without a volume at /tmp")
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                pr = c.get(probe)
                if pr and "httpGet" in pr:
                    port = pr["httpGet"]["port"]
                    if isinstance(port, str) and port not in ports:
                        problems.append(f"{cn}: {probe} port {port} is not a container port")
            url = envmap.get("ASPNETCORE_URLS")
            if url and "http" in ports and not url.endswith(f":{ports['http']}"):
                problems.append(f"{cn}: ASPNETCORE_URLS {url} does not listen on the http port {ports['http']}")
            for key, port in (("Orleans__SiloPort", "silo"), ("Orleans__GatewayPort", "gateway")):
                if key in envmap and str(ports.get(port)) != envmap[key]:
                    problems.append(f"{cn}: {key}={envmap[key]} but container port {port} is {ports.get(port)}")
            if "KRB5_CONFIG" in envmap:
                m = next((m for m in mounts if m["mountPath"] == envmap["KRB5_CONFIG"]), None)
                if not m or "configMap" not in volumes.get(m["name"], {}) or not m.get("subPath"):
                    problems.append(f"{cn}: KRB5_CONFIG {envmap['KRB5_CONFIG']} is not a file mounted from a ConfigMap")
            for m in mounts:
                if "secret" in volumes.get(m["name"], {}) and not m.get("readOnly"):
                    problems.append(f"{cn}: secret volume {m['name']} is not mounted read-only")
            if "orleans/serviceId" in labels or envmap.get("Orleans__Kubernetes") == "true":
                for lbl, envs in (("orleans/serviceId", ("ORLEANS_SERVICE_ID", "Orleans__ServiceId")),
                                  ("orleans/clusterId", ("ORLEANS_CLUSTER_ID", "Orleans__ClusterId"))):
                    for ev in envs:
                        if labels.get(lbl) is None or envmap.get(ev) != labels.get(lbl):
                            problems.append(f"{cn}: pod label {lbl}={labels.get(lbl)!r} but {ev}={envmap.get(ev)!r}")
                for ev, fp in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP")):
                    if envmap.get(ev) != "fieldRef:" + fp:
                        problems.append(f"{cn}: {ev} must come from the downward API ({fp})")
                if not sa or sa == "default":
                    problems.append(f"{wn}: Orleans' Kubernetes hosting needs a ServiceAccount with pod access")
                else:
                    verbs = set()
                    for rb in by_kind.get("RoleBinding", {}).values():
                        if any(x.get("kind") == "ServiceAccount" and x.get("name") == sa for x in rb.get("subjects") or []):
                            role = get(rb["roleRef"]["kind"], rb["roleRef"]["name"]) or {}
                            for rule in role.get("rules") or []:
                                if "" in rule.get("apiGroups", []) and "pods" in rule.get("resources", []):
                                    verbs |= set(rule.get("verbs") or [])
                    need = {"get", "list", "watch", "delete", "patch"}
                    if not need <= verbs and "*" not in verbs:
                        problems.append(f"{wn}: ServiceAccount {sa} lacks {sorted(need - verbs)} on pods (Orleans' Kubernetes hosting)")

    for s in by_kind.get("Service", {}).values():
        sn = f"Service/{s['metadata']['name']}"
        targets = [w for w in workloads if matches(s["spec"].get("selector") or {}, pod_labels(w))]
        if not targets:
            problems.append(f"{sn}: selector matches no pods")
        for port in s["spec"].get("ports") or []:
            tp = port.get("targetPort", port["port"])
            for w in targets:
                cports = [p for c in pod_spec(w)["containers"] for p in c.get("ports") or []]
                if not any(p.get("name") == tp or p["containerPort"] == tp for p in cports):
                    problems.append(f"{sn}: targetPort {tp} is not a port of {w['kind']}/{w['metadata']['name']}")
    for p in by_kind.get("PodDisruptionBudget", {}).values():
        sel = (p["spec"].get("selector") or {}).get("matchLabels") or {}
        if not any(matches(sel, pod_labels(w)) for w in workloads):
            problems.append(f"PodDisruptionBudget/{p['metadata']['name']}: selector matches no pods")
    for rb in by_kind.get("RoleBinding", {}).values():
        if not get(rb["roleRef"]["kind"], rb["roleRef"]["name"]):
            problems.append(f"RoleBinding/{rb['metadata']['name']}: {rb['roleRef']['kind']} {rb['roleRef']['name']} not found")
        for sub in rb.get("subjects") or []:
            if sub["kind"] == "ServiceAccount" and not get("ServiceAccount", sub["name"]):
                problems.append(f"RoleBinding/{rb['metadata']['name']}: ServiceAccount {sub['name']} not found")
    for ing in by_kind.get("Ingress", {}).values():
        for rule in ing["spec"].get("rules") or []:
            for pth in (rule.get("http") or {}).get("paths") or []:
                svc = pth["backend"]["service"]
                target = get("Service", svc["name"])
                if not target:
                    problems.append(f"Ingress/{ing['metadata']['name']}: Service {svc['name']} not found")
                elif svc["port"].get("number") not in [p["port"] for p in target["spec"]["ports"]]:
                    problems.append(f"Ingress/{ing['metadata']['name']}: Service {svc['name']} has no port {svc['port']}")
    for s in by_kind.get("Secret", {}).values():
        for k, v in (s.get("data") or {}).items():
            try:
                base64.b64decode(v, validate=True)
            except Exception:
                problems.append(f"Secret/{s['metadata']['name']}: data.{k} is not base64")
    record(not problems, f"{name}: cross-references and Orleans/Kubernetes conventions", "; ".join(problems))
    return docs

default_example = os.path.join(chart, "ci", "rendered-example.yaml")
examples = sorted(os.path.join(chart, "ci", f) for f in os.listdir(os.path.join(chart, "ci"))
                  if f.startswith("rendered-") and f.endswith(".yaml") and f != "rendered-example.yaml")
all_docs = {}
if os.path.exists(default_example):
    all_docs[default_example] = check_example(default_example)
else:
    record(False, "ci/rendered-example.yaml exists")
for ex in examples:
    all_docs[ex] = check_example(ex, all_docs.get(default_example, []))

# ---------------------------------------------------------------------------------------------------------
# 5. drift between templates and the examples
def drift(example, files, transparent=None):
    """Template lines that would be rendered for the example's values but have no counterpart in it.
    Checked: lines outside any if/with/range block, plus lines inside blocks whose action matches
    `transparent` (conditions true for that example); a guard around a whole file counts as true."""
    example_lines = {l.strip() for l in open(example) if l.strip()}
    unmatched = []
    for f in files:
        lines = texts[f].splitlines()
        nonblank = [i for i, l in enumerate(lines) if l.strip()]
        skip = set()
        if nonblank and re.match(r"\s*\{\{-?\s*if\b", lines[nonblank[0]]) and re.match(r"\s*\{\{-?\s*end\s*-?\}\}\s*$", lines[nonblank[-1]]):
            skip = {nonblank[0], nonblank[-1]}
        stack = []   # one bool per open block: rendered for this example?
        for i, line in enumerate(lines):
            if i in skip:
                continue
            body = line.strip()
            actions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", line)
            structural = False
            for a in actions:
                word = a.split()[0] if a.split() else ""
                if word in ("if", "with", "range"):
                    stack.append(bool(transparent and re.match(transparent, a)))
                    structural = True
                elif word == "else" and stack:
                    stack[-1] = False
                    structural = True
                elif word == "end" and stack:
                    stack.pop()
                    structural = True
            if structural or not body or not all(stack) or re.fullmatch(r"\{\{.*\}\}", body):
                continue
            pattern = "".join(".*" if part.startswith("{{") else re.escape(part)
                              for part in re.split(r"(\{\{.*?\}\})", body))
            if not any(re.fullmatch(pattern, l) for l in example_lines):
                unmatched.append(f"{f}:{i + 1}: {body}")
    record(not unmatched, f"every template line rendered for {rel(example)} appears in it",
           "\n  " + "\n  ".join(unmatched) if unmatched else "")

optional = {"ingress.yaml", "krb5-configmap.yaml", "keytab-secret.yaml"}
if os.path.exists(default_example):
    drift(default_example, [f for f in templates if f.endswith(".yaml") and f not in optional])
overlay = os.path.join(chart, "ci", "rendered-kerberos-ingress.yaml")
if os.path.exists(overlay):
    drift(overlay, sorted(optional) + ["silo-statefulset.yaml"],
          r"(if \$krb5\.enabled|if \$keytab\.enabled|range|with \.host|with \.Values\.ingress\.(tls|className)|if \$useApi)")

if all_docs:
    template_text = "\n".join(texts.values())
    unknown_env = set()
    for ex, docs in all_docs.items():
        for d in docs:
            if d.get("kind") in WORKLOADS:
                for c in pod_spec(d).get("containers") or []:
                    for e in c.get("env") or []:
                        if not re.search(r"name:\s*" + re.escape(e["name"]) + r"\s*$", template_text, re.M):
                            unknown_env.add(f"{rel(ex)}: {e['name']}")
    record(not unknown_env, "every environment variable in the examples comes from a template", "; ".join(sorted(unknown_env)))

failed = [r for r in results if not r[0]]
print()
print("validate-chart: not checked here: helm template/lint (no helm), server-side validation, the images")
print(f"validate-chart: {len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PYEOF

cd "$ROOT"
python3 "$WORK/check.py" "$CHART" "$WORK"
