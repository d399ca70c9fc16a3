#!/usr/bin/env bash
# The package as users get it: build the sdist and the wheel, check them (twine; the sdist holds exactly
# the files git tracks, the wheel only the package), install the wheel -- not the checkout -- into a fresh
# venv, and run the installed command from a folder outside the checkout: --version (plain and --verbose),
# --help of every command, extract + fit + predict + report on a tiny generated movie, the package data
# (the annotation page's files) in place.
#
#   bash .ci/smoke_wheel.sh      # a few minutes; the first run downloads the [cpu] dependencies (pip caches them)
#
# PYTHON: the interpreter that builds and checks (needs `build` and `twine`: the [docs] extra), default
# .venv/bin/python; VENV_PYTHON: the interpreter of the fresh venv, default python3 (another Python to test
# the wheel on); WEIGHTS: the small pretrained models, default ../shared/weights beside the checkout
# (without them the features are weight-free).
#
# Hermetic: everything is written to one temporary folder, removed at exit -- the sdist is built from a
# copy of the checkout (setuptools writes its egg-info beside the sources), and the package's model cache,
# Keras's and matplotlib's folders and $XDG_CACHE_HOME point there -- and nothing of the user's is read (the
# SKLEARN_EMOTION_* variables unset), except pip's download cache, kept so that the dependencies are
# downloaded once.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
VENV_PYTHON="${VENV_PYTHON:-python3}"
WEIGHTS="${WEIGHTS:-$REPO/../shared/weights}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sklearn-emotion-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
unset PYTHONPATH  # the installed package, never the checkout
export TF_CPP_MIN_LOG_LEVEL=2
PIP_CACHE_DIR="${PIP_CACHE_DIR:-$("$PYTHON" -m pip cache dir 2>/dev/null || true)}"  # before XDG_CACHE_HOME moves
if [[ -n "$PIP_CACHE_DIR" ]]; then export PIP_CACHE_DIR; else unset PIP_CACHE_DIR; fi
while read -r name; do unset "$name"; done < <(compgen -e | grep '^SKLEARN_EMOTION_' || true)
mkdir -p "$WORK/home/matplotlib"
export SKLEARN_EMOTION_HOME="$WORK/home/sklearn-emotion" KERAS_HOME="$WORK/home/keras" \
       MPLCONFIGDIR="$WORK/home/matplotlib" XDG_CACHE_HOME="$WORK/home/cache"

step() { printf '\n== [%3ds] %s\n' "$SECONDS" "$*"; }
fail() { echo "smoke_wheel: FAILED: $*" >&2; exit 1; }

step "build the sdist, then the wheel from it (python -m build)"
# A copy of the checkout as it is (untracked and generated files included: the check below must see
# them), without git's and the venv's folders and earlier build outputs (a stale egg-info's SOURCES.txt
# would add its files to the sdist).  Exit status 1: a file changed while read (e.g. a docs build running).
mkdir "$WORK/src"
tar -C "$REPO" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    -cf "$WORK/src.tar" . || [[ $? -eq 1 ]] || fail "copying the checkout"
tar -C "$WORK/src" -xf "$WORK/src.tar" && rm "$WORK/src.tar"
if ! "$PYTHON" -m build --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1; then
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
# egg-info, no bytecode).  The sdist: exactly the files git tracks (MANIFEST.in decides), plus the metadata
# setuptools adds, so that generated files (docs/_build, docs/commands, docs/api/...) and untracked ones
# never ship, and no tracked file is forgotten.
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
    members = {m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile() and "/" in m.name}
try:
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, text=True,
                            check=True).stdout.split("\0")
except (OSError, subprocess.CalledProcessError) as error:
    sys.exit(f"{repo} is not a git checkout ({error}): the sdist cannot be compared with the tracked files")
tracked = {t for t in listed if t and (repo / t).is_file()}  # a deletion not yet committed is gone
added = {"PKG-INFO", "setup.cfg"}  # by setuptools, with the egg-info folder
problems += [f"in the sdist, not tracked by git (generated or untracked): {m}" for m in sorted(members - tracked)
             if m not in added and not m.split("/", 1)[0].endswith(".egg-info")]
problems += [f"tracked by git, missing from the sdist (MANIFEST.in): {t}" for t in sorted(tracked - members)]
print(f"wheel: {len(names)} files; sdist: {len(members)} files: the {len(tracked)} tracked ones and "
      f"{len(members - tracked)} of setuptools' metadata")
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
"$PY" -c "from sklearn_emotion.cli import build_parser, command_paths
print('\n'.join(' '.join(path) for path in command_paths(build_parser())))" >commands.txt
[[ -s commands.txt ]] || fail "no command found by command_paths"
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
