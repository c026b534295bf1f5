# Shared settings and steps of the local-stack scripts. Sourced, not run.
# Everything is installed into and kept under .local/ (git-ignored).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
MINISTACK_VENV="$LOCAL/ministack"
TOOLS_VENV="$LOCAL/tools"
# ministack pins botocore, SAM CLI needs a newer boto3: they live in separate venvs.
MINISTACK_REQUIREMENT="ministack[full]==1.5.33"
# The CloudWatch SDK speaks rpc-v2-cbor, which the emulator decodes only with cbor2.
MINISTACK_EXTRA_REQUIREMENTS=("cbor2==6.3.0")
TOOLS_REQUIREMENTS=("aws-sam-cli==1.170.0" "cargo-lambda==1.9.2" "cfn-lint==1.58.0")
# The OpenAPI-driven check of the HTTP surface (scripts/api-fuzz), in a venv of its own.
SCHEMATHESIS_VENV="$LOCAL/schemathesis"
SCHEMATHESIS_REQUIREMENT="schemathesis==4.32.5"
# The infrastructure scanner the test command runs on template.yaml, in a venv of its own.
CHECKOV_VENV="$LOCAL/checkov"
CHECKOV_REQUIREMENT="checkov==3.3.30"

export ACTAS_PORT="${ACTAS_PORT:-4566}"
export ACTAS_ENDPOINT="http://127.0.0.1:$ACTAS_PORT"
# ACTAS_STACK_NAME names a second stack beside the default one (e.g. on a pool actas did not
# create, ACTAS_USER_POOL_ID); its description is .local/stack-<name>.json.
export STACK_NAME="${ACTAS_STACK_NAME:-${STACK_NAME:-actas}}"
if [[ "$STACK_NAME" == actas ]]; then
  STACK_FILE="$LOCAL/stack.json"
  OUTPUTS_FILE="$LOCAL/stack-outputs.json"
else
  STACK_FILE="$LOCAL/stack-$STACK_NAME.json"
  OUTPUTS_FILE="$LOCAL/stack-outputs-$STACK_NAME.json"
fi
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
# The emulator's root credentials; nothing here ever talks to real AWS.
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_ENDPOINT_URL="$ACTAS_ENDPOINT"
export SAM_CLI_TELEMETRY=0
export CARGO_TARGET_DIR="$ROOT/target"
# The local stack runs the functions built with the `local` profile of Cargo.toml, in one cargo
# invocation that also builds the CLI, and the tests reuse that build. ACTAS_RELEASE_BUILD=1
# deploys what AWS gets instead: `sam build` with the release profile (fat LTO, one function
# after another; slow, for measurements).
export ACTAS_PROFILE="${ACTAS_PROFILE:-local}"
export PATH="$TOOLS_VENV/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Python tools install with uv (itself pinned, installed once with pip): it resolves and installs
# in seconds where pip takes minutes, from the same PyPI, with its cache under .local/ too.
UV_REQUIREMENT="uv==0.9.5"
UV_VENV="$LOCAL/uv"
export UV_CACHE_DIR="$LOCAL/uv-cache"
export UV_PYTHON_DOWNLOADS=never

ensure_uv() {
  local marker="$UV_VENV/.installed"
  if [[ -f "$marker" && "$(cat "$marker")" == "$UV_REQUIREMENT" ]]; then
    return
  fi
  mkdir -p "$LOCAL"
  python3 -m venv "$UV_VENV"
  "$UV_VENV/bin/pip" install --quiet --disable-pip-version-check "$UV_REQUIREMENT"
  echo "$UV_REQUIREMENT" > "$marker"
}

# A fresh venv at $1 with the requirements that follow.
uv_install() {
  local venv="$1"
  shift
  ensure_uv
  rm -rf "$venv"
  "$UV_VENV/bin/uv" venv --quiet --python "$(command -v python3)" "$venv"
  VIRTUAL_ENV="$venv" "$UV_VENV/bin/uv" pip install --quiet "$@"
}

ensure_python_tools() {
  local marker="$LOCAL/.tools-installed"
  local wanted="$MINISTACK_REQUIREMENT ${MINISTACK_EXTRA_REQUIREMENTS[*]} ${TOOLS_REQUIREMENTS[*]}"
  if [[ -f "$marker" && "$(cat "$marker")" == "$wanted" ]]; then
    return
  fi
  log "installing ministack, SAM CLI, cargo-lambda and cfn-lint into .local/"
  uv_install "$MINISTACK_VENV" "$MINISTACK_REQUIREMENT" "${MINISTACK_EXTRA_REQUIREMENTS[@]}"
  uv_install "$TOOLS_VENV" "${TOOLS_REQUIREMENTS[@]}"
  echo "$wanted" > "$marker"
}

# A tool in a venv of its own under .local/, installed once per pinned requirement.
ensure_venv() {
  local venv="$1" requirement="$2" marker="$1/.installed"
  if [[ -f "$marker" && "$(cat "$marker")" == "$requirement" ]]; then
    return
  fi
  log "installing $requirement into ${venv#"$ROOT"/}"
  uv_install "$venv" "$requirement"
  echo "$requirement" > "$marker"
}

ensure_checkov() { ensure_venv "$CHECKOV_VENV" "$CHECKOV_REQUIREMENT"; }

# checkov on the template: every finding fixed, or skipped in the template with its reason.
scan_template() {
  ensure_checkov
  "$CHECKOV_VENV/bin/checkov" -f "$ROOT/template.yaml" --framework cloudformation --compact --quiet \
    > "$LOCAL/checkov.log" 2>&1 || { cat "$LOCAL/checkov.log" >&2; echo "checkov: findings in template.yaml (fix, or skip in the template with a reason)" >&2; exit 1; }
  grep -E "Passed checks" "$LOCAL/checkov.log" >&2 || true
}

ensure_schemathesis() { ensure_venv "$SCHEMATHESIS_VENV" "$SCHEMATHESIS_REQUIREMENT"; }

ministack_healthy() {
  curl -fsS -o /dev/null --max-time 2 "$ACTAS_ENDPOINT/_ministack/health" 2>/dev/null
}

start_ministack() {
  if ministack_healthy; then
    log "ministack already running on $ACTAS_ENDPOINT"
    return
  fi
  log "starting ministack on $ACTAS_ENDPOINT"
  rm -rf "$LOCAL/ministack-state" "$LOCAL/tmp"
  mkdir -p "$LOCAL/ministack-state" "$LOCAL/tmp"
  # AUTH=true: SigV4 and IAM are enforced (so the template's policies are exercised), revoked
  # and disabled users' refresh tokens are refused. PRETOKEN_STRICT: a failing pre-token
  # trigger fails the sign-in, as on AWS, instead of being logged and ignored.
  (
    cd "$LOCAL"
    BIND_HOST=127.0.0.1 GATEWAY_PORT="$ACTAS_PORT" IOT_MTLS_ENABLED=0 \
      STATE_DIR="$LOCAL/ministack-state" TMPDIR="$LOCAL/tmp" \
      AUTH=true MINISTACK_COGNITO_PRETOKEN_STRICT=1 \
      nohup "$MINISTACK_VENV/bin/python" "$ROOT/scripts/ministack_launcher.py" \
      > "$LOCAL/ministack.log" 2>&1 &
    echo $! > "$LOCAL/ministack.pid"
  )
  for _ in $(seq 1 100); do
    if ministack_healthy; then return; fi
    sleep 0.2
  done
  echo "ministack did not become healthy; see .local/ministack.log" >&2
  tail -20 "$LOCAL/ministack.log" >&2 || true
  exit 1
}

stop_ministack() {
  if [[ -f "$LOCAL/ministack.pid" ]]; then
    local pid
    pid="$(cat "$LOCAL/ministack.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping ministack (pid $pid)"
      # Its Lambda workers are children: take the whole process group down.
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$LOCAL/ministack.pid"
  fi
}

# The identity mapping and pool parameters, from environment variables named like them
# (ACTAS_USER_POOL_ID -> UserPoolId, ACTAS_ROLE_GROUPS -> RoleGroups, ...). A variable set to
# empty passes an empty value (e.g. no team attribute); an unset one keeps the default.
MAPPED_PARAMETERS=(UserPoolId CreateGroups PoolTriggerFunctionNames RoleGroups RoleAttribute
  RoleAttributeValues TenantAttribute SingleTenantId TeamAttribute TeamRoleAttribute
  TeamAdminValue ProtectedAttribute)

env_name_of() { # RoleGroups -> ACTAS_ROLE_GROUPS
  echo "ACTAS_$(sed -E 's/([a-z0-9])([A-Z])/\1_\2/g' <<<"$1" | tr '[:lower:]' '[:upper:]')"
}

# Stack parameters for the local deployment; callers may add more through ACTAS_PARAMETERS.
local_parameters() {
  # The sample downstream service is part of every local stack (off by default on AWS).
  local parameters=("CognitoEndpointOverride=$ACTAS_ENDPOINT" "DemoService=${ACTAS_DEMO_SERVICE:-true}") name variable
  # Each stack its own notice sender: the SES identity is the stack's, deleted with it.
  [[ "$STACK_NAME" == actas ]] || parameters+=("NoticeSender=actas-notices-$STACK_NAME@example.com")
  for name in "${MAPPED_PARAMETERS[@]}"; do
    variable="$(env_name_of "$name")"
    if [[ -n "${!variable+set}" ]]; then
      # SAM reads an empty value only when it is quoted.
      parameters+=("ParameterKey=$name,ParameterValue=${!variable:-\"\"}")
    fi
  done
  echo "${parameters[*]} ${ACTAS_PARAMETERS:-}"
}

# Every binary of the workspace (functions and CLI) in one cargo invocation, then a template
# whose functions point at them: what `sam build` would produce, without building each function
# on its own.
build_local() {
  if [[ "${ACTAS_SKIP_BUILD:-0}" == 1 ]]; then
    # Called from inside `cargo test` (which holds cargo's lock): the binaries are built.
    log "reusing the built binaries (ACTAS_SKIP_BUILD=1)"
  else
    log "cargo build --profile $ACTAS_PROFILE (functions and CLI; the first run compiles the AWS SDK)"
    if [[ "${ACTAS_BUILD_ALL_TARGETS:-0}" == 1 ]]; then
      # scripts/test: what `cargo test --workspace` runs (libraries, binaries, tests), so that it
      # finds the same features and builds nothing again (a bins-only build unifies other
      # features: the tests' turn on more of the SDK, and the whole SDK would compile twice).
      (cd "$ROOT" && cargo build --profile "$ACTAS_PROFILE" --workspace --lib --bins --tests --quiet) || exit 1
    else
      # The benchmark is left out: it turns on the in-memory test adapters, which no function carries.
      (cd "$ROOT" && cargo build --profile "$ACTAS_PROFILE" --workspace --exclude actas-bench --exclude hello-lambda --bins --quiet) || exit 1
    fi
  fi
  DIST="$LOCAL/dist-$STACK_NAME"
  rm -rf "$DIST"
  mkdir -p "$DIST"
  "$TOOLS_VENV/bin/python" - "$ROOT/template.yaml" "$DIST" "$CARGO_TARGET_DIR/$ACTAS_PROFILE" <<'PY'
import os, re, shutil, sys
template, dist, binaries = sys.argv[1:4]
text = open(template).read()
pattern = re.compile(
    r"    Metadata:\n      BuildMethod: rust-cargolambda\n      BuildProperties:\n"
    r"        Binary: ([a-z0-9-]+)\n((?:      .*\n)*?)    Properties:\n")
def point_at_binary(match):
    name, other_metadata = match.group(1), match.group(2)
    os.makedirs(os.path.join(dist, name), exist_ok=True)
    # A hard link, not a copy: a stack's dist holds no second gigabyte of binaries.
    source, bootstrap = os.path.join(binaries, name), os.path.join(dist, name, "bootstrap")
    try:
        os.link(source, bootstrap)
    except OSError:
        shutil.copy2(source, bootstrap)
    # Other metadata (the scanner's reasoned skips) stays; the build method goes.
    kept = f"    Metadata:\n{other_metadata}" if other_metadata else ""
    return f"{kept}    Properties:\n      CodeUri: {name}/\n"
text, count = pattern.subn(point_at_binary, text)
if count == 0 or "rust-cargolambda" in text:
    sys.exit("template.yaml: a function is not in the expected Metadata/Binary form")
open(os.path.join(dist, "template.yaml"), "w").write(text)
PY
}

build_and_deploy() {
  local template
  [[ "${ACTAS_SKIP_BUILD:-0}" == 1 ]] || build_console
  if [[ "${ACTAS_RELEASE_BUILD:-0}" == 1 ]]; then
    log "sam build (release profile, fat LTO, one function after another)"
    (cd "$ROOT" && sam build --build-in-source --template-file template.yaml --build-dir "$LOCAL/sam-build" >"$LOCAL/sam-build.log" 2>&1) || {
      tail -40 "$LOCAL/sam-build.log" >&2; exit 1; }
    template="$LOCAL/sam-build/template.yaml"
  else
    build_local
    template="$DIST/template.yaml"
  fi
  log "sam deploy to the local emulator (stack $STACK_NAME)"
  local bucket="actas-artifacts"
  "$TOOLS_VENV/bin/python" - "$bucket" <<'PY'
import sys, boto3
s3 = boto3.client("s3")
if sys.argv[1] not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=sys.argv[1])
PY
  # shellcheck disable=SC2046
  (cd "$ROOT" && sam deploy \
      --template-file "$template" \
      --stack-name "$STACK_NAME" \
      --s3-bucket "$bucket" \
      --region "$AWS_REGION" \
      --capabilities CAPABILITY_IAM \
      --no-confirm-changeset --no-fail-on-empty-changeset --no-progressbar \
      --parameter-overrides $(local_parameters) \
      >"$LOCAL/sam-deploy-$STACK_NAME.log" 2>&1) || { tail -40 "$LOCAL/sam-deploy-$STACK_NAME.log" >&2; exit 1; }
  sam list stack-outputs --stack-name "$STACK_NAME" --region "$AWS_REGION" --output json > "$OUTPUTS_FILE"
  apply_gateway_responses
}

# The emulator's OpenAPI import skips x-amazon-apigateway-gateway-responses, which is where SAM
# puts the Api's GatewayResponses (on AWS they deploy with the API). Put the template's own
# responses on the deployed API and redeploy its stage, as AWS would have it.
apply_gateway_responses() {
  "$TOOLS_VENV/bin/python" - "$ROOT/template.yaml" "$OUTPUTS_FILE" <<'PY'
import json, sys, boto3, yaml
class TemplateLoader(yaml.SafeLoader):
    pass
TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
template = yaml.load(open(sys.argv[1]), Loader=TemplateLoader)
api = template["Resources"]["Api"]["Properties"]
outputs = {o["OutputKey"]: o["OutputValue"] for o in json.load(open(sys.argv[2]))}
client = boto3.client("apigateway")
for response_type, response in api.get("GatewayResponses", {}).items():
    extra = {"statusCode": str(response["StatusCode"])} if "StatusCode" in response else {}
    client.put_gateway_response(restApiId=outputs["ApiId"], responseType=response_type,
                                responseTemplates=response.get("ResponseTemplates", {}), **extra)
client.create_deployment(restApiId=outputs["ApiId"], stageName=api["StageName"])
PY
}

# The CLI from the same build as the functions (no second build of the SDK).
actas_cli() {
  local cli="$CARGO_TARGET_DIR/$ACTAS_PROFILE/actas"
  [[ "${ACTAS_RELEASE_BUILD:-0}" == 1 || ! -x "$cli" ]] && {
    (cd "$ROOT" && cargo build --profile "$ACTAS_PROFILE" -p actas-cli --bin actas --quiet) || exit 1; }
  (cd "$ROOT" && "$cli" "$@")
}

# npm ci in a package folder when its lock file changed since the last install (a copy of the
# lock in node_modules marks what is installed).
npm_install() {
  local dir="$1" marker="$1/node_modules/.lock-installed"
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "Node.js 20+ and npm are needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }
  if [[ ! -f "$marker" ]] || ! cmp -s "$dir/package-lock.json" "$marker"; then
    log "npm ci (${dir#"$ROOT"/}, into its node_modules)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
    cp "$dir/package-lock.json" "$marker"
  fi
}

# The console (console/dist), built before the functions: the console function compiles it in.
build_console() {
  npm_install "$ROOT/clients/js"
  npm_install "$ROOT/console"
  log "building the console (clients/js, then console/dist)"
  (cd "$ROOT/console" && npm run build --silent) || exit 1
}

# The TypeScript package (clients/js): its one dev dependency (the TypeScript compiler) installed
# into its own node_modules from the lock file, then built and tested with Node's own runner.
js_client_test() {
  npm_install "$ROOT/clients/js"
  log "clients/js: build and node --test (unit + against the local stack)"
  (cd "$ROOT/clients/js" && ACTAS_STACK_FILE="$LOCAL/stack.json" npm test --silent) || exit 1
}

source "$ROOT/scripts/browser.sh"
