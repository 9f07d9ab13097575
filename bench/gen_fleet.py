#!/usr/bin/env python3
"""Writes a synthetic fleet repo for benchmarks: mi2.yaml plus N instances in
environments/<env>/deployments/<id>/config.yaml, with varied instance types,
versions, release channels, quoting styles and comments (deterministic seed).

usage: gen_fleet.py ROOT COUNT [ENV]
"""
import os
import random
import sys

TYPES = ["production", "production", "production", "trial", "internal"]
CHANNELS = ["stable", "stable", "stable", "insiders", "pause", "fast"]
VERSIONS = ["4.0.0", "4.0.1", "4.1.0", "4.1.0", "4.1.0", "4.2.0-rc.1", "5.0.0"]
REGIONS = ["us-central1", "europe-west1", "asia-east1"]


def config(rng, index):
    iid = "src-%06x" % (0x100000 + index * 7919 % 0xEFFFFF)
    slug = "customer-%05d" % index
    version = rng.choice(VERSIONS)
    version_line = rng.choice(['"%s"', "'%s'", "%s"]) % version
    channel = rng.choice(CHANNELS)
    region = rng.choice(REGIONS)
    lines = [
        "# Managed by mi2; edit with care.",
        "apiVersion: sourcegraph.com/v1",
        "kind: SourcegraphCloud",
        "metadata:",
        "  name: %s" % iid,
        "  labels:",
        '    instance-type: %s' % rng.choice(TYPES),
        "  annotations:",
        '    cloud.sourcegraph.com/control-plane-mode: "%s"' % rng.choice(["true", "false"]),
        "spec:",
        "  displayName: %s" % slug,
        "  sourcegraphVersion: %s  # bumped by mi2 instance upgrade" % version_line,
        "  releaseChannel: %s" % channel,
        "  domain:",
        "    primaryDNSName: %s.sourcegraphcloud.com" % slug,
        "  infrastructure:",
        "    gcp:",
        "      region: %s" % region,
        "      zone: %s-a" % region,
        "  debug:",
        "    enableAlerting: %s" % rng.choice(["true", "false"]),
        "    replicas: %d" % rng.randint(1, 5),
        "status:",
        "  gcp:",
        "    projectId: %s-prod" % iid,
    ]
    return iid, "\n".join(lines) + "\n"


def main():
    root, count = sys.argv[1], int(sys.argv[2])
    env = sys.argv[3] if len(sys.argv) > 3 else "prod"
    rng = random.Random(42)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "mi2.yaml"), "w") as f:
        f.write("roles:\n  vcs: local\n")
    for i in range(count):
        iid, text = config(rng, i)
        d = os.path.join(root, "environments", env, "deployments", iid)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.yaml"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
