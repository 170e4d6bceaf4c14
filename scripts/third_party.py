#!/usr/bin/env python3
"""Runs a published crate's own test suite with every one of its functions under #[line_profile].

Takes the crate's published source from cargo's registry cache (fetching it first with cargo),
copies it to a scratch directory, puts `#[lablink_prof::line_profile]` on every function with a
body (tests included; `const fn`s left alone), adds this repository's `lablink-prof` as a
dependency, and runs `cargo test` three times: unannotated, annotated with recording off, and
annotated with `LABLINK_PROFILING=1` writing a JSON profile. Prints the test counts of each run
and a summary of the profile. Exits non-zero if any run fails.

Usage: python3 scripts/third_party.py [CRATE VERSION]   (default: strsim 0.11.1)
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
FN_START = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+\w")


def fetch(crate: str, version: str) -> pathlib.Path:
    """The crate's unpacked source in cargo's registry cache."""
    home = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))
    found = sorted(home.glob(f"registry/src/*/{crate}-{version}"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory() as tmp:
        probe = pathlib.Path(tmp)
        (probe / "src").mkdir()
        (probe / "src" / "lib.rs").write_text("")
        (probe / "Cargo.toml").write_text(
            f'[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{crate} = "={version}"\n[workspace]\n')
        subprocess.run(["cargo", "fetch", "-q"], cwd=probe, check=True)
    return sorted(home.glob(f"registry/src/*/{crate}-{version}"))[0]


def annotate(path: pathlib.Path) -> int:
    """Puts the attribute on every function with a body in one file; returns how many."""
    lines = path.read_text().split("\n")
    out, count = [], 0
    for i, line in enumerate(lines):
        m = FN_START.match(line)
        if m and "const fn" not in line:
            rest = "\n".join(lines[i:i + 40])
            brace, semi = rest.find("{"), rest.find(";")
            if brace != -1 and (semi == -1 or brace < semi):
                out.append(f"{m.group(1)}#[lablink_prof::line_profile]")
                count += 1
        out.append(line)
    path.write_text("\n".join(out))
    return count


def cargo_test(crate_dir: pathlib.Path, env: dict) -> str:
    run = subprocess.run(["cargo", "test", "-q"], cwd=crate_dir, env={**os.environ, **env},
                         capture_output=True, text=True)
    results = re.findall(r"test result: (\w+)\. (\d+) passed; (\d+) failed", run.stdout)
    passed = sum(int(p) for _, p, _ in results)
    failed = sum(int(f) for _, _, f in results)
    print(f"    {passed} passed, {failed} failed (exit {run.returncode})")
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:])
        sys.exit(1)
    return run.stderr


def main() -> None:
    crate, version = (sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else ("strsim", "0.11.1")
    source = fetch(crate, version)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / f"{crate}-{version}"
        shutil.copytree(source, work)
        manifest = work / "Cargo.toml"
        print(f"{crate} {version}, unannotated:")
        manifest.write_text(manifest.read_text() + "\n[workspace]\n")
        env = {"CARGO_TARGET_DIR": str(pathlib.Path(tmp) / "target")}
        cargo_test(work, env)

        count = sum(annotate(p) for p in sorted(work.rglob("*.rs"))
                    if "target" not in p.parts and p.name != "build.rs")
        manifest.write_text(manifest.read_text() + (
            f'\n[dependencies.lablink-prof]\npath = "{REPO}"\n'
            f'\n[dev-dependencies.lablink-prof]\npath = "{REPO}"\n'))
        print(f"annotated {count} functions; recording off:")
        cargo_test(work, env)
        print("recording on (LABLINK_PROFILING=1):")
        profiles = pathlib.Path(tmp) / "profiles"
        profiles.mkdir()
        # Each test binary (and doc test) writes its own profile.
        cargo_test(work, {**env, "LABLINK_PROFILING": "1",
                          "LABLINK_PROFILE_OUT": str(profiles / "profile-{pid}.json")})
        functions = [f for p in sorted(profiles.glob("*.json"))
                     for f in json.loads(p.read_text())["functions"]]
        names = {f["name"] for f in functions}
        hits = sum(line["hits"] for f in functions for line in f["lines"])
        adds_up = all(sum(l["time_ns"] for l in f["lines"]) == f["total_ns"] for f in functions)
        print(f"    {len(list(profiles.glob('*.json')))} profiles: {len(names)} distinct functions "
              f"recorded, {hits} line hits, every function's lines add up to its total: {adds_up}")
        if not functions or not adds_up:
            sys.exit(1)


if __name__ == "__main__":
    main()
