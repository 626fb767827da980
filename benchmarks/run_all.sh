#!/usr/bin/env bash
# Every figure of README.md and docs/, measured in one sitting; each output lands in docs/bench/
# with its header (commit, date, machine, versions, threads: benchmarks/_record.py).
#
#   bash benchmarks/run_all.sh            # about 13 minutes on the 2-core development machine
#   bash benchmarks/run_all.sh --quick    # the same commands on small settings (~4 min): a
#                                         # smoke check, written to a temp dir, not docs/bench/
#
# Run it on a quiet machine (no other jobs: timings on a shared machine are noisy), from a clean
# checkout of the commit the figures are for; then copy the numbers into README.md and docs/.
# Every step is bounded (load.py has its own time limit) and servers are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
if [[ "${1:-}" == "--quick" ]]; then
  quick=1
  export BENCH_RECORD_DIR="${BENCH_RECORD_DIR:-$(mktemp -d)}"
  echo "quick run: records go to $BENCH_RECORD_DIR" >&2
fi

step() {  # step NAME COMMAND...: time one benchmark, stop at the first failure
  local name=$1 t0=$SECONDS
  shift
  echo "== $name: $*" >&2
  "$@"
  echo "== $name: $((SECONDS - t0)) s" >&2
}

started=$SECONDS
if ((quick)); then
  step core python benchmarks/bench_core.py
  step explore python benchmarks/bench_explore.py --repeats 1
  step export python benchmarks/bench_export.py --repeat 1
  step netlab python benchmarks/bench_netlab.py --quick
  step tables python benchmarks/netlab_tables.py --only references,stuck
  step latency python benchmarks/_record.py bench_latency -- \
    python benchmarks/bench_latency.py --moves 3
  step load-latency python benchmarks/load.py --latency --moves 3
  step load-modes python benchmarks/load.py --mode all --sessions 2 --changes 3 --rounds 1 \
    --pause 0 --record load_modes
else
  step core python benchmarks/bench_core.py                      # ~15 s
  step explore python benchmarks/bench_explore.py                # ~20 s
  step export python benchmarks/bench_export.py                  # ~10 s
  step netlab python benchmarks/bench_netlab.py                  # ~1 min
  step tables python benchmarks/netlab_tables.py --appendix      # ~3.5 min (exact numbers)
  step latency python benchmarks/_record.py bench_latency -- \
    python benchmarks/bench_latency.py --moves 8   # ~1 min (8: momentum reaches its last stop)
  step load-latency python benchmarks/load.py --latency --moves 15   # ~2 min
  step load-modes python benchmarks/load.py --mode all --sessions 1,10,20 --changes 6 \
    --rounds 1 --pause 1 --record load_modes                     # ~3 min
  step load-lecture python benchmarks/load.py --mode lecture --think 3 --sessions 40 \
    --changes 6 --rounds 1 --record load_lecture                 # ~1 min
fi
echo "all benchmarks: $((SECONDS - started)) s; records in ${BENCH_RECORD_DIR:-docs/bench}/" >&2
