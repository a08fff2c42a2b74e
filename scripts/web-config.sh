#!/usr/bin/env bash
# Writes the single-page app's runtime configuration, config.json (read by the app at start):
#
#   web-config.sh local [STACK_ENV]   from a local stack's endpoints (default .local/stack.env)
#   web-config.sh aws                 from the deployed stack's outputs (STACK_NAME, default hello-api)
#
# Written to $WEB_PUBLIC_DIR/config.json (default web/public/, which both `vite` and `vite build`
# serve). The file holds only public values: the client id and URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STACK_NAME:=hello-api}" "${WEB_PUBLIC_DIR:=web/public}"
AWS=${AWS:-.tools/aws/bin/aws}

die() { echo "error: $*" >&2; exit 1; }

case "${1:-}" in
  local)
    stack_env=${2:-${STACK_ENV:-.local/stack.env}}
    [[ -f "$stack_env" ]] || die "no $stack_env: is the local stack running (make local)?"
    # shellcheck source=/dev/null # written by scripts/local-stack.sh
    source "$stack_env"
    http_api_url=${API_URL:?$stack_env has no API_URL} rest_api_url=${REST_API_URL:-}
    user_pool_client_id=${USER_POOL_CLIENT_ID:?$stack_env has no USER_POOL_CLIENT_ID}
    # The emulator answers discovery for the issuer's path at its own origin, which is also the
    # local user pool domain; COGNITO=aws: the real issuer and the deployed domain.
    if [[ -n "$COGNITO_ENDPOINT" ]]; then
      authority=$COGNITO_ENDPOINT/$USER_POOL_ID
    else
      authority=https://cognito-idp.$REGION.amazonaws.com/$USER_POOL_ID
    fi
    domain_url=${COGNITO_DOMAIN_URL:-$COGNITO_ENDPOINT}
    ;;
  aws)
    outputs=$("$AWS" cloudformation describe-stacks --stack-name "$STACK_NAME" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text) ||
      die "cannot read the outputs of stack $STACK_NAME (deployed? credentials? region?)"
    output() { awk -v key="$1" '$1 == key { print $2 }' <<<"$outputs"; }
    http_api_url=$(output ApiUrl) rest_api_url=$(output RestApiUrl) user_pool_client_id=$(output UserPoolClientId)
    authority=$(output Issuer) domain_url=$(output UserPoolDomainUrl)
    ;;
  *) die "usage: $0 local [STACK_ENV] | aws" ;;
esac
[[ "$domain_url" == None ]] && domain_url=  # the aws CLI's word for a missing output
[[ -n "$http_api_url" && -n "$authority" && -n "$domain_url" && -n "$user_pool_client_id" ]] ||
  die "missing endpoints or ids (API URL '$http_api_url', authority '$authority', domain '$domain_url', client '$user_pool_client_id'; a stack deployed before managed login has no UserPoolDomainUrl output: deploy again)"

mkdir -p "$WEB_PUBLIC_DIR"
target=$WEB_PUBLIC_DIR/config.json
# Written whole, then renamed: a web server never serves half a file.
HTTP_API_URL=$http_api_url REST_API_URL=$rest_api_url AUTHORITY=$authority DOMAIN_URL=$domain_url \
  USER_POOL_CLIENT_ID=$user_pool_client_id \
  python3 -c 'import json, os
e = os.environ
print(json.dumps({
    "authority": e["AUTHORITY"],
    "domainUrl": e["DOMAIN_URL"].rstrip("/"),
    "userPoolClientId": e["USER_POOL_CLIENT_ID"],
    "httpApiUrl": e["HTTP_API_URL"].rstrip("/"),
    "restApiUrl": e["REST_API_URL"].rstrip("/") or None,
}, indent=2))' >"$target.new"
mv "$target.new" "$target"
echo "wrote $target" >&2
