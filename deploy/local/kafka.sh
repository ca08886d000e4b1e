#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) from Maven Central jars.
# Usage: kafka.sh fetch|start|stop|status|logs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_HOME="$LOCAL/kafka/$KAFKA_VERSION"
KAFKA_DATA="$LOCAL/kafka-data"
PIDFILE="$LOCAL/kafka.pid"
KLOG="$LOGS/kafka.log"

fetch() {
  if [[ -f "$KAFKA_HOME/.complete" ]]; then return; fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Kafka $KAFKA_VERSION"
  command -v java >/dev/null || die "Java 17+ is needed to run Kafka"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central (once)"
  rm -rf "$KAFKA_HOME" && mkdir -p "$KAFKA_HOME/libs"
  mvn -q -B -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_HOME/libs" >"$LOGS/kafka-fetch.log" 2>&1 \
    || { tail -n 30 "$LOGS/kafka-fetch.log" >&2 || true; die "could not fetch Kafka $KAFKA_VERSION"; }
  # Kafka's transitive slf4j 1.7 would shadow the slf4j 2 binding.
  rm -f "$KAFKA_HOME"/libs/slf4j-api-1.*.jar
  touch "$KAFKA_HOME/.complete"
}

kjava() { java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$LOCAL/kafka-log4j2.properties" -cp "$KAFKA_HOME/libs/*" "$@"; }

write_config() {
  cat >"$LOCAL/kafka-server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
log.retention.hours=-1
message.max.bytes=10485760
PROPS
  cat >"$LOCAL/kafka-log4j2.properties" <<PROPS
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KLOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
PROPS
}

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# Sockets on local port $1 that keep the broker from binding it: a listener, or a client's
# connection that took it as its local port (TIME-WAIT ones do not block a bind).
port_sockets() {
  if command -v ss >/dev/null; then
    ss -Htanp "( sport = :$1 )" 2>/dev/null | grep -v '^TIME-WAIT' || true
  elif port_open "$1"; then
    echo "listener on 127.0.0.1:$1"
  fi
}

# "name (pid N)" of what holds port $1, as far as this user may see.
port_holder() {
  local users; users="$(port_sockets "$1" | grep -o 'users:(([^)]*))' | head -n 1)"
  if [[ "$users" =~ \(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
    echo "${BASH_REMATCH[1]} (pid ${BASH_REMATCH[2]})"
  else
    echo "an unknown process (run: ss -tanp '( sport = :$1 )')"
  fi
}

# Wait (at most KAFKA_PORT_WAIT seconds, default 60) until port $1 ($2 names its use) is free:
# while the broker was down, a reconnecting client may hold it for a while. Then fail naming
# the port and its holder.
wait_for_port() {
  local port="$1" what="$2" waited=0 limit="${KAFKA_PORT_WAIT:-60}"
  [[ -z "$(port_sockets "$port")" ]] && return 0
  log "port $port ($what) is taken by $(port_holder "$port"); waiting up to ${limit} s for it to be free"
  while [[ -n "$(port_sockets "$port")" ]]; do
    if (( waited >= limit )); then
      die "port $port ($what) is still taken by $(port_holder "$port") after ${limit} s: stop that process or choose another port ($what)"
    fi
    sleep 1; waited=$((waited + 1))
  done
  log "port $port is free again after ${waited} s"
}

start() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then log "using existing Kafka at $KAFKA_BOOTSTRAP_SERVERS"; return; fi
  if running; then log "Kafka already running on 127.0.0.1:$KAFKA_PORT"; return; fi
  wait_for_port "$KAFKA_PORT" "KAFKA_PORT"
  wait_for_port "$KAFKA_CONTROLLER_PORT" "KAFKA_CONTROLLER_PORT"
  fetch
  write_config
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    log "formatting Kafka storage in $KAFKA_DATA"
    mkdir -p "$KAFKA_DATA"
    local cid
    cid="$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
      || die "Kafka's StorageTool did not run: are the jars in $KAFKA_HOME complete? (delete it to fetch again)"
    kjava kafka.tools.StorageTool format -t "$cid" -c "$LOCAL/kafka-server.properties" >>"$KLOG" 2>&1 \
      || { tail -n 30 "$KLOG" >&2 2>/dev/null || true; die "formatting Kafka storage failed"; }
  fi
  wait_for_port "$KAFKA_PORT" "KAFKA_PORT"  # again: formatting took a while
  wait_for_port "$KAFKA_CONTROLLER_PORT" "KAFKA_CONTROLLER_PORT"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOCAL/kafka-log4j2.properties" -cp "$KAFKA_HOME/libs/*" \
    kafka.Kafka "$LOCAL/kafka-server.properties" >>"$LOGS/kafka.out" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if ! running; then
      tail -n 40 "$KLOG" "$LOGS/kafka.out" >&2 2>/dev/null || true; die "Kafka exited during start-up"; fi
    if port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$KLOG" 2>/dev/null; then
      log "Kafka is up"; return; fi
    sleep 0.5
  done
  tail -n 40 "$KLOG" >&2 2>/dev/null || true
  die "Kafka did not answer within 60 s"
}

stop() {
  if running; then
    local pid; pid="$(cat "$PIDFILE")"
    log "stopping Kafka (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

status() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then echo "kafka: external $KAFKA_BOOTSTRAP_SERVERS"; return; fi
  if running; then echo "kafka: running $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PIDFILE"))";
  else echo "kafka: stopped"; fi
}

case "${1:-}" in
  fetch) fetch ;; start) start ;; stop) stop ;; status) status ;;
  logs) tail -n "${LINES:-100}" "$KLOG" ;;
  *) echo "usage: $0 fetch|start|stop|status|logs" >&2; exit 2 ;;
esac
