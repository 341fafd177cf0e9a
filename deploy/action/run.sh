#!/usr/bin/env bash
# The flux-review GitHub Action's verdict (action.yml runs this after installing flux-review).
#
# On a pull request: `flux-review review` of the change (base..head of the pull request) writes the same
# Markdown summary the App posts to the job summary, and SARIF of the new findings to a file. On any other
# event: `flux-review check` of the folder. The exit code is flux-review's: 0 nothing at or above fail_on,
# 1 something is, 2 a usage or internal error.
#
# Reads: INPUT_PATH (the checkout, default .), INPUT_CONFIG (a configuration file, default the repository's
# .github/flux-review.yml), INPUT_SARIF (true: write SARIF), INPUT_SARIF_FILE, and GitHub's
# GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT.
set -uo pipefail

path=${INPUT_PATH:-.}
sarif=${INPUT_SARIF:-true}
sarif_file=${INPUT_SARIF_FILE:-flux-review.sarif}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
outputs=${GITHUB_OUTPUT:-/dev/null}
options=()
if [ -n "${INPUT_CONFIG:-}" ]; then
  options+=(--config "$INPUT_CONFIG")
fi

event_field() {
  # A field of the event payload, e.g. `event_field pull_request base sha`.
  python3 - "$GITHUB_EVENT_PATH" "$@" <<'PY'
import json, sys
value = json.load(open(sys.argv[1], encoding="utf-8"))
for key in sys.argv[2:]:
    value = value[key]
print(value)
PY
}

have_commit() {
  git -C "$path" cat-file -e "$1^{commit}" 2>/dev/null
}

case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target)
    if ! base=$(event_field pull_request base sha) || ! head=$(event_field pull_request head sha); then
      echo "flux-review: no pull_request.base.sha and head.sha in $GITHUB_EVENT_PATH" >&2
      exit 2
    fi
    # A shallow checkout may lack them: fetch what is missing (checkout with fetch-depth: 0 avoids it).
    for sha in "$base" "$head"; do
      have_commit "$sha" || git -C "$path" fetch --quiet --no-tags origin "$sha" || true
    done
    echo "flux-review review $path --base $base --head $head"
    flux-review review "$path" --base "$base" --head "$head" --format markdown "${options[@]}" >>"$summary"
    verdict=$?
    if [ "$sarif" = true ] && [ "$verdict" -ne 2 ]; then
      flux-review review "$path" --base "$base" --head "$head" --format sarif "${options[@]}" >"$sarif_file"
    fi
    ;;
  *)
    echo "flux-review check $path"
    report=$(flux-review check "$path" "${options[@]}")
    verdict=$?
    printf '%s\n' "$report"
    {
      echo "### flux-review check"
      echo
      echo '~~~text'
      printf '%s\n' "$report"
      echo '~~~'
    } >>"$summary"
    if [ "$sarif" = true ] && [ "$verdict" -ne 2 ]; then
      flux-review check "$path" --format sarif "${options[@]}" >"$sarif_file"
    fi
    ;;
esac

if [ "$sarif" = true ] && [ -s "$sarif_file" ]; then
  echo "sarif-file=$sarif_file" >>"$outputs"
fi
echo "exit-code=$verdict" >>"$outputs"
exit "$verdict"
