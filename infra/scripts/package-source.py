#!/usr/bin/env python3
"""Package the Cloud Functions source archive: a byte-reproducible zip named by its SHA-256.

Contents: dist/ (compiled by `npm run build`), package.json (with "main" pointing at the compiled entry
module, which is what the Node.js runtime loads), package-lock.json (the buildpack runs `npm ci`), .npmrc
(onnxruntime-node-install=skip) and the web page's static assets when present. Fixed timestamps, sorted
entries and fixed permissions make identical inputs give identical bytes, hence the same object name and no
redeploy. Writes <out-dir>/ledgerx-<sha256>.zip and <out-dir>/source-archive-path (its absolute path).

Python's zipfile is used because the CI images do not all ship a zip binary and `zip` cannot pin times.
"""
import argparse
import hashlib
import io
import json
import os
import sys
import zipfile

ENTRY_MODULE = "dist/functions/index.js"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
OPTIONAL_DIRS = ["functions/web/static"]


def files_under(root: str) -> list[str]:
    found = []
    for base, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(base, name)
            if name.endswith(".map") or name.endswith(".tsbuildinfo"):
                continue  # source maps of the tests and build caches have no place in the runtime image
            found.append(path)
    return found


def runtime_package_json(raw: bytes) -> bytes:
    pkg = json.loads(raw)
    pkg["main"] = ENTRY_MODULE
    # The buildpack must not compile again (no TypeScript in the archive); GOOGLE_NODE_RUN_SCRIPTS="" says
    # the same at build time, this removes the temptation.
    pkg.pop("scripts", None)
    pkg.pop("bin", None)
    return (json.dumps(pkg, indent=2) + "\n").encode()


def add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
    info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, so the permission bits above are honoured
    zf.writestr(info, data, compresslevel=9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=".", help="repository root")
    parser.add_argument("--out-dir", default="build", help="where the zip and its path file go")
    args = parser.parse_args()

    root = os.path.abspath(args.root)
    os.chdir(root)
    if not os.path.isfile(ENTRY_MODULE):
        print(f"{ENTRY_MODULE} is missing: run `npm run build` first", file=sys.stderr)
        return 1

    entries: dict[str, bytes] = {}
    for path in files_under("dist"):
        entries[path] = open(path, "rb").read()
    for extra in OPTIONAL_DIRS:
        if os.path.isdir(extra):
            for path in files_under(extra):
                entries[path] = open(path, "rb").read()
    entries["package.json"] = runtime_package_json(open("package.json", "rb").read())
    entries["package-lock.json"] = open("package-lock.json", "rb").read()
    if os.path.isfile(".npmrc"):
        entries[".npmrc"] = open(".npmrc", "rb").read()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for arcname in sorted(entries):
            add(zf, arcname.replace(os.sep, "/"), entries[arcname])
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()

    os.makedirs(args.out_dir, exist_ok=True)
    out = os.path.abspath(os.path.join(args.out_dir, f"ledgerx-{digest}.zip"))
    with open(out, "wb") as fh:
        fh.write(data)
    with open(os.path.join(args.out_dir, "source-archive-path"), "w") as fh:
        fh.write(out)
    print(f"packaged {len(entries)} files, {len(data)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
