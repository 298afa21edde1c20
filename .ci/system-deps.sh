#!/usr/bin/env bash
# System packages the test suite needs (Debian bookworm, run as root or with sudo):
# - chromium, for the end-to-end browser test (driven by playwright-core);
# - protobuf-compiler (protoc), to parse every generated Triton config.pbtxt against Triton's schema;
# - Mesa's Vulkan drivers from bookworm-backports (25.x; bookworm's 22.x lacks a feature
#   WebGPU needs) and libvulkan1, so onnxruntime-node's bundled WebGPU provider runs on
#   the CPU-emulated lavapipe device. Idempotent: does nothing when all are installed.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v protoc >/dev/null || need+=(protobuf-compiler)
dpkg -s libvulkan1 >/dev/null 2>&1 || need+=(libvulkan1)
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
case "$mesa_version" in 2[5-9].*) ;; *) need+=(mesa-vulkan-drivers) ;; esac
[ ${#need[@]} -eq 0 ] && exit 0

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
# Wait for the dpkg lock rather than fail when another apt-get is running.
apt="apt-get -o DPkg::Lock::Timeout=600"
$SUDO $apt update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive $apt install -y -qq --no-install-recommends chromium libvulkan1 protobuf-compiler
$SUDO env DEBIAN_FRONTEND=noninteractive $apt install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers
