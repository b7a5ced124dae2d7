"""Write THIRD_PARTY_NOTICES.md: everything the shipped image carries that is not ours.

    .venv/bin/python ops/third_party_notices.py            # rewrite the file
    .venv/bin/python ops/third_party_notices.py --check    # exit 1 if it is out of date

Three sources, each read from where it is declared, so the notices cannot drift from what ships
(tests/ops/test_third_party_notices.py runs --check):
- the front-end libraries vendored under static/vendor/ (one folder each, with its VERSION and
  LICENSE file), and htmx, which django-htmx bundles;
- the Python packages of the image: the closure of the project's runtime dependencies in
  uv.lock (no dependency groups: the Dockerfile runs `uv sync --no-default-groups`), with the
  licence each declares in its installed metadata;
- the Debian packages the Dockerfile installs (the font the released records are printed in).
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "THIRD_PARTY_NOTICES.md"

# Debian packages of the image and their licences (Debian's copyright files).
DEBIAN = {
    "fonts-dejavu-core": (
        "DejaVu fonts: Bitstream Vera Fonts licence (a permissive font licence) for the "
        "glyphs derived from Bitstream Vera, the Arev fonts licence for those from Arev, and "
        "the public domain for the DejaVu changes; full text in "
        "/usr/share/doc/fonts-dejavu-core/copyright inside the image."
    ),
}


def runtime_packages() -> list[str]:
    """The project's runtime dependency closure from uv.lock, for Linux on CPython 3.12."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    env = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
    env |= {"python_version": "3.12", "python_full_version": "3.12.0"}
    env |= {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    env |= {"platform_machine": "x86_64"}

    def applies(dep: dict) -> bool:
        marker = dep.get("marker")
        return marker is None or Marker(marker).evaluate(env | {"extra": ""})

    seen: set[str] = set()
    todo = [d for d in packages["ipnb-notes"]["dependencies"] if applies(d)]
    while todo:
        dep = todo.pop()
        name = dep["name"]
        package = packages[name]
        for extra in dep.get("extra", []):
            todo += [
                d
                for d in package.get("optional-dependencies", {}).get(extra, [])
                if applies(d)
            ]
        if name in seen:
            continue
        seen.add(name)
        todo += [d for d in package.get("dependencies", []) if applies(d)]
    return sorted(seen)


def licence_of(name: str) -> tuple[str, str]:
    """(version, licence) from the installed distribution's metadata."""
    meta = metadata.metadata(name)
    licence = meta.get("License-Expression") or ""
    if not licence:
        classifiers = [
            c.split(" :: ")[-1]
            for c in meta.get_all("Classifier") or []
            if c.startswith("License ::")
        ]
        licence = "; ".join(classifiers) or (meta.get("License") or "").strip()
    licence = " ".join(licence.split())
    if len(licence) > 120:  # a whole licence text pasted into the field
        licence = licence[:117] + "..."
    return meta["Version"], licence or "see the package's own files"


def vendored() -> list[tuple[str, str, str]]:
    """(folder, version line, licence file) of each library under static/vendor/."""
    found = []
    for folder in sorted(
        p for p in (ROOT / "static" / "vendor").iterdir() if p.is_dir()
    ):
        version = (folder / "VERSION").read_text().strip()
        licence = next(folder.glob("LICENSE*"))
        found.append((folder.name, version, licence.relative_to(ROOT).as_posix()))
    return found


def render() -> str:
    lines = [
        "# Third-party notices",
        "",
        "ipnb-notes is free software under the GNU Affero General Public License, version 3 or",
        "later (LICENSE). The image and the pages it serves also carry the works below, each",
        "under its own licence. This file is written by `ops/third_party_notices.py`; a test",
        "fails when it no longer matches what ships.",
        "",
        "## Served to the browser",
        "",
        "| Library | Version | Licence |",
        "|---|---|---|",
    ]
    for name, version, licence in vendored():
        lines.append(f"| `static/vendor/{name}/` | {version} | `{licence}` |")
    django_htmx, _ = licence_of("django-htmx")
    bundled = Path(metadata.distribution("django-htmx").locate_file("django_htmx"))
    script = (bundled / "static" / "django_htmx" / "htmx-2.min.js").read_text()
    htmx = re.search(r'version:"([^"]+)"', script).group(1)
    lines.append(
        f"| htmx (bundled by django-htmx {django_htmx}, served by `{{% htmx_script %}}`) "
        f"| {htmx} | BSD Zero Clause (0BSD), htmx.org |"
    )
    lines += [
        "",
        "## Python packages in the image",
        "",
        "The runtime closure of `uv.lock` (`uv sync --locked --no-default-groups`).",
        "",
        "| Package | Version | Licence (as the package declares it) |",
        "|---|---|---|",
    ]
    for name in runtime_packages():
        version, licence = licence_of(name)
        lines.append(f"| {name} | {version} | {licence.replace('|', '/')} |")
    lines += [
        "",
        "## Debian packages in the image",
        "",
        "| Package | Licence |",
        "|---|---|",
    ]
    dockerfile = (ROOT / "Dockerfile").read_text()
    installed = re.findall(
        r"apt-get install[^&]*?--no-install-recommends ([^&\\]+)", dockerfile
    )
    for name in sorted(" ".join(installed).split()):
        lines.append(f"| {name} | {DEBIAN[name]} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(
                "THIRD_PARTY_NOTICES.md is out of date: run ops/third_party_notices.py"
            )
            sys.exit(1)
        sys.exit(0)
    OUT.write_text(text)
