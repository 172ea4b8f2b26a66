#!/usr/bin/env bash
# Plan the Terraform examples offline and keep their `terraform show -json` output here.
# usage: examples/plan/regenerate.sh   (see tests/fixtures/plan-json.sh for what it needs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for name in public-website-bucket private-data-bucket capital-one-path; do
  echo "planning $name" >&2
  "$here/../../tests/fixtures/plan-json.sh" "$here/../terraform/$name" "$here/$name.plan.json"
done
