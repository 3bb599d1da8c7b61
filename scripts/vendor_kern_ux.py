"""Copy the KERN UX design system (npm package @kern-ux/native) into portal/static/kern/.

The product serves KERN's CSS and fonts as its own static files (no CDN) and does not need Node at run time:
the copied files are committed. After changing the pinned version in package.json / package-lock.json run

    npm ci --no-audit --no-fund && python scripts/vendor_kern_ux.py

and commit portal/static/kern/. tests/portal/test_design_system.py checks that the copy matches the pinned version.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "@kern-ux" / "native"
TARGET = ROOT / "portal" / "static" / "kern"


def main() -> int:
    if not (PACKAGE / "package.json").exists():
        print("@kern-ux/native is missing: run `npm ci` first", file=sys.stderr)
        return 1
    version = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    shutil.rmtree(TARGET, ignore_errors=True)
    (TARGET / "fonts" / "fira-sans").mkdir(parents=True)
    dist = PACKAGE / "dist"
    shutil.copy2(dist / "kern.min.css", TARGET / "kern.min.css")
    fonts_css = (dist / "fonts" / "fira-sans.css").read_text(encoding="utf-8")
    shutil.copy2(dist / "fonts" / "fira-sans.css", TARGET / "fonts" / "fira-sans.css")
    # only the font files the stylesheet refers to (10 of the package's 32 Fira Sans cuts)
    for name in sorted(set(re.findall(r'url\("\./fira-sans/([^"]+)"\)', fonts_css))):
        shutil.copy2(dist / "fonts" / "fira-sans" / name, TARGET / "fonts" / "fira-sans" / name)
    shutil.copy2(PACKAGE / "LICENSE.md", TARGET / "LICENSE.md")
    (TARGET / "VERSION").write_text(version + "\n", encoding="utf-8")
    print(f"KERN UX {version} copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
