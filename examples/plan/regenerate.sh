#!/usr/bin/env bash
# Plan the Terraform examples offline and keep their `terraform show -json` output here.
# The offline planner writes dummy provider credentials into the plan's configuration; they are
# removed so the examples show only what the configurations themselves hold.
# usage: examples/plan/regenerate.sh   (needs terraform and the tf-plan-json helper; TF_PLAN_JSON overrides its path)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tool=${TF_PLAN_JSON:-$here/../../../shared/bin/tf-plan-json}
for name in public-website-bucket private-data-bucket capital-one-path; do
  echo "planning $name" >&2
  "$tool" "$here/../terraform/$name" "$here/$name.plan.json"
  python3 - "$here/$name.plan.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as fh:
    plan = json.load(fh)
for provider in plan.get("configuration", {}).get("provider_config", {}).values():
    expressions = provider.get("expressions", {})
    for key in ("access_key", "secret_key", "skip_credentials_validation", "skip_requesting_account_id",
                "skip_metadata_api_check", "max_retries"):
        expressions.pop(key, None)
with open(path, "w") as fh:
    json.dump(plan, fh, indent=1, sort_keys=True)
    fh.write("\n")
PY
done
