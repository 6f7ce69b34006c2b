#!/bin/bash
# Studio lifecycle script of JupyterLab and Code Editor apps: point pip at the platform's package
# mirror, so that `pip install x` works in a notebook or a terminal with no internet path and no
# token typed. Studio runs it at each app start, as the app's user, with the execution role's
# credentials, and stops it after 5 minutes. The program fills the placeholders in capitals
# (contracts/lifecycle.py). On failure it says why on stderr (the app's lifecycle log) and exits
# non-zero, leaving any earlier pip.conf as it was.
set -euo pipefail

domain="@@DOMAIN@@" owner="@@OWNER@@" region="@@REGION@@" repository="@@REPOSITORY@@" seconds="@@TOKEN_SECONDS@@"
host="$domain-$owner.d.codeartifact.$region.amazonaws.com"
config="${XDG_CONFIG_HOME:-${HOME:?}/.config}/pip/pip.conf"
temporary=""
trap 'rm -f "$temporary"' EXIT

fail() {
    echo "pip-mirror: $1; pip is not configured" >&2
    echo "pip-mirror: check $2" >&2
    exit 1
}

# Few retries, short timeouts: a missing endpoint fails in under two minutes, not at Studio's limit.
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3
token="$(aws codeartifact get-authorization-token --region "$region" --domain "$domain" --domain-owner "$owner" \
    --duration-seconds "$seconds" --query authorizationToken --output text \
    --cli-connect-timeout 10 --cli-read-timeout 20)" || token=""
if [[ -z "$token" || "$token" == None ]]; then
    check="that the execution role may call codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken"
    fail "no CodeArtifact token for domain $domain (owner $owner) in $region (the AWS CLI's message is above)" \
        "$check, and that the VPC has the codeartifact.api and sts endpoints with private DNS"
fi

# Written whole or not at all: a temporary file beside pip.conf (mode 600: it holds the token), then moved.
{ mkdir -p "$(dirname "$config")" && temporary="$(mktemp "$config.XXXXXX")" &&
    printf '[global]\nindex-url = https://aws:%s@%s/pypi/%s/simple/\n' "$token" "$host" "$repository" >"$temporary" &&
    chmod 600 "$temporary" && mv -f "$temporary" "$config"; } ||
    fail "cannot write $config" "the space and permissions of $HOME"
echo "pip-mirror: pip installs from https://$host/pypi/$repository/simple/" \
    "for $((seconds / 3600)) hours (restart the app for a new token)"
