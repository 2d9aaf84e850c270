#!/bin/sh
# copy_libs.sh BINARY DEST: copies every shared library BINARY loads (ldd), and OpenBLAS with
# its own libraries (dlopen'ed for --gemm blas, so ldd does not list it), into DEST at the same
# paths. deploy/Dockerfile uses it to fill the slim runtime image.
set -eu
bin=$1 dest=$2
openblas=$(ldconfig -p | awk '/libopenblas\.so\.0 / {print $NF; exit}')
for lib in $(ldd "$bin" ${openblas:+"$openblas"} | awk '/=> \// {print $3} /^\t\/[^ ]*ld-linux/ {print $1}' | sort -u) $openblas; do
  cp -L --parents "$lib" "$dest"
done
