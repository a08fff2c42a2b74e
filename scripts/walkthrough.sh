#!/usr/bin/env bash
# The walkthrough's Cognito and curl steps, against the deployed stack (STACK=aws, ids from the
# stack's outputs) or the local one (STACK=local, ids from .local/stack.env), through the HTTP API
# (API=http, the default) or the REST API (API=rest).
#
#   walkthrough.sh user    admin-create-user (email verified, no invitation) + permanent password
#   walkthrough.sh token   admin-initiate-auth ADMIN_USER_PASSWORD_AUTH; prints the ID token
#                          (TOKEN_USE=access for the access token)
#   walkthrough.sh call    GET /hello without a token, then with `Authorization: Bearer <ID token>`
#
# With a local stack of another template: USER_POOL=<LogicalId> [USER_POOL_CLIENT=<LogicalId>]
# picks one of its pools (default: the template's UserPool, else its first pool).
# The password comes from USER_PASSWORD or a silent prompt; only the emulated pool has a default.
# It reaches the aws CLI through a --cli-input-json file only this user can read (removed on
# exit), never on a command line.
set -euo pipefail

cd "$(dirname "$0")/.."
USERNAME_GIVEN=${USERNAME:-}
: "${STACK:=aws}" "${STACK_NAME:=hello-api}" "${USERNAME:=user-a}" "${EMAIL:=usera@example.com}" "${TOKEN_USE:=id}"
: "${API:=http}"
AWS=${AWS:-.tools/aws/bin/aws}
PYTHON=${PYTHON:-.tools/aws/bin/python}
# The one password the local stack gives its users; Cognito emulator only, never AWS.
LOCAL_PASSWORD='Local-only-Passw0rd!'

die() { echo "error: $*" >&2; exit 1; }

endpoint=()
load_stack() {
  case "$STACK" in
    local)
      [[ -f "${STACK_ENV:-.local/stack.env}" ]] || die "no local stack is running (start it with: make local)"
      [[ -z "${STACK_DEFAULTED:-}" ]] || echo "note: the running local stack (.local/stack.env); STACK=aws for the deployed one" >&2
      # shellcheck source=/dev/null # written by scripts/local-stack.sh
      source "${STACK_ENV:-.local/stack.env}"
      # Another pool of the template (make local TEMPLATE=...): USER_POOL=<its logical id>, and
      # USER_POOL_CLIENT=<a client's logical id> (default: the pool's first client).
      if [[ -n "${USER_POOL:-}" ]]; then
        local id_var=ID_$USER_POOL clients_var=CLIENTS_$USER_POOL user_var=USERNAME_$USER_POOL client client_var
        [[ -n "${!id_var:-}" ]] || die "the local stack has no user pool $USER_POOL (its stack.env lists ID_<LogicalId> lines)"
        client=${USER_POOL_CLIENT:-${!clients_var:-}}
        client=${client%%,*} client_var=ID_${client%%,*}
        [[ -n "$client" && -n "${!client_var:-}" ]] || die "no app client of $USER_POOL in the local stack (USER_POOL_CLIENT=<LogicalId>)"
        USER_POOL_ID=${!id_var} USER_POOL_CLIENT_ID=${!client_var}
        # The pool's user: user-a, or its email where the pool signs in by email.
        [[ -n "$USERNAME_GIVEN" || -z "${!user_var:-}" ]] || USERNAME=${!user_var}
      fi
      if [[ -n "${COGNITO_ENDPOINT:-}" ]]; then
        endpoint=(--endpoint-url "$COGNITO_ENDPOINT")
        export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
      fi
      # Otherwise (COGNITO=aws) the deployed pool, with your own credentials.
      export AWS_DEFAULT_REGION="$REGION"
      ;;
    aws)
      output() {
        "$AWS" cloudformation describe-stacks --stack-name "$STACK_NAME" \
          --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
      }
      if [[ -n "${STACK_DEFAULTED:-}" ]]; then
        echo "note: no local stack is running (make local), so this goes to the deployed stack $STACK_NAME" >&2
      fi
      USER_POOL_ID=$(output UserPoolId) || die "cannot read the outputs of stack $STACK_NAME (deployed? credentials?)"
      USER_POOL_CLIENT_ID=$(output UserPoolClientId)
      API_URL=$(output ApiUrl)
      REST_API_URL=$(output RestApiUrl)
      ;;
    *) die "STACK must be aws or local, not '$STACK'" ;;
  esac
}

read_password() {
  if [[ -n "${USER_PASSWORD:-}" ]]; then
    PASSWORD=$USER_PASSWORD
  elif [[ "$STACK" == local && -n "${COGNITO_ENDPOINT:-}" ]]; then
    # The emulator's users (not a deployed pool's, with COGNITO=aws).
    PASSWORD=$LOCAL_PASSWORD
  elif [[ -t 0 ]]; then
    read -rsp "Password for $USERNAME: " PASSWORD
    echo >&2
  else
    die "set USER_PASSWORD (no terminal to prompt on)"
  fi
  [[ -n "$PASSWORD" ]] || die "empty password"
  export PASSWORD
}

# The --cli-input-json documents that hold the password go to a file only this user can read.
secret_file=$(umask 077 && mktemp)
trap 'rm -f "$secret_file"' EXIT

create_user() {
  "$AWS" "${endpoint[@]}" cognito-idp admin-create-user \
    --user-pool-id "$USER_POOL_ID" --username "$USERNAME" \
    --user-attributes Name=email,Value="$EMAIL" Name=email_verified,Value=true \
    --message-action SUPPRESS --query 'User.UserStatus' --output text >/dev/null
  "$PYTHON" -c 'import json, os; e = os.environ; print(json.dumps({"UserPoolId": e["USER_POOL_ID"],
    "Username": e["USERNAME"], "Password": e["PASSWORD"], "Permanent": True}))' >"$secret_file"
  "$AWS" "${endpoint[@]}" cognito-idp admin-set-user-password --cli-input-json "file://$secret_file"
  echo "created $USERNAME ($EMAIL, email verified), permanent password: status CONFIRMED" >&2
}

get_token() {
  local field=IdToken
  [[ "$TOKEN_USE" == access ]] && field=AccessToken
  "$PYTHON" -c 'import json, os; e = os.environ; print(json.dumps({"UserPoolId": e["USER_POOL_ID"],
    "ClientId": e["USER_POOL_CLIENT_ID"], "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
    "AuthParameters": {"USERNAME": e["USERNAME"], "PASSWORD": e["PASSWORD"]}}))' >"$secret_file"
  "$AWS" "${endpoint[@]}" cognito-idp admin-initiate-auth --cli-input-json "file://$secret_file" \
    --query "AuthenticationResult.$field" --output text
}

call() {
  local base token
  case "$API" in
    http) base=$API_URL ;;
    rest) base=${REST_API_URL:-} ;;
    *) die "API must be http or rest, not '$API'" ;;
  esac
  [[ -n "$base" ]] || die "the stack has no $API API"
  local url="${base%/}/hello"
  echo "GET $url without a token:"
  curl -sS -w '\n-> HTTP %{http_code}\n' "$url"
  token=$(get_token)
  echo "GET $url with Authorization: Bearer <ID token>:"
  curl -sS -w '\n-> HTTP %{http_code}\n' -H "Authorization: Bearer $token" "$url"
}

case "${1:-}" in
  user | token | call) ;;
  *) die "usage: $0 user|token|call" ;;
esac
load_stack
export USER_POOL_ID USER_POOL_CLIENT_ID USERNAME
read_password
case "$1" in
  user) create_user ;;
  token) get_token ;;
  call) call ;;
esac
