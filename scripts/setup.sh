#!/usr/bin/env bash
# One command for a new user: install dependencies, build, make `import crossenc` work for
# /usr/bin/python3, and rank the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash python/install-dev.sh build   # /usr/bin/python3 -c "import crossenc" uses build/python
echo
echo "== Demo: ranking examples/passages.txt with the bundled tiny random-weight model =="
echo "   (its scores are meaningless: it only shows the pipeline; see README to use the real model)"
build/tools/crossenc convert tests/data/tiny-random build/demo-tiny.cenc
build/tools/crossenc rank --model build/demo-tiny.cenc \
  --query "$(cat examples/query.txt)" --passages examples/passages.txt
