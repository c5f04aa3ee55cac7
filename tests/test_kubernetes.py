"""Kubernetes manifests and Helm values under ``--path`` that run MCP images, written from the
Kubernetes and Helm documented formats."""

from __future__ import annotations

from pathlib import Path

from mcpward.scan import ScanOptions, run_scan

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: github-mcp
  namespace: ai-tools
spec:
  replicas: 1
  selector:
    matchLabels: {app: github-mcp}
  template:
    metadata:
      labels: {app: github-mcp}
    spec:
      hostNetwork: true
      containers:
        - name: server
          image: ghcr.io/github/github-mcp-server:latest
          args: ["http", "--port", "8080"]
          env:
            - name: GITHUB_TOOLSETS
              value: repos,issues
          securityContext:
            privileged: true
          volumeMounts:
            - {name: docker, mountPath: /var/run/docker.sock}
      volumes:
        - name: docker
          hostPath: {path: /var/run/docker.sock}
---
apiVersion: v1
kind: Service
metadata: {name: github-mcp}
spec:
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: nginx, image: "nginx:1.27"}
"""

PINNED = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: fetch-mcp-warmup}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: fetch
              image: mcp/fetch@sha256:0b7a3f8d9c1e2f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2
"""

VALUES = """\
replicaCount: 2
server:
  image:
    registry: docker.io
    repository: mcp/postgres
    tag: "0.6.2"
    pullPolicy: IfNotPresent
ingress:
  enabled: false
"""


def test_workloads_and_values_that_run_mcp_images(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "deployment.yaml").write_text(DEPLOYMENT)
    (tmp_path / "k8s" / "cronjob-mcp.yaml").write_text(PINNED)
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "values.yaml").write_text(VALUES)
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    by = {s.name: s for s in report.servers}
    assert set(by) == {"github-mcp/server", "fetch-mcp-warmup/fetch", "chart: docker.io/mcp/postgres"}
    risky = by["github-mcp/server"]
    assert risky.host == "kubernetes" and risky.package is not None and not risky.package.pinned
    rules = {f.rule for f in report.findings if f.server_id == risky.id}
    assert {
        "container-privileged",
        "container-host-network",
        "container-docker-socket",
        "oci-unpinned",
    } <= rules
    pinned = by["fetch-mcp-warmup/fetch"]
    assert pinned.package is not None and pinned.package.pinned
    assert not [f for f in report.findings if f.server_id == pinned.id]
    helm = by["chart: docker.io/mcp/postgres"]
    assert helm.host == "helm" and helm.package is not None and helm.package.version == "0.6.2"
    assert not [f for f in report.findings if f.server_id == helm.id]
    assert report.errors == ()
