#!/usr/bin/env bash
# `make demo`: starts b24-portal serving the placement app (www/) and the web build
# (pkg/web at /pkg), creates a poll with seeded ballots, and prints the URL that opens
# the app on it. Builds nothing itself (the Makefile's `demo: build` runs first).
# Ctrl-C stops the portal.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh

[ -f pkg/web/b24_vote.js ] || { echo "pkg/web/b24_vote.js is missing: run make build first"; exit 1; }

PORT=${DEMO_PORT:-8390}
# A fixed port, so the printed URL can be bookmarked; a free one if it is taken.
# (start_portal passes --listen 127.0.0.1:0 first; a later --listen wins.)
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "port $PORT is busy; using a free port"
  start_portal --static www --static /pkg=pkg/web
else
  start_portal --listen "127.0.0.1:$PORT" --static www --static /pkg=pkg/web
fi

poll=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  --data @tests/e2e/demo-poll.json "$PORTAL_URL/_emulator/polls")
attach_id=$(printf '%s' "$poll" | sed -n 's/.*"attachId":\([0-9]*\).*/\1/p')
[ -n "$attach_id" ] || { echo "could not create the demo poll: $poll"; exit 1; }

# User 1 (the poll's author) has not voted: they can vote, recall, stop and resume.
webhook="$PORTAL_URL/rest/1/hook1/"

echo
echo "Demo poll: attachId $attach_id, 7 ballots by users 2-8; you are user 1, its author."
echo
echo "Open: $PORTAL_URL/?webhook=$webhook&attachId=$attach_id"
echo
echo "The emulator's own poll (attachId 1) is there too. Press Ctrl-C to stop."
wait "$PORTAL_PID"
