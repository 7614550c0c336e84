#!/usr/bin/env bash
# `make run`: the data directory, the demo account, then the server with the
# demo page, on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${ROOMGATE_DATA:-./data}
listen=${ROOMGATE_LISTEN:-127.0.0.1:8080}
demo=$(build/roomgate demo init --data "$data")
# the recording key pair, once (the player page at /demo/player.html needs it)
[ -f "$data/recording-private.pem" ] || build/roomgate keys generate-recording-keypair --data "$data" >/dev/null
field() { printf '%s' "$demo" | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }
# the directory {"path"} imports read, one subdirectory per account (README
# "Recordings"): the demo account's
mkdir -p "$data/import/$(field account_sid)"
cat <<MSG

  roomgate is starting on http://$listen/  (demo page: http://$listen/demo/)

  demo account  $(field account_sid)
  auth token    $(field auth_token)
  API key       $(field key_sid)
  key secret    $(field key_secret)

  try:  curl -u '$(field account_sid):$(field auth_token)' 'http://$listen/token?identity=alice&room=demo'
  recordings: upload with  curl -u '$(field account_sid):$(field auth_token)' -H 'Content-Type: audio/wav' \\
                 --data-binary @talk.wav 'http://$listen/v1/Recordings?AllowedIdentities=alice'
              and play them on http://$listen/demo/player.html
  (credentials are also in $data/demo.json, mode 0600; Ctrl-C stops the server)

MSG
exec build/roomgate serve --demo --listen "$listen" --data "$data" --import-dir "$data/import"
