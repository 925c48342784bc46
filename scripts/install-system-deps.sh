#!/usr/bin/env bash
# Installs the Debian packages that the interop and system tests need, when missing.
# Runs `apt-get update` first, and only when something has to be installed.
set -euo pipefail
PKGS=(
  iproute2 iputils-ping nftables conntrack tcpdump tshark iperf3 python3 python3-scapy python3-cryptography
  strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins
  libcharon-extauth-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins libssl3 vpnc
  gcc
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system packages missing (${missing[*]}) and not root: cannot install" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
