#!/usr/bin/env bash
# The package as users get it: build the sdist and the wheel, check them (twine, their contents), install
# the wheel -- not the checkout -- into a fresh venv, and run the installed command from a folder outside
# the checkout: --version (plain and --verbose), --help of every command, extract + fit + predict + report
# on a tiny generated movie, the package data (the annotation page's files) in place.
#
#   bash .ci/smoke_wheel.sh      # a few minutes; the first run downloads the [cpu] dependencies (pip caches them)
#
# PYTHON: the interpreter that builds and checks (needs `build` and `twine`: the [docs] extra), default
# .venv/bin/python; VENV_PYTHON: the interpreter of the fresh venv, default python3 (another Python to test
# the wheel on); WEIGHTS: the small pretrained models, default ../shared/weights beside the checkout
# (without them the features are weight-free).  Everything is written to one temporary folder, removed at exit.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
VENV_PYTHON="${VENV_PYTHON:-python3}"
WEIGHTS="${WEIGHTS:-$REPO/../shared/weights}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sklearn-emotion-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
unset PYTHONPATH  # the installed package, never the checkout
export TF_CPP_MIN_LOG_LEVEL=2

step() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*"; }
fail() { echo "smoke_wheel: FAILED: $*" >&2; exit 1; }

step "build the sdist, then the wheel from it (python -m build)"
if ! "$PYTHON" -m build --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    fail "python -m build"
fi
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
WHEEL="$(ls "$WORK"/dist/*.whl)"
ls -l "$WORK/dist"

step "twine check --strict"
"$PYTHON" -m twine check --strict "$SDIST" "$WHEEL"

step "the distributions' contents"
# The wheel: the package, its data and its metadata (with the licence), nothing else (no tests, no
# egg-info, no bytecode).  The sdist: everything that builds, tests and documents it from source.
"$PYTHON" - "$SDIST" "$WHEEL" "$REPO" <<'EOF'
import subprocess, sys, tarfile, zipfile
from pathlib import Path

sdist, wheel, repo = sys.argv[1], sys.argv[2], Path(sys.argv[3])
problems = []
names = zipfile.ZipFile(wheel).namelist()
dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
stray = [n for n in names if not (n.startswith("sklearn_emotion/") or n.startswith(dist_info + "/"))
         or "__pycache__" in n or n.endswith((".pyc", ".pyo")) or ".egg-info" in n]
problems += [f"stray file in the wheel: {n}" for n in stray]
for needed in ["sklearn_emotion/__init__.py", "sklearn_emotion/annotation/static/annotate.html",
               "sklearn_emotion/annotation/static/annotate.js", "sklearn_emotion/annotation/static/annotate.css",
               f"{dist_info}/licenses/LICENSE", f"{dist_info}/entry_points.txt"]:
    if needed not in names:
        problems.append(f"missing from the wheel: {needed}")

with tarfile.open(sdist) as tar:
    members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
problems += [f"generated file in the sdist: {m}" for m in members
             if "__pycache__" in m or m.endswith((".pyc", ".pyo")) or m.startswith(("docs/_build/", "dist/", "build/"))]
for needed in ["LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff", "pyproject.toml", "tests/conftest.py"]:
    if needed not in members:
        problems.append(f"missing from the sdist: {needed}")
try:  # every tracked file of the package, tests, docs and examples (where this is a git checkout)
    tracked = subprocess.run(["git", "-C", str(repo), "ls-files", "sklearn_emotion", "tests", "docs", "examples"],
                             capture_output=True, text=True, check=True).stdout.split()
except (OSError, subprocess.CalledProcessError):
    tracked = []
problems += [f"tracked file missing from the sdist: {t}" for t in tracked if t not in members]
print(f"wheel: {len(names)} files; sdist: {len(members)} entries ({len(tracked)} tracked files checked)")
if problems:
    sys.exit("\n".join(problems))
EOF

step "a fresh venv with the wheel and the [cpu] extra ($VENV_PYTHON)"
"$VENV_PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
CLI="$WORK/venv/bin/sklearn-emotion"
"$PY" -m pip install --quiet --upgrade pip
# --no-compile: TensorFlow's thousands of modules are not byte-compiled up front, only those the run imports
# (measured here: 3 min 40 s in all instead of 4 min 9 s, most of it in the install and the removal)
"$PY" -m pip install --quiet --no-compile "$WHEEL[cpu]"

mkdir "$WORK/run"
cd "$WORK/run"  # outside the checkout: nothing can be imported from it
location="$("$PY" -c 'import sklearn_emotion; print(sklearn_emotion.__file__)')"
[[ "$location" == "$WORK/venv/"* ]] || fail "sklearn_emotion imported from $location, not from the fresh venv"
echo "sklearn_emotion imported from $location"

step "sklearn-emotion --version"
version="$("$CLI" --version)"
expected="sklearn-emotion $(basename "$WHEEL" | cut -d- -f2)"
[[ "$version" == "$expected" ]] || fail "--version printed '$version', expected '$expected' (the wheel's version)"
echo "$version"

step "sklearn-emotion --version --verbose"
"$CLI" --version --verbose | tee versions.txt
grep -q "^sklearn-emotion: " versions.txt && grep -q "^device: Keras networks run on " versions.txt \
    || fail "--version --verbose did not print the package and the device"

step "--help of every command"
"$PY" - >commands.txt <<'EOF'
import argparse
from sklearn_emotion.cli import build_parser

def commands(parser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield path + (name,)
                yield from commands(sub, path + (name,))

for command in commands(build_parser()):
    print(" ".join(command))
EOF
"$CLI" --help >/dev/null
while read -r command; do
    # shellcheck disable=SC2086  # a command path is words ("annotations merge")
    "$CLI" $command --help >/dev/null || fail "sklearn-emotion $command --help"
    echo "sklearn-emotion $command --help: ok"
done <commands.txt

step "a tiny generated corpus (sklearn_emotion.datasets.make_movie_files)"
"$PY" -c "from sklearn_emotion.datasets import make_movie_files
make_movie_files('movies', n_movies=2, min_seconds=12, max_seconds=15, random_state=0)"
weights=()
if [[ -d "$WEIGHTS" ]]; then
    weights=(--weights-dir "$WEIGHTS")
    echo "pretrained models from $WEIGHTS"
else
    echo "no $WEIGHTS: weight-free features"
fi

step "extract + fit --model baseline + predict + report"
"$CLI" extract movies -o features "${weights[@]}" --no-progress
"$CLI" fit features movies -o model.skops --model baseline --no-progress
"$CLI" predict model.skops movies/movie_00.mp4 -o predictions "${weights[@]}" --no-progress
"$CLI" report model.skops movies/movie_01.mp4 -o report "${weights[@]}" --no-progress
for file in features/movie_00.npz features/movie_01.npz predictions/movie_00.csv predictions/movie_00.png \
            predictions/predictions.json report/movie_01.html; do
    [[ -s "$file" ]] || fail "$file was not written"
done
[[ "$(wc -l <predictions/movie_00.csv)" -ge 13 ]] || fail "predictions/movie_00.csv has fewer than 12 seconds"

step "package data: the report's inline assets, the annotation page's files"
"$PY" - <<'EOF'
from importlib import resources
from pathlib import Path

from sklearn_emotion.annotation.server import STATIC_FILES
from sklearn_emotion.report._assets import SCRIPT

page = Path("report/movie_01.html").read_text(encoding="utf-8")
assert SCRIPT in page and 'id="report-data"' in page, "the report page lacks its inline script or data"
static = resources.files("sklearn_emotion.annotation").joinpath("static")
for name in ["annotate.html", *STATIC_FILES]:
    assert static.joinpath(name).read_bytes(), f"annotation page file {name} missing or empty"
print("report/movie_01.html carries its script and data; annotation static files:",
      ", ".join(["annotate.html", *STATIC_FILES]))
EOF

step "smoke test of $(basename "$WHEEL") passed"
