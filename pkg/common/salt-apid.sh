#!/bin/sh
# salt-apid with the Node.js runtime it ships with (/usr/bin/salt-apid links here).
# No NODE_OPTIONS or other node settings from the environment change how it runs.
here=$(dirname "$(readlink -f "$0")")
unset NODE_OPTIONS NODE_PATH
exec "$here/node" "$here/../dist/bundle/salt-apid.mjs" "$@"
