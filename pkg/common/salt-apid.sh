#!/bin/sh
# salt-apid with the Node.js runtime it ships with (/usr/bin/salt-apid links here).
# No NODE_OPTIONS or other node settings from the environment change how it runs.
here=$(dirname "$(readlink -f "$0")")
unset NODE_OPTIONS NODE_PATH
# Two malloc arenas, not glibc's eight per core: with more, the memory of freed allocations made by
# Node's helper threads stays spread over many arenas and the resident size creeps up for hours
# (docs/decisions/0029-malloc-arenas.md). An operator's own value is kept.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# V8's young generation at 16 MB a half, not the 32 MB it grows to on a large machine: a large answer's
# short-lived values would keep 64 MB committed that nothing live uses (decision 0035).
exec "$here/node" --max-semi-space-size=16 "$here/../dist/bundle/salt-apid.mjs" "$@"
