"""Copy the bpmn-js viewer (npm package bpmn-js) into portal/static/bpmn-js/.

The product serves the BPMN viewer as its own static files (no CDN) and does not need Node at run time, so that
`make run` and a production image show the diagrams on a machine without npm: the copied files are committed.
After changing the pinned version in package.json / package-lock.json run

    npm ci --no-audit --no-fund && python scripts/vendor_bpmn_js.py

and commit portal/static/bpmn-js/. tests/portal/test_flow_diagram.py checks that the copy matches the pinned version.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "bpmn-js"
TARGET = ROOT / "portal" / "static" / "bpmn-js"
FILES = [  # the navigated viewer (zoom and pan, no modelling) and the two stylesheets it needs
    "dist/bpmn-navigated-viewer.production.min.js",
    "dist/assets/diagram-js.css",
    "dist/assets/bpmn-js.css",
]


def main() -> int:
    if not (PACKAGE / "package.json").exists():
        print("bpmn-js is missing: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    shutil.rmtree(TARGET, ignore_errors=True)
    for name in FILES:
        target = TARGET / Path(name).relative_to("dist")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE / name, target)
    shutil.copy2(PACKAGE / "LICENSE", TARGET / "LICENSE")
    (TARGET / "VERSION").write_text(version + "\n", encoding="utf-8")
    print(f"bpmn-js {version} copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
