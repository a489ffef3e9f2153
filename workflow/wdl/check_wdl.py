#!/usr/bin/env python3
"""Syntax-checks WDL 1.0 files with the WDL grammar of Debian's python3-wdlparse (ANTLR4).

Usage: check_wdl.py FILE.wdl... Exit 1 naming file, line and column on a syntax error, 2 when
the parser is not installed. It checks syntax only (no type checking: miniwdl or womtool do that).
"""
import sys

try:
    from antlr4 import CommonTokenStream, FileStream
    from antlr4.error.ErrorListener import ErrorListener
    from wdlparse.v1.WdlV1Lexer import WdlV1Lexer
    from wdlparse.v1.WdlV1Parser import WdlV1Parser
except ImportError as e:
    print(f"WDL parser not installed (Debian package python3-wdlparse): {e}", file=sys.stderr)
    sys.exit(2)


class Collect(ErrorListener):
    def __init__(self, name):
        self.name, self.errors = name, []

    def syntaxError(self, recognizer, symbol, line, column, msg, e):
        self.errors.append(f"{self.name}:{line}:{column}: {msg}")


def check(path):
    errs = Collect(path)
    lexer = WdlV1Lexer(FileStream(path, encoding="utf-8"))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errs)
    parser = WdlV1Parser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errs)
    parser.document()
    return errs.errors


def main():
    bad = []
    for path in sys.argv[1:]:
        bad += check(path)
    for e in bad:
        print(e, file=sys.stderr)
    if bad:
        sys.exit(1)
    print(f"WDL 1.0 syntax ok: {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
