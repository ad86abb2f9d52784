#!/bin/bash
# Nightly backup, as cron runs it on the first etcd node: a v3 snapshot through one member.
set -euo pipefail

# snapshot save takes exactly one endpoint: the first member's. (Set through the variable:
# etcdctl before 3.5 refuses an --endpoints flag while ETCDCTL_ENDPOINTS is set.)
ETCDCTL_ENDPOINTS=${ETCDCTL_ENDPOINTS%%,*} etcdctl snapshot save "$ETCD_DRILL_BACKUP_DIR/snapshot.db"
