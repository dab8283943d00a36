#!/usr/bin/env bash
# What actions/checkout does with the inputs our workflows use: a clean folder, one fetch
# of the ref (a SHA, a ref name, or the event's SHA), `fetch-depth` commits of history
# (0: everything, with branches and tags), a detached HEAD, and the token kept in the
# local git config only when persist-credentials is true.
set -euo pipefail
url="${MCV_E2E_GIT_SERVER:-$GITHUB_SERVER_URL}/$REPOSITORY"
dest="$GITHUB_WORKSPACE/$DEST"
ref="${REF:-$GITHUB_SHA}"
case "$dest" in "$GITHUB_WORKSPACE"/*|"$GITHUB_WORKSPACE/.") ;; *) echo "::error::path $DEST leaves the workspace"; exit 1 ;; esac
mkdir -p "$dest"
find "$dest" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
git init -q "$dest"
cd "$dest"
git remote add origin "$url"
depth=()
if [ "$DEPTH" != 0 ]; then depth=(--depth "$DEPTH"); fi
if [ "$DEPTH" = 0 ]; then
  git fetch -q origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
fi
if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
  git fetch -q --no-tags "${depth[@]}" origin "$ref"
else
  git fetch -q --no-tags "${depth[@]}" origin "+$ref:refs/remotes/origin/checkout"
fi
git -c advice.detachedHead=false checkout -q --detach FETCH_HEAD
if [ "$PERSIST" = true ]; then
  auth=$(printf 'x-access-token:%s' "$TOKEN" | base64 -w0)
  git config --local "http.$GITHUB_SERVER_URL/.extraheader" "AUTHORIZATION: basic $auth"
fi
echo "checked out $REPOSITORY at $(git rev-parse HEAD) into ${DEST}"
