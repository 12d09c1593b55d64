#!/usr/bin/env bash
# Checks contrib/prometheus with promtool (Debian: the prometheus package): the rule file, its unit
# tests, and the example configuration. The example's token file (/etc/prometheus/salt-apid.token)
# need not exist here: promtool checks the configuration on a copy pointing at a temporary one.
set -euo pipefail
cd "$(dirname "$0")"
promtool check rules alerts.yml
promtool test rules alerts.test.yml
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp alerts.yml "$scratch/"
: >"$scratch/salt-apid.token"
sed "s#/etc/prometheus/salt-apid.token#$scratch/salt-apid.token#" prometheus.yml.example >"$scratch/prometheus.yml"
promtool check config "$scratch/prometheus.yml"
