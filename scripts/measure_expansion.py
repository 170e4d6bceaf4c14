#!/usr/bin/env python3
"""Measures what #[line_profile] costs at compile time.

Builds a scratch crate twice, once with the attribute on its functions and once without, and
prints the wall time of `cargo build` (debug) for each, after its dependencies are built:
  - one function of 2,000 statements,
  - one function nested 100 levels deep,
  - 200 small functions (5 statements each).
Usage: python3 scripts/measure_expansion.py  (from the repository root)
"""
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent


def source(annotated: bool, parts=("long", "deep", "small")) -> str:
    attr = "#[lablink_prof::line_profile]\n" if annotated else ""
    out = []
    body = ["    let x0: u64 = n;"]
    body += [f"    let x{i} = x{i - 1}.wrapping_mul(3).wrapping_add({i});" for i in range(1, 2000)]
    if "long" in parts:
        out.append(attr + "pub fn long(n: u64) -> u64 {\n" + "\n".join(body) + "\n    x1999\n}\n")
    opening = "".join(f"{'    ' * (d + 1)}if n > {d} {{\n" for d in range(100))
    closing = "".join(f"{'    ' * (d + 1)}}}\n" for d in reversed(range(100)))
    deep = f"{'    ' * 101}total += n;\n"
    if "deep" in parts:
        out.append(attr + "pub fn deep(n: u64) -> u64 {\n    let mut total = 0;\n" + opening
                   + deep + closing + "    total\n}\n")
    for k in range(200 if "small" in parts else 0):
        out.append(attr + f"pub fn small{k}(a: u64) -> u64 {{\n    let b = a + {k};\n"
                   "    let c = b * 2;\n    if c > 10 { return c; }\n    let d = c ^ b;\n    d\n}\n")
    return "\n".join(out)


def build_time(crate: pathlib.Path, annotated: bool, parts=("long", "deep", "small")) -> float:
    (crate / "src" / "lib.rs").write_text(source(annotated, parts))
    start = time.monotonic()
    subprocess.run(["cargo", "build", "-q"], cwd=crate, check=True)
    return time.monotonic() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        crate = pathlib.Path(tmp) / "scale"
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(
            '[package]\nname = "scale"\nversion = "0.1.0"\nedition = "2024"\n\n'
            f'[dependencies]\nlablink-prof = {{ path = "{REPO}" }}\n\n[workspace]\n')
        env_target = os.environ.get("CARGO_TARGET_DIR")
        (crate / "src" / "lib.rs").write_text("")
        subprocess.run(["cargo", "build", "-q"], cwd=crate, check=True)  # dependencies
        for part, what in [("long", "one function of 2,000 statements"),
                           ("deep", "one function nested 100 levels deep"),
                           ("small", "200 functions of 5 statements")]:
            plain = build_time(crate, False, (part,))
            profiled = build_time(crate, True, (part,))
            print(f"{what:40} plain {plain:6.2f} s, annotated {profiled:6.2f} s"
                  f" (+{profiled - plain:.2f} s)")
        del env_target
        shutil.rmtree(crate / "target", ignore_errors=True)


if __name__ == "__main__":
    main()
