#!/usr/bin/env bash
# Creates the demo on a running silo: workspace "demo", a Kafka resource on the development broker, a Bun script
# with a preprocessor, and a trigger on the topic the silo fills with an order every 2 s (DevKafka:DemoTopic).
# What already exists is left as it is, so running it again after a restart changes nothing.
#   scripts/demo.sh URL TOKEN
set -euo pipefail
API="$1/api"
AUTH="Authorization: Bearer $2"
readonly TOPIC="demo-orders"

# post PATH JSON: creates one item; "already exists" (400/409) is fine, anything else stops the demo.
post() {
  local status body
  body="$(mktemp)"
  status="$(curl -s -o "$body" -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/json' "$API$1" -d "$2")"
  if [[ "$status" -ge 300 ]] && ! grep -qi "already exists" "$body"; then
    echo "demo: POST $1 answered $status: $(cat "$body")" >&2
    rm -f "$body"; exit 1
  fi
  rm -f "$body"
}

broker="$(curl -sf -H "$AUTH" "$API/dev_kafka" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bootstrap_servers"])')"
script="$(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <<'TS'
// Runs for every message on demo-orders. The preprocessor turns the Kafka event into main's arguments.
export async function preprocessor(event: { kind: "kafka"; payload: string; key: string | null; offset: number }) {
  const order = JSON.parse(atob(event.payload));
  return { item: order.item, quantity: order.quantity, offset: event.offset };
}

export async function main(item: string, quantity: number, offset: number) {
  console.log(`order at offset ${offset}: ${quantity} x ${item}`);
  return { item, quantity, total_cents: quantity * 350 };
}
TS
)"

post /workspaces/create '{"id": "demo", "name": "Demo"}'
post /w/demo/resources/create "{\"path\": \"u/demo/kafka\", \"resource_type\": \"kafka\", \"description\": \"the development broker\",
  \"value\": {\"brokers\": [\"$broker\"], \"security\": {\"label\": \"PLAINTEXT\"}}}"
post /w/demo/scripts/create "{\"path\": \"u/demo/orders\", \"language\": \"bun\", \"summary\": \"Handles one order\", \"content\": $script}"
post /w/demo/kafka_triggers/create "{\"path\": \"u/demo/orders_trigger\", \"script_path\": \"u/demo/orders\", \"is_flow\": false,
  \"kafka_resource_path\": \"u/demo/kafka\", \"topics\": [\"$TOPIC\"], \"auto_offset_reset\": \"earliest\"}"

cat >&2 <<MSG

The demo is running: topic $TOPIC gets an order every 2 s, and trigger u/demo/orders_trigger runs script u/demo/orders
for each. Watch it in the console ($1/console, sign in with the admin token), or with curl:
  curl -s -H '$AUTH' '$API/w/demo/jobs/list?trigger_path=u/demo/orders_trigger&per_page=5'
  curl -s -H '$AUTH' '$API/w/demo/kafka_triggers/get/u/demo/orders_trigger'

MSG
