#!/usr/bin/env bash
# Regenerates the small seed corpora of the fuzz targets from text-format
# protobuf (needs protoc). The seeds are committed; run this only to change them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
enc() { protoc --encode="$1" -I "$proto" "$proto/raison.proto"; }
mkdir -p "$here/corpus/entry" "$here/corpus/request"
A=$(printf '\\%03o' $(seq 1 32))
H=$(printf '\\%03o' $(seq 101 132))
echo "author: \"$A\" seq: 1 timestamp: 1700000000000 kind: KIND_POST body_hash: \"$H\" body_size: 12" \
  | enc raison.Entry > "$here/corpus/entry/post-seq1"
echo "author: \"$A\" seq: 2 prev: \"$H\" timestamp: 1 kind: KIND_CHARTER body_hash: \"$H\" body_size: 300" \
  | enc raison.Entry > "$here/corpus/entry/charter-seq2"
echo 'name: "ops" purpose: "run" missions { key: "a" goal: "b" } benefits: "c" data_policy { readers: "all" use: "x" } access: ACCESS_OPEN' \
  | enc raison.Charter > "$here/corpus/entry/charter-body"
echo 'mission: "a" text: "hello" reply_to: "0123456789abcdef0123456789abcdef"' \
  | enc raison.Post > "$here/corpus/entry/post-body"
E=$(enc raison.Entry < <(echo "author: \"$A\" seq: 1 timestamp: 1 kind: KIND_PROFILE body_hash: \"$H\" body_size: 5") | od -An -v -to1 | tr -s ' ' '\n' | grep -v '^$' | sed 's/^/\\/' | tr -d '\n')
echo "request_id: 7 publish { entry { entry: \"$E\" signature: \"$H$H\" body: \"\\n\\003bob\" } }" \
  | enc raison.ApiRequest > "$here/corpus/request/publish"
echo 'mission: "a" text: "hello" group: "0123456789abcdef0123456789abcdef"' | enc raison.Post > "$here/corpus/request/.post-body"
P=$(od -An -v -to1 < "$here/corpus/request/.post-body" | tr -s ' ' '\n' | grep -v '^$' | sed 's/^/\\/' | tr -d '\n')
rm -f "$here/corpus/request/.post-body"
echo "request_id: 8 draft { author: \"$A\" kind: KIND_POST body: \"$P\" }" \
  | enc raison.ApiRequest > "$here/corpus/request/draft"
echo 'request_id: 1 status {}' | enc raison.ApiRequest > "$here/corpus/request/status"
echo 'request_id: 2 timeline { group: "ops" mission: "a" limit: 10 }' | enc raison.ApiRequest > "$here/corpus/request/timeline"
echo 'request_id: 3 subscribe { group: "abcd" }' | enc raison.ApiRequest > "$here/corpus/request/subscribe"
echo "seeds written to $here/corpus"
