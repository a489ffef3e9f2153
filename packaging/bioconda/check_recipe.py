#!/usr/bin/env python3
"""Checks packaging/bioconda/meta.yaml: renders its Jinja the way conda-build would (the
{% set %} variables; compiler(), pin_subpackage() as placeholders), parses the YAML and checks
the fields bioconda's linter insists on. Usage: check_recipe.py META_YAML [EXPECTED_VERSION]."""
import re
import sys

import yaml


def render(text):
    env = dict(re.findall(r'{%-?\s*set\s+(\w+)\s*=\s*"([^"]*)"\s*-?%}', text))
    text = re.sub(r"{%.*?%}\n?", "", text)

    def expr(m):
        e = m.group(1).strip()
        if e in env:
            return env[e]
        if re.fullmatch(r"(compiler|pin_subpackage|pin_compatible|cdt)\(.*\)", e):
            return f"placeholder-{e.split('(')[0]}"
        raise SystemExit(f"meta.yaml: unknown Jinja expression {{{{ {e} }}}}")

    return re.sub(r"{{(.*?)}}", expr, text), env


def main():
    path = sys.argv[1]
    doc, env = render(open(path, encoding="utf-8").read())
    meta = yaml.load(doc, Loader=yaml.BaseLoader)  # every scalar a string, as in the file
    problems = []
    for key in ("package", "source", "build", "requirements", "test", "about"):
        if key not in meta:
            problems.append(f"no {key} section")
    if len(sys.argv) > 2 and meta["package"]["version"] != sys.argv[2]:
        problems.append(f"package.version {meta['package']['version']} != {sys.argv[2]}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(meta["source"].get("sha256", ""))):
        problems.append("source.sha256 is not 64 hex digits")
    if "placeholder-compiler" not in meta["requirements"]["build"]:
        problems.append("requirements.build lacks {{ compiler('go-nocgo') }}")
    if "compiler('go-nocgo')" not in open(path, encoding="utf-8").read():
        problems.append("the Go compiler is not compiler('go-nocgo')")
    if not meta["build"].get("run_exports"):
        problems.append("no build.run_exports")
    if not any("--version" in c for c in meta["test"]["commands"]):
        problems.append("no `virnucpro --version` test")
    lf = meta["about"].get("license_file") or []
    if "library_licenses/" not in lf:
        problems.append("about.license_file does not bundle library_licenses/")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"bioconda recipe ok: {meta['package']['name']} {meta['package']['version']}")


if __name__ == "__main__":
    main()
