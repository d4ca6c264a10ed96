#!/usr/bin/env bash
# format.sh — the C sources follow the committed .clang-format.
#
#   scripts/format.sh           reformats every tracked .c and .h in place
#   scripts/format.sh --check   changes nothing; lists the files that differ
#                               and exits 1 when there is one (CI runs this)
#
# Installs clang-format first when it is missing (scripts/deps.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CHECK=0
case "${1:-}" in
--check) CHECK=1 ;;
"") ;;
-h | --help)
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "format.sh: unknown argument: $1 (try --help)" >&2
    exit 2
    ;;
esac

bash "$ROOT/scripts/deps.sh" >/dev/null
mapfile -t files < <(git ls-files '*.c' '*.h')
if ((CHECK == 0)); then
    clang-format -i "${files[@]}"
    echo "format: ${#files[@]} files formatted"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if ((${#bad[@]})); then
    echo "format: ${#bad[@]} of ${#files[@]} files do not follow .clang-format:" >&2
    printf 'format:   %s\n' "${bad[@]}" >&2
    echo "format: run scripts/format.sh to fix them (in a commit of its own)" >&2
    exit 1
fi
echo "format: all ${#files[@]} files follow .clang-format"
