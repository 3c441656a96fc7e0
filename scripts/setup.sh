#!/usr/bin/env bash
# Installs what callctl needs on a fresh Debian 12 machine with Node 20, as root:
# debootstrap (to build the sandbox's Debian sid root with Asterisk 22), a C++
# toolchain (better-sqlite3 compiles from source), sox and espeak-ng (prompts and
# audio checks), tmux (dashboard end-to-end test), sqlite3 (the reports benchmark's
# baseline), SIPp (Debian's sip-tester) and baresip (real SIP callers, agents and a
# supervisor phone in the SIP tests and bench:load --sip), PostgreSQL 15 (the store
# contract tests and standby engines start their own throwaway cluster with its
# binaries; nothing is configured system-wide), Kamailio (the SIP proxy of
# `sandbox up --proxy`, run by the sandbox as its own child, never as the system
# service), Chromium (the chat widget's browser tests drive it headless through
# playwright-core, pointed at Debian's binary: no browser download); then the npm
# packages and a build.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in debootstrap ca-certificates python3 make g++ sox libsox-fmt-mp3 espeak-ng tmux sqlite3 sip-tester baresip postgresql-15 kamailio chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${need[*]}); run as root or install them first" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Debian enables and starts the kamailio service on install, on every address's port
# 5060, the sandbox's default SIP port: the sandbox runs its own Kamailio, so the
# system's is switched off (where systemd runs at all).
if [ "$(id -u)" -eq 0 ] && [ -d /run/systemd/system ] && systemctl is-enabled --quiet kamailio 2>/dev/null; then
  systemctl disable --now kamailio
fi

# Build native modules against the headers of the Node that runs them (no download).
prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -f "$prefix/include/node/node.h" ]; then export npm_config_nodedir="$prefix"; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
