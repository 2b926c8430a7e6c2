"""The tree of handling units: find a unit by name, or create it with its kind guessed from the name."""

from __future__ import annotations

import re

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from dispatch.schema import units

KIND_LABELS = {
    "street": "街道/乡镇",
    "district_department": "区级部门",
    "city_department": "市级部门",
    "enterprise": "公共服务企业",
    "supervision": "督查室",
}
SUPERVISION_OFFICE = "12345督查室"


def guess_kind(name: str) -> str:
    if name.endswith(("公司", "集团")) or "有限" in name:
        return "enterprise"
    if "督查" in name or "督办" in name:
        return "supervision"
    if name.endswith(("街道办事处", "街道", "乡人民政府", "镇人民政府", "地区办事处", "乡", "镇")):
        return "street"
    local = re.sub(r"^[\u4e00-\u9fff]{2,3}市(?!政)", "", name)  # "北京市朝阳区…" → "朝阳区…"
    if re.match(r"^[\u4e00-\u9fff]{1,4}[区县]", local):
        return "district_department"
    return "city_department"


def find_or_create(conn: Connection, name: str) -> int:
    """The id of the unit called ``name``; created (kind guessed) if unknown, safe under races."""
    found = conn.execute(select(units.c.id).where(units.c.name == name)).scalar()
    if found is not None:
        return int(found)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # ON CONFLICT DO NOTHING: a concurrent request creating the same unit is not an error.
    conn.execute(dialect.insert(units).values(name=name, kind=guess_kind(name)).on_conflict_do_nothing())
    return int(conn.execute(select(units.c.id).where(units.c.name == name)).scalar_one())


def find(conn: Connection, name: str) -> int | None:
    found = conn.execute(select(units.c.id).where(units.c.name == name)).scalar()
    return None if found is None else int(found)
