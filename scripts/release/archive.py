#!/usr/bin/env python3
"""Packs the shiplint binary of a wheel as a release archive.

    archive.py WHEEL TARGET OUT_DIR

The wheel built by maturin (`bindings = "bin"`) holds the executable under
`<name>-<version>.data/scripts/`; the release ships that same binary, so
each target is compiled once. Writes `shiplint-v<VERSION>-<TARGET>.tar.gz`
(`.zip` for Windows) with `shiplint` (`shiplint.exe`), the README and the
licence files at the top, and prints its path.
"""

import io
import os
import sys
import tarfile
import time
import zipfile


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    wheel, target, out_dir = sys.argv[1:]
    # Wheel names are `{name}-{version}-{python}-{abi}-{platform}.whl`.
    version = os.path.basename(wheel).split("-")[1]
    windows = "windows" in target
    exe = "shiplint.exe" if windows else "shiplint"
    with zipfile.ZipFile(wheel) as whl:
        names = [
            n for n in whl.namelist() if n.endswith(f".data/scripts/{exe}")
        ]
        if len(names) != 1:
            print(f"{wheel}: expected one {exe}, found {names}", file=sys.stderr)
            return 1
        binary = whl.read(names[0])
    extras = [f for f in ("README.md", "LICENSE-MIT", "LICENSE-APACHE") if os.path.isfile(f)]
    # Reproducible: fixed times and owners.
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    base = f"shiplint-v{version}-{target}"
    os.makedirs(out_dir, exist_ok=True)
    if windows:
        path = os.path.join(out_dir, base + ".zip")
        stamp = time.gmtime(max(mtime, 315532800))[:6]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo(exe, stamp), binary)
            for name in extras:
                with open(name, "rb") as f:
                    z.writestr(zipfile.ZipInfo(name, stamp), f.read())
    else:
        path = os.path.join(out_dir, base + ".tar.gz")
        with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            entries = [(exe, binary, 0o755)]
            for name in extras:
                with open(name, "rb") as f:
                    entries.append((name, f.read(), 0o644))
            for name, data, mode in entries:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = mode
                info.mtime = mtime
                tar.addfile(info, io.BytesIO(data))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
