#!/usr/bin/env bash
# `make demo`: starts b24-portal as an emulated portal with the placement app on a
# second origin (another port, as in a real deployment), creates a poll with seeded
# ballots, registers the app for IM_CONTEXT_MENU, and prints two URLs: the portal page
# (a chat whose poll message opens the app in a frame) and the app standalone.
# Builds nothing itself (the Makefile's `demo: build` runs first). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh

[ -f pkg/web/b24_vote.js ] || { echo "pkg/web/b24_vote.js is missing: run make build first"; exit 1; }
SDK=tests/node_modules/@bitrix24/b24jssdk/dist/umd
[ -f "$SDK/index.min.js" ] || { echo "$SDK/index.min.js is missing: run make setup first"; exit 1; }

PORT=${DEMO_PORT:-8390}
APP_PORT=$((PORT + 1))
# The app's files, on both origins: the app origin serves them to the frame, the
# portal origin keeps the standalone URL of earlier demos working.
STATIC=(--static www --static /pkg=pkg/web --static "/vendor/b24jssdk=$SDK")
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Fixed ports, so the printed URLs can be bookmarked; free ones if they are taken (or
# with DEMO_PORT=0). (start_portal passes --listen 127.0.0.1:0 first; a later one wins.)
if [ "$PORT" = 0 ] || busy "$PORT" || busy "$APP_PORT"; then
  [ "$PORT" = 0 ] || echo "port $PORT or $APP_PORT is busy; using free ports"
  start_portal --app-listen 127.0.0.1:0 "${STATIC[@]}"
else
  start_portal --listen "127.0.0.1:$PORT" --app-listen "127.0.0.1:$APP_PORT" "${STATIC[@]}"
fi
[ -n "$APP_ORIGIN" ] || { echo "b24-portal printed no app origin"; exit 1; }

post() {
  curl -fsS -X POST -H 'Content-Type: application/json' --data "$2" "$PORTAL_URL$1"
}
poll=$(post /_emulator/polls @tests/e2e/demo-poll.json)
attach_id=$(printf '%s' "$poll" | sed -n 's/.*"attachId":\([0-9]*\).*/\1/p')
chat_id=$(printf '%s' "$poll" | sed -n 's/.*"chatId":\([0-9]*\).*/\1/p')
[ -n "$attach_id" ] || { echo "could not create the demo poll: $poll"; exit 1; }
post /_emulator/apps \
  "{\"handler\":\"$APP_ORIGIN/index.html\",\"placement\":\"IM_CONTEXT_MENU\",\"title\":\"Poll results\"}" >/dev/null

# User 1 (the poll's author) has not voted: they can vote, recall, stop and resume.
webhook="$PORTAL_URL/rest/1/hook1/"

echo
echo "Demo poll: attachId $attach_id in chat $chat_id, 7 ballots by users 2-8; you are user 1, its author."
echo
echo "Portal page (open the poll message's menu ⋯, then \"Poll results\"):"
echo "  $PORTAL_URL/portal/?chat=$chat_id"
echo
echo "The app standalone, through a webhook:"
echo "  $APP_ORIGIN/?webhook=$webhook&attachId=$attach_id"
echo
echo "The app is served from $APP_ORIGIN, the portal from $PORTAL_URL."
echo "The emulator's own poll (attachId 1, chat 1) is there too. Press Ctrl-C to stop."
wait "$PORTAL_PID"
