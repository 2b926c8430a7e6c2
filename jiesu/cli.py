"""The ``jiesu`` command. Each part of the system registers its own subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence

# Modules that expose ``register(subparsers) -> None``; each adds its own subcommands.
_COMMAND_MODULES = (
    "bot.cli",
    "bot.nlu.cli",
    "routing.cli",
    "dispatch.cli",
)


def _quiet_libraries() -> None:
    """jieba imports the deprecated pkg_resources and logs its dictionary loading at INFO."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.getLogger("jieba").setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiesu", description="12345 接诉即办 intake bot")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that part is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        result = handler(args)
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
