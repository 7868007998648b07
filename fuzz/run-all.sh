#!/bin/sh
# Runs every fuzz target one after another for SECONDS each (default 600) on one core, with the
# seed corpus read-only and new inputs kept in $WORK (default /tmp/magnate-fuzz). See README.md.
set -u
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-600}
WORK=${WORK:-/tmp/magnate-fuzz}
for target in ${TARGETS:-apply_inputs legal_sequences record_replay ws_messages}; do
    mkdir -p "$WORK/corpus/$target" "$WORK/logs"
    RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --debug-assertions "$target" \
        "$WORK/corpus/$target" "corpus/$target" -- \
        -dict=dict/magnate.dict -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        > "$WORK/logs/$target.log" 2>&1
    echo "$target: exit $? $(grep -E '^stat::number_of_executed_units|^Done' "$WORK/logs/$target.log" | tr '\n' ' ')"
done
