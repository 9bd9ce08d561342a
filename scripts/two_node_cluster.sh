#!/usr/bin/env bash
# A Ray cluster of two nodes on this machine (a head and a second node joining it over 127.0.0.1),
# a tiny `rl-lab tune` and a multi-seed `rl-lab train` sent to it with --address, then both nodes
# stopped. On real machines the second `ray start --address HEAD:PORT` runs on another host and
# --runs-dir must be a filesystem every node mounts.
#
#   scripts/two_node_cluster.sh            # port 6390; PORT=... to choose; RL_LAB=path/to/rl-lab
#
# Both nodes are stopped by the process ids of this cluster (their command lines carry its own
# temp dir), on every exit path: `ray stop` would also stop any other Ray cluster of this user.
set -euo pipefail

PORT=${PORT:-6390}
BIN=$(cd "$(dirname "$0")/.." && pwd)/.venv/bin
RL_LAB=${RL_LAB:-$BIN/rl-lab}
RAY=${RAY:-$BIN/ray}
WORK=$(mktemp -d /tmp/rl-lab-two-nodes.XXXXXX)
ADDRESS=127.0.0.1:$PORT
# Ray 2.60 starts a head with token authentication (the token in ~/.ray/auth_token); every node and
# driver that joins must say so, or it is refused with InvalidAuthToken.
export RAY_AUTH_MODE=token

# Ray's processes of this cluster only: each names its session under $WORK/ray, except the head's
# client proxy, which names the head's port.
OURS="$WORK/ray|ray\.util\.client\.server --address=[^ ]*:$PORT "
stop_cluster() {
    local pids
    pids=$(pgrep -f -- "$OURS" || true)
    if [ -n "$pids" ]; then
        kill $pids 2>/dev/null || true
        sleep 3
        pids=$(pgrep -f -- "$OURS" || true)
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    fi
    echo "stopped the two nodes; Ray processes of this cluster left: $(pgrep -fc -- "$OURS" || true)"
}
trap stop_cluster EXIT

# The shipped CartPole experiment and its [tune] table, on a tiny budget.
SMALL=(--set eval.freq=1024 --set eval.episodes=4 --set eval.video=false)

echo "== head node on $ADDRESS"
"$RAY" start --head --node-ip-address=127.0.0.1 --port="$PORT" --num-cpus=1 --temp-dir="$WORK/ray" \
    --include-dashboard=false --disable-usage-stats
echo "== second node joining $ADDRESS"
"$RAY" start --address="$ADDRESS" --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats
for _ in $(seq 30); do  # the second node takes a few seconds to register
    "$RAY" status --address="$ADDRESS" 2>/dev/null | grep -q "2.0 CPU" && break
    sleep 1
done
"$RAY" status --address="$ADDRESS" | sed -n '/Node status/,/^Resources/p'

echo "== rl-lab tune on the cluster"
"$RL_LAB" tune cartpole_ppo --trials 4 --set tune.timesteps=3072 "${SMALL[@]}" \
    --address "$ADDRESS" --workers 2 --runs-dir "$WORK/runs"
echo "== rl-lab train --seeds on the cluster"
"$RL_LAB" train cartpole_ppo --seeds 0 1 2 --timesteps 3072 "${SMALL[@]}" \
    --address "$ADDRESS" --workers 2 --runs-dir "$WORK/runs" --no-progress
echo "== results in $WORK/runs"
