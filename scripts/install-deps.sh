#!/bin/sh
# Installs (once) the Debian packages the build, the tests and the reference scripts need.
set -eu
# build: compilers, oneDNN, JSON, CLI parsing, zip (libzip's CMake config wants its tools), images, gzip (IDX data sets)
# tests: GoogleTest, the torchvision reference, photographs (python3-skimage), Fashion-MNIST, fuzzing (clang)
PACKAGES="cmake ninja-build g++ pkg-config time libdnnl-dev nlohmann-json3-dev libcli11-dev
libzip-dev zipcmp zipmerge ziptool libjpeg62-turbo-dev libpng-dev zlib1g-dev
libgtest-dev libgmock-dev python3-torch python3-torchvision python3-numpy python3-pil python3-skimage
python3-onnx dataset-fashion-mnist
clang-14 libclang-rt-14-dev libomp-14-dev"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
# bench/compare's ONNX Runtime peer (npm onnxruntime-node, pinned by bench/package-lock.json);
# ONNXRUNTIME_NODE_INSTALL=skip: no CUDA binaries are downloaded, the CPU binding ships in the package.
cd "$(dirname "$0")/.."
if command -v npm >/dev/null 2>&1; then
  (cd bench && [ -d node_modules/onnxruntime-node ] || ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund) ||
    echo "npm ci failed: bench/compare will show ONNX Runtime as n/a"
else
  echo "npm not found: bench/compare will show ONNX Runtime as n/a (install Node.js and npm for it)"
fi
