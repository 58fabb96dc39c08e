#!/usr/bin/python3
"""Memory per watched object: the figure the Helm chart's memory limit is sized from.

  bench/store_rss.py [--destination build/bin/destination] [--services 1000] [--pods-per-service 20]

Writes a manifests directory of S Services, each with P meshed Pods (labels, annotations,
a container port, status IPs) behind one EndpointSlice, starts `destination` on it, waits for
`"msg":"serving"` and for the RSS to settle, and prints the RSS. It does the same with one
Service and one Pod, and prints (RSS - RSS at rest) / objects. Prints figures; never fails on
them. Every wait has a deadline.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def write_cluster(path, services, pods_per):
    os.makedirs(path, exist_ok=True)
    for s in range(services):
        docs = [f"""apiVersion: v1
kind: Service
metadata: {{name: svc-{s}, namespace: bench, labels: {{app: svc-{s}}}}}
spec:
  clusterIP: 10.96.{s // 250}.{s % 250 + 1}
  ports: [{{name: http, port: 8080, targetPort: 8080}}]
  selector: {{app: svc-{s}}}"""]
        endpoints = []
        for p in range(pods_per):
            i = s * pods_per + p
            ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
            docs.append(f"""apiVersion: v1
kind: Pod
metadata:
  name: svc-{s}-{p:05d}-x7k2p
  namespace: bench
  labels: {{app: svc-{s}, pod-template-hash: 5d8f7c9b4, linkerd.io/control-plane-ns: linkerd,
            linkerd.io/proxy-deployment: svc-{s}, linkerd.io/workload-ns: bench}}
  annotations: {{linkerd.io/proxy-version: stable-2.11.0, linkerd.io/identity-mode: default,
                 config.linkerd.io/opaque-ports: "4000"}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: svc-{s}-5d8f7c9b4, controller: true}}]
spec:
  serviceAccountName: svc-{s}
  nodeName: node-{i % 50}
  containers:
  - {{name: app, image: app:1, ports: [{{containerPort: 8080, name: http}}]}}
  - {{name: linkerd-proxy, image: proxy:1, ports: [{{containerPort: 4143, name: linkerd-proxy}}]}}
status: {{phase: Running, podIP: {ip}, podIPs: [{{ip: {ip}}}], hostIP: 192.168.0.{i % 50 + 1}}}""")
            endpoints.append(f"  - addresses: [{ip}]\n    conditions: {{ready: true}}\n"
                             f"    nodeName: node-{i % 50}\n"
                             f"    targetRef: {{kind: Pod, name: svc-{s}-{p:05d}-x7k2p, namespace: bench}}")
        docs.append(f"""apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{s}-abcde
  namespace: bench
  labels: {{kubernetes.io/service-name: svc-{s}}}
addressType: IPv4
ports: [{{name: http, port: 8080, protocol: TCP}}]
endpoints:
""" + "\n".join(endpoints))
        with open(os.path.join(path, f"svc-{s:05d}.yaml"), "w") as f:
            f.write("\n---\n".join(docs) + "\n")
    return services * (pods_per + 2)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(destination, path, timeout):
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([destination, f"-manifests={path}", "-addr=127.0.0.1:0",
                             "-admin-addr=127.0.0.1:0", "-log-format=json"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        start = time.monotonic()
        while True:
            log.seek(0)
            if b'"msg":"serving"' in log.read():
                break
            if proc.poll() is not None or time.monotonic() - start > timeout:
                sys.exit(f"store_rss: destination did not serve within {timeout} s")
            time.sleep(0.05)
        serving_s = time.monotonic() - start
        # Settled: the RSS changes by less than 1 % over half a second.
        last, settle_deadline = rss_kib(proc.pid), time.monotonic() + 30
        while time.monotonic() < settle_deadline:
            time.sleep(0.5)
            now = rss_kib(proc.pid)
            if abs(now - last) < last / 100:
                break
            last = now
        return rss_kib(proc.pid), serving_s
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--destination", default=os.path.join(here, "..", "build", "bin", "destination"))
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--pods-per-service", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="store-rss-")
    try:
        write_cluster(os.path.join(tmp, "rest"), 1, 1)
        rest, _ = measure(a.destination, os.path.join(tmp, "rest"), a.timeout)
        objects = write_cluster(os.path.join(tmp, "big"), a.services, a.pods_per_service)
        big, serving_s = measure(a.destination, os.path.join(tmp, "big"), a.timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per_object = (big - rest) / objects
    print(f"| objects | RSS at rest MiB | RSS MiB | KiB per object | load to serving s |")
    print(f"|---:|---:|---:|---:|---:|")
    print(f"| {objects:,} | {rest / 1024:.1f} | {big / 1024:.1f} | {per_object:.2f} | {serving_s:.1f} |")
    print(f'{{"objects":{objects},"rss_rest_kib":{rest},"rss_kib":{big},'
          f'"kib_per_object":{per_object:.3f},"serving_s":{serving_s:.2f}}}')


if __name__ == "__main__":
    main()
