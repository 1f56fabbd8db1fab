#!/usr/bin/env bash
# Saves a screenshot of the running demo's page (http://localhost:8080/ by default) after
# the chart has filled, with headless Chromium driven through chromedriver's WebDriver API.
# Start the demo first (README's first command), then: sample-app/screenshot.sh [out.png] [seconds]
set -euo pipefail
OUT="${1:-docs/sample-chart.png}"
WAIT="${2:-40}"
URL="${DEMO_URL:-http://localhost:8080/}"
PORT=9515

chromedriver --port="$PORT" > /dev/null 2>&1 &
DRIVER=$!
trap 'kill "$DRIVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -s "localhost:$PORT/status" > /dev/null && break; sleep 0.1; done

SESSION=$(curl -s -X POST "localhost:$PORT/session" -H 'Content-Type: application/json' -d '{"capabilities":
	{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"/usr/bin/chromium",
	"args":["--headless=new","--no-sandbox","--disable-gpu","--window-size=1100,900"]}}}}' \
	| sed -n 's/.*"sessionId":"\([0-9a-f]*\)".*/\1/p')
curl -s -X POST "localhost:$PORT/session/$SESSION/url" -H 'Content-Type: application/json' \
	-d "{\"url\":\"$URL\"}" > /dev/null
sleep "$WAIT"
curl -s "localhost:$PORT/session/$SESSION/screenshot" | sed -n 's/.*"value":"\([^"]*\)".*/\1/p' | base64 -d > "$OUT"
curl -s -X DELETE "localhost:$PORT/session/$SESSION" > /dev/null
echo "Saved $OUT"
