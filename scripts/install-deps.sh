#!/usr/bin/env bash
# Installs the Debian 12 packages crossenc builds and tests with (idempotent; root or sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libeigen3-dev                       # CPU GEMM
  libutf8proc-dev nlohmann-json3-dev libcli11-dev     # tokenizer, JSON, CLI
  libvulkan-dev glslang-tools mesa-vulkan-drivers     # Vulkan backend (lavapipe for CPU-only machines)
  vulkan-validationlayers vulkan-tools
  libgtest-dev libgmock-dev libbenchmark-dev          # tests and kernel benchmarks
  clang libclang-rt-14-dev                            # fuzzers and sanitizer builds (scripts/)
  libyaml-cpp-dev                                     # benchmark experiments
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libcpp-httplib-dev  # server
  libboost-dev wrk                                    # HTTP front end (Beast/Asio headers), its load bench
  curl
  nginx prometheus nodejs                             # deploy/: balancer, promtool, load generator
  pybind11-dev python3-dev python3-numpy python3-pytest python3-build  # python/: module, tests, wheel
)
# deploy/'s Kubernetes schema check runs `npm ci`; a Node.js from elsewhere brings its own npm.
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[deps] installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
