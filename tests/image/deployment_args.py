#!/usr/bin/python3
"""Prints, as bash assignments, how the rendered chart runs the destination container.

  deployment_args.py RENDERED.yaml > run.env

RUN_ARGS (a bash array: the container's args), RUN_USER/RUN_GROUP (numeric), GRPC_PORT and
ADMIN_PORT (the named container ports), MANIFESTS_DIR (the manifests volume's mountPath),
READ_ONLY, CAPS_DROP_ALL, NO_NEW_PRIVS (true/false). tests/image/check_image.sh runs the image
with exactly these.
"""
import shlex
import sys

import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
deployments = [d for d in docs if d.get("kind") == "Deployment"]
if len(deployments) != 1:
    sys.exit(f"deployment_args: want one Deployment, found {len(deployments)}")
pod = deployments[0]["spec"]["template"]["spec"]
(c,) = pod["containers"]
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
if c.get("command"):
    sys.exit("deployment_args: the chart overrides the image's ENTRYPOINT")
out = {
    "RUN_USER": csc.get("runAsUser", psc.get("runAsUser")),
    "RUN_GROUP": csc.get("runAsGroup", psc.get("runAsGroup")),
    "GRPC_PORT": ports["grpc"],
    "ADMIN_PORT": ports["admin-http"],
    "MANIFESTS_DIR": mounts.get("manifests", ""),
    "READ_ONLY": str(bool(csc.get("readOnlyRootFilesystem"))).lower(),
    "CAPS_DROP_ALL": str(csc.get("capabilities", {}).get("drop") == ["ALL"] and
                         not csc.get("capabilities", {}).get("add")).lower(),
    "NO_NEW_PRIVS": str(csc.get("allowPrivilegeEscalation") is False).lower(),
}
for k, v in out.items():
    if v is None:
        sys.exit(f"deployment_args: the Deployment sets no {k}")
    print(f"{k}={shlex.quote(str(v))}")
print("RUN_ARGS=(" + " ".join(shlex.quote(a) for a in c["args"]) + ")")
