#!/usr/bin/env python3
"""The Kubernetes manifests in packaging/kubernetes/ against what they must
agree with, without a cluster (docs/kubernetes.md).

  manifests_test.py SOURCE_DIR BUILD_DIR

1. Every file parses as YAML; every document has apiVersion, kind and
   metadata.name (a kind cluster config: apiVersion and kind), the apiVersion
   its kind has, and a namespaced object names a namespace namespace.yaml makes.
2. The agent DaemonSet passes only flags faultline-agent accepts, read from
   BUILD_DIR's faultline-agent --help; without that binary, from the flag list
   of the agent's contract, and the output says the --help check was skipped.
   Every $(VAR) in its args is an env var of the container (the kubelet leaves
   an unknown one as literal text), and it listens on its pod's address.
3. The stack's Deployments, pods and Services carry the compose provider's
   labels (kRegionLabel, kHostLabel in controllers/compose/compose_topology.hpp)
   and no other faultline.* key; its regions and hosts are split-brain's; no
   pod claims the compose gateway (Kubernetes has none).
4. The Services' cluster IPs are the compose topology's addresses
   (targets/compose/topology.json), inside kind's service subnet; pods are in
   the ranges the reference database trusts.
5. The agent: hostPID, not hostNetwork, not privileged, exactly NET_ADMIN,
   SYS_ADMIN and SYS_PTRACE; its certificate paths are keys of the Secret
   template, mounted where the flags point; the NetworkPolicy selects its pods
   and admits the controller on its port only; RBAC has no wildcard, no
   cluster-wide role and no binding for the agent.
6. docs/kubernetes.md names every manifest file.
7. Every field of every object is one the Kubernetes API has there, of its
   type (the API's models in Debian's python3-kubernetes), so a misspelt or
   misplaced key (hostPid, a probe under the pod) fails here, not on a cluster.
"""
import difflib
import ipaddress
import json
import os
import re
import subprocess
import sys
import tomllib

import yaml

try:
    import kubernetes.client as k8s_models
except ImportError:
    print("python3-kubernetes is missing (the API's models, for the field check): "
          "apt-get install python3-kubernetes, or scripts/install-deps.sh")
    sys.exit(1)

source, build = sys.argv[1], sys.argv[2]
root = os.path.join(source, "packaging/kubernetes")
failures = []


def fail(message):
    failures.append(message)


def rel(path):
    return os.path.relpath(path, source)


# The flags of faultline-agent in the agent's contract (issue 22), used
# only when the binary is not built here.
CONTRACT_FLAGS = {"--listen", "--ca", "--cert", "--key", "--docker", "--node", "--state"}
# A flag the Kubernetes agent needs that the contract does not have yet: once
# faultline-agent accepts it, the DaemonSet must pass it.
RUNTIME_FLAG = "--cri"

API_VERSIONS = {
    "Namespace": "v1", "ServiceAccount": "v1", "Secret": "v1", "Service": "v1",
    "Deployment": "apps/v1", "DaemonSet": "apps/v1",
    "Role": "rbac.authorization.k8s.io/v1", "RoleBinding": "rbac.authorization.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1", "Lease": "coordination.k8s.io/v1",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}

# 1. Parse.
docs = []  # (file, document)
files = []
for dirpath, _, names in os.walk(root):
    for name in sorted(names):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(dirpath, name)
        files.append(path)
        try:
            with open(path) as f:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            fail(f"{rel(path)}: not YAML: {e}")
            continue
        if not loaded:
            fail(f"{rel(path)}: no document")
        for d in loaded:
            docs.append((path, d))
if not files:
    fail(f"{rel(root)}: no manifests")

kind_configs = []
for path, d in docs:
    if not isinstance(d, dict):
        fail(f"{rel(path)}: a document that is not a mapping")
        continue
    api, kind = d.get("apiVersion"), d.get("kind")
    if not api or not kind:
        fail(f"{rel(path)}: a document without apiVersion or kind")
        continue
    if api.startswith("kind.x-k8s.io/"):
        kind_configs.append((path, d))
        continue
    meta = d.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        fail(f"{rel(path)}: {kind} without metadata.name")
        continue
    if API_VERSIONS.get(kind, api) != api:
        fail(f"{rel(path)}: {kind} {meta['name']} has apiVersion {api}, not {API_VERSIONS[kind]}")

namespaces = {d["metadata"]["name"] for _, d in docs
              if isinstance(d, dict) and d.get("kind") == "Namespace"}
objects = [(p, d) for p, d in docs if isinstance(d, dict) and isinstance(d.get("metadata"), dict)
           and d["metadata"].get("name")]
for path, d in objects:
    if d["kind"] in CLUSTER_SCOPED:
        continue
    ns = d["metadata"].get("namespace")
    if ns not in namespaces:
        fail(f"{rel(path)}: {d['kind']} {d['metadata']['name']} is in namespace {ns!r}, "
             f"which namespace.yaml does not make ({sorted(namespaces)})")


def find(kind, name=None):
    return [(p, d) for p, d in objects if d["kind"] == kind and (name is None or
                                                               d["metadata"]["name"] == name)]


# 2. The agent's flags.
def agent_binary():
    for candidate in ["faultline-agent", "agent/faultline-agent", "controllers/agent/faultline-agent"]:
        path = os.path.join(build, candidate)
        if os.access(path, os.X_OK):
            return path
    return None


binary = agent_binary()
if binary:
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=20)
    accepted = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", r.stdout + r.stderr))
    accepted.discard("--help")
    if not accepted:
        fail(f"{binary} --help names no flag (exit {r.returncode}): {(r.stdout + r.stderr)[:200]!r}")
    where = f"{binary} --help"
else:
    accepted = CONTRACT_FLAGS
    where = "the agent contract's list"
    print(f"SKIPPED the --help check: no faultline-agent in {build} (build it: cmake --build "
          f"{build} --target faultline-agent); the DaemonSet's flags are checked against "
          f"the contract's list instead: {' '.join(sorted(CONTRACT_FLAGS))}")

daemonsets = find("DaemonSet", "faultline-agent")
if len(daemonsets) != 1:
    fail(f"expected one DaemonSet faultline-agent, found {len(daemonsets)}")
    daemonsets = []
agent_pod = agent_container = None
listen_port = None
for path, ds in daemonsets:
    agent_pod = ds["spec"]["template"]["spec"]
    containers = agent_pod.get("containers", [])
    if len(containers) != 1:
        fail(f"{rel(path)}: the agent pod should have one container, not {len(containers)}")
        continue
    agent_container = c = containers[0]
    args = [str(a) for a in c.get("args", [])]
    passed = [a.split("=", 1)[0] for a in args if a.startswith("--")]
    for flag in passed:
        if flag not in accepted:
            fail(f"{rel(path)}: the agent's args pass {flag}, which faultline-agent does not "
                 f"accept ({where}: {' '.join(sorted(accepted))})")
    if RUNTIME_FLAG in accepted and RUNTIME_FLAG not in passed:
        fail(f"{rel(path)}: faultline-agent now takes {RUNTIME_FLAG}: pass it the mounted CRI "
             f"socket (unix:///host-run/containerd.sock) and update docs/kubernetes.md")
    env = {e["name"] for e in c.get("env", [])}
    for a in args:
        for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", a):
            if var not in env:
                fail(f"{rel(path)}: the agent's args use $({var}), which is not in its env "
                     f"(the kubelet would pass it as literal text)")
    values = {}
    for i, a in enumerate(args):
        if a.startswith("--") and "=" in a:
            values[a.split("=", 1)[0]] = a.split("=", 1)[1]
        elif a.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            values[a] = args[i + 1]
    listen = values.get("--listen", "")
    m = re.fullmatch(r"\$\(([A-Z_]+)\):(\d+)", listen)
    if not m:
        fail(f"{rel(path)}: --listen is {listen!r}, not $(POD_IP):PORT (the agent listens on its "
             f"pod's address only)")
    else:
        listen_port = int(m.group(2))
        sources = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                   for e in c.get("env", [])}
        if sources.get(m.group(1)) != "status.podIP":
            fail(f"{rel(path)}: --listen's $({m.group(1)}) is not the pod's status.podIP")
    ports = [p.get("containerPort") for p in c.get("ports", [])]
    if listen_port is not None and ports != [listen_port]:
        fail(f"{rel(path)}: the container's ports {ports} are not the --listen port {listen_port}")

    # 5. The agent's privileges and certificates.
    if agent_pod.get("hostPID") is not True:
        fail(f"{rel(path)}: the agent needs hostPID: true to reach /proc/PID/ns/net of the pods")
    if agent_pod.get("hostNetwork"):
        fail(f"{rel(path)}: the agent must not use hostNetwork: its NetworkPolicy would not apply")
    if agent_pod.get("automountServiceAccountToken") is not False:
        fail(f"{rel(path)}: the agent needs no API token: automountServiceAccountToken: false")
    sc = c.get("securityContext", {})
    if sc.get("privileged"):
        fail(f"{rel(path)}: the agent must not be privileged; it has the capabilities it needs")
    caps = sc.get("capabilities", {})
    if caps.get("drop") != ["ALL"]:
        fail(f"{rel(path)}: the agent should drop ALL capabilities before adding its own")
    if set(caps.get("add", [])) != {"NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"}:
        fail(f"{rel(path)}: the agent adds {caps.get('add')}, not exactly NET_ADMIN, SYS_ADMIN, "
             f"SYS_PTRACE (docs/kubernetes.md says why each)")
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in agent_pod.get("volumes", [])
                      if "secret" in v}
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    templates = {d["metadata"]["name"]: d for _, d in find("Secret")}
    for flag in ["--ca", "--cert", "--key"]:
        value = values.get(flag)
        if not value:
            fail(f"{rel(path)}: the agent is not given {flag}")
            continue
        folder, key = os.path.split(value)
        volume = next((n for n, mp in mounts.items() if mp == folder and n in secret_volumes), None)
        if volume is None:
            fail(f"{rel(path)}: {flag} {value} is not in a mounted Secret")
            continue
        secret = templates.get(secret_volumes[volume])
        if secret is None:
            fail(f"{rel(path)}: {flag} reads Secret {secret_volumes[volume]}, which no manifest "
                 f"holds")
            continue
        key = key.replace("$(NODE_NAME)", "NODE")
        if key not in secret.get("stringData", {}) and key not in secret.get("data", {}):
            fail(f"{rel(path)}: {flag} reads {key} from Secret {secret_volumes[volume]}, which "
                 f"the template lacks")

# 3. Labels.
with open(os.path.join(source, "controllers/compose/compose_topology.hpp")) as f:
    header = f.read()
constants = dict(re.findall(r'inline constexpr const char\* (k\w+) = "([^"]+)";', header))
region_label, host_label = constants.get("kRegionLabel"), constants.get("kHostLabel")
gateway = constants.get("kGatewayHost")
if not region_label or not host_label:
    fail("controllers/compose/compose_topology.hpp: kRegionLabel or kHostLabel not found")

with open(os.path.join(source, "experiments/split-brain.toml"), "rb") as f:
    split_brain = tomllib.load(f)
with open(os.path.join(source, "controllers/experiment/section_keys.cpp")) as f:
    default_hosts = json.loads(re.search(r'\.name = "hosts",.*?\.default_value = "((?:[^"\\]|\\.)*)"',
                                         f.read(), re.S).group(1).encode().decode("unicode_escape"))
wanted_regions = {r["name"] for r in split_brain["region"]}
wanted_hosts = set(split_brain["experiment"].get("hosts", default_hosts))

stack = [(p, d) for p, d in objects if os.path.dirname(p) == os.path.join(root, "stack")]
placed = {}  # (region, host) -> Deployment
services = {}  # (region, host) -> Service
for path, d in stack:
    name, kind = d["metadata"]["name"], d["kind"]
    if kind == "Deployment":
        pod_labels = d["spec"]["template"]["metadata"].get("labels", {})
        selector = d["spec"]["selector"].get("matchLabels", {})
        for what, labels in [("labels", d["metadata"].get("labels", {})),
                             ("pod template's labels", pod_labels), ("selector", selector)]:
            for key in [region_label, host_label]:
                if key not in labels:
                    fail(f"{rel(path)}: Deployment {name}'s {what} lack {key}")
            for key in labels:
                if key.startswith("faultline.") and key not in (region_label, host_label):
                    fail(f"{rel(path)}: Deployment {name}'s {what} have {key}, which the provider "
                         f"does not read ({region_label}, {host_label})")
        for key, value in selector.items():
            if pod_labels.get(key) != value:
                fail(f"{rel(path)}: Deployment {name}'s selector {key}={value} does not match its pods")
        if d["spec"].get("replicas", 1) != 1:
            fail(f"{rel(path)}: Deployment {name} has more than one replica: one pod per host")
        at = (pod_labels.get(region_label), pod_labels.get(host_label))
        if at in placed:
            fail(f"{rel(path)}: two Deployments for region {at[0]} host {at[1]}")
        placed[at] = d
    elif kind == "Service":
        selector = d["spec"].get("selector", {})
        at = (selector.get(region_label), selector.get(host_label))
        if None in at:
            fail(f"{rel(path)}: Service {name} does not select by {region_label} and {host_label}")
        services[at] = (path, d)

regions = {r for r, _ in placed}
if regions != wanted_regions:
    fail(f"the stack's regions {sorted(regions)} are not split-brain's {sorted(wanted_regions)}")
for region in sorted(regions):
    hosts = {h for r, h in placed if r == region}
    if not wanted_hosts <= hosts:
        fail(f"the stack's region {region} lacks hosts {sorted(wanted_hosts - hosts)} that "
             f"split-brain uses")
    if gateway in hosts:
        fail(f"the stack's region {region} has a {host_label}={gateway} pod; Kubernetes has no "
             f"gateway (docs/kubernetes.md)")
for at, (path, svc) in services.items():
    if at not in placed:
        fail(f"{rel(path)}: Service {svc['metadata']['name']} selects no Deployment's pods")

# 4. Addresses.
with open(os.path.join(source, "targets/compose/topology.json")) as f:
    topology = {r["name"]: {h: a["ipv4"] for h, a in r["hosts"].items()}
                for r in json.load(f)["regions"]}
if len(kind_configs) != 1:
    fail(f"expected one kind cluster config, found {len(kind_configs)}")
else:
    networking = kind_configs[0][1].get("networking", {})
    service_net = ipaddress.ip_network(networking.get("serviceSubnet", "10.96.0.0/16"))
    pod_net = ipaddress.ip_network(networking.get("podSubnet", "10.244.0.0/16"))
    trusted = ipaddress.ip_network("198.18.0.0/15")  # targets/kvstore/faultline-postgres
    if not pod_net.subnet_of(trusted) or not service_net.subnet_of(trusted):
        fail(f"{rel(kind_configs[0][0])}: pods {pod_net} and services {service_net} must be in "
             f"{trusted}, which the reference database trusts")
    for (region, host), (path, svc) in sorted(services.items()):
        ip = svc["spec"].get("clusterIP")
        expected = topology.get(region, {}).get(host)
        if ip != expected:
            fail(f"{rel(path)}: Service {svc['metadata']['name']} has clusterIP {ip}, not the "
                 f"topology file's {expected} (targets/compose/topology.json)")
        elif ipaddress.ip_address(ip) not in service_net:
            fail(f"{rel(path)}: clusterIP {ip} is outside the kind service subnet {service_net}")
for (region, host), d in placed.items():
    command = " ".join(str(a) for a in d["spec"]["template"]["spec"]["containers"][0]
                       .get("command", []))
    if "--region" in command and f"--region {region}" not in command:
        fail(f"Deployment {d['metadata']['name']} runs with another --region than {region}")
    m = re.search(r"host=(\S+) port=5432", command)
    if m and m.group(1) != topology.get(region, {}).get("db"):
        fail(f"Deployment {d['metadata']['name']} reaches its database at {m.group(1)}, not "
             f"{topology.get(region, {}).get('db')}")

# 5 (cont.). NetworkPolicy and RBAC.
policies = find("NetworkPolicy")
if len(policies) != 1:
    fail(f"expected one NetworkPolicy, found {len(policies)}")
for path, np in policies:
    if agent_pod is None:
        break
    agent_labels = daemonsets[0][1]["spec"]["template"]["metadata"]["labels"]
    for key, value in np["spec"]["podSelector"].get("matchLabels", {}).items():
        if agent_labels.get(key) != value:
            fail(f"{rel(path)}: its podSelector {key}={value} does not select the agent's pods")
    if set(np["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
        fail(f"{rel(path)}: should govern both Ingress and Egress of the agents")
    if np["spec"].get("egress"):
        fail(f"{rel(path)}: the agents open no connection; egress should be []")
    rules = np["spec"].get("ingress", [])
    if len(rules) != 1:
        fail(f"{rel(path)}: one ingress rule (the controller), not {len(rules)}")
    for rule in rules:
        peers = rule.get("from", [])
        if [p.get("podSelector", {}).get("matchLabels") for p in peers] != [
                {"app.kubernetes.io/name": "faultline-controller"}] or any(
                    "ipBlock" in p or "namespaceSelector" in p for p in peers):
            fail(f"{rel(path)}: only the controller's pods may reach the agents: {peers}")
        ports = [(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports", [])]
        if ports != [("TCP", listen_port)]:
            fail(f"{rel(path)}: admits {ports}, not the agent's port TCP {listen_port}")

accounts = {d["metadata"]["name"] for _, d in find("ServiceAccount")}
if agent_pod is not None and agent_pod.get("serviceAccountName") not in accounts:
    fail(f"the agent's service account {agent_pod.get('serviceAccountName')} is not in rbac.yaml")
if find("ClusterRole") or find("ClusterRoleBinding"):
    fail("a ClusterRole or ClusterRoleBinding: the controller needs namespaced Roles only")
for path, role in find("Role"):
    for rule in role.get("rules", []):
        for field in ["apiGroups", "resources", "verbs"]:
            if "*" in rule.get(field, []):
                fail(f"{rel(path)}: Role {role['metadata']['name']} grants '*' in {field}")
        if "secrets" in rule.get("resources", []):
            fail(f"{rel(path)}: Role {role['metadata']['name']} reads Secrets; the kubelet "
                 f"mounts the certificates")
for path, binding in find("RoleBinding"):
    for subject in binding.get("subjects", []):
        if subject.get("name") == "faultline-agent":
            fail(f"{rel(path)}: RoleBinding {binding['metadata']['name']} binds the agent, "
                 f"which must hold no API access")
        elif subject.get("name") not in accounts:
            fail(f"{rel(path)}: RoleBinding {binding['metadata']['name']} binds "
                 f"{subject.get('name')}, which rbac.yaml does not make")

# 6. The doc names every manifest.
with open(os.path.join(source, "docs/kubernetes.md")) as f:
    doc = f.read()
for path in files:
    if rel(path) not in doc:
        fail(f"docs/kubernetes.md does not mention {rel(path)}")

# 7. Fields and their types, by the API's models.
SCALARS = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check_fields(value, type_name, where):
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return fail(f"{where}: a list expected, not {value!r}")
        for i, item in enumerate(value):
            check_fields(item, type_name[5:-1], f"{where}[{i}]")
    elif type_name.startswith("dict("):
        if not isinstance(value, dict):
            return fail(f"{where}: a mapping expected, not {value!r}")
        inner = type_name[5:-1].split(", ", 1)[1]
        for key, item in value.items():
            check_fields(item, inner, f"{where}.{key}")
    elif type_name in SCALARS:
        expected = SCALARS[type_name]
        if not isinstance(value, expected) or (type_name != "bool" and isinstance(value, bool)):
            fail(f"{where}: {type_name} expected, not {value!r}")
    elif type_name in ("object", "datetime"):  # IntOrString, Quantity, times
        return
    else:
        model = getattr(k8s_models, type_name, None)
        if model is None:
            return fail(f"{where}: the models have no {type_name}")
        if not isinstance(value, dict):
            return fail(f"{where}: a {type_name} mapping expected, not {value!r}")
        fields = {json: attr for attr, json in model.attribute_map.items()}
        for key, item in value.items():
            if key not in fields:
                near = difflib.get_close_matches(key, fields, 1)
                fail(f"{where}: {type_name} has no field '{key}'" +
                     (f"; did you mean '{near[0]}'?" if near else ""))
            else:
                check_fields(item, model.openapi_types[fields[key]], f"{where}.{key}")


for path, d in objects:
    model = "V1" + d["kind"]
    if not hasattr(k8s_models, model):
        fail(f"{rel(path)}: {d['kind']}: no model {model} to check its fields against")
        continue
    check_fields(d, model, f"{rel(path)}: {d['kind']} {d['metadata']['name']}")

for message in failures:
    print("FAIL", message)
print(f"{len(files)} manifests, {len(docs)} documents; agent flags checked against {where}; "
      f"{len(placed)} stack Deployments, {len(services)} Services; {len(failures)} failures")
sys.exit(1 if failures else 0)
