#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs them.
# This is the README's test command, and exactly what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. Debian packages the client tests drive: the aws CLI and boto3 speak the old query
#    protocol, which the SDK v3 no longer does; nftables for EC2's security groups.
#    Debian's own binaries, checked by path: a machine may also have a pip-installed aws CLI v1
#    and a newer boto3 in another python3 on PATH (pyenv), which speak other protocols
#    (CloudWatch in CBOR, SQS in JSON) and lack v2 options (--cli-binary-format, logs tail);
#    the tests drive /usr/bin/aws and /usr/bin/python3 first (test/clients/support.ts), and EC2
#    instances run the host's /usr/bin/python3.
need=()
[ -x /usr/bin/aws ] || need+=(awscli)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import boto3'; } >/dev/null 2>&1 || need+=(python3-boto3)
# EC2 instances: nftables enforces security groups inside Nimbus's network namespaces.
command -v nft >/dev/null 2>&1 || need+=(nftables)
# EBS volumes: mkfs.ext4 in the tests' user data; losetup / fsfreeze / nsenter to attach and snapshot.
command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
{ command -v losetup && command -v fsfreeze && command -v nsenter; } >/dev/null 2>&1 || need+=(util-linux)
# Instances' route out of their VPC: user-mode networking for the VPC's hub namespace (the
# host's own routes and firewall are never touched); sshd inside instances, ssh in the tests.
command -v slirp4netns >/dev/null 2>&1 || need+=(slirp4netns)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
# curl: instances' user data in the EC2 tests fetches from the metadata service and the host.
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "test.sh: installing ${need[*]}"
  $sudo apt-get -o DPkg::Lock::Timeout=120 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${need[@]}" >/dev/null
fi

# 2. npm packages as locked (better-sqlite3 builds from source: about a minute). `npm install`
#    rather than `npm ci`: the npm 11 here leaves other platforms' optional packages (rollup's)
#    out of the lock, which `npm ci` refuses; every direct dependency is pinned exactly and the
#    lock pins the rest, so both install the same tree.
npm install --no-audit --no-fund

# 3. The models must be what the pinned SDK packages generate, and the IAM action map what
#    the models and its overlay generate.
node scripts/gen-models.mjs --check
node scripts/gen-iam-actions.mjs --check

# 4. Types, then the tests (Vitest prints the summary).
npx tsc -p tsconfig.json --noEmit
npx vitest run
