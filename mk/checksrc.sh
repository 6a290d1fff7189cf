#!/usr/bin/env bash
# Refuses unbounded or error-blind C library calls in the project's sources
# (as curl's checksrc does): use str_copy, str_format, str_to_int instead.
set -euo pipefail
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|gets|atoi|atol|strtok|sscanf)[[:space:]]*\('
hits=$(grep -rnE "$banned" --include='*.c' --include='*.h' common dsp storage gateway web tests || true)
if [[ -n $hits ]]; then
  echo "checksrc: banned calls (see STYLE: bounded helpers in common/str.h):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "checksrc: no banned calls"
