"""Plain checks on what a citizen typed: phone numbers, ticket numbers, whether text names a place."""

from __future__ import annotations

import re
import unicodedata

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)((?:0\d{2,3}-?)?[2-9]\d{6,7})(?!\d)")
TICKET_ID = re.compile(r"(?<!\d)(20\d{2}[01]\d[0-3]\d\d{5})(?!\d)")
# Characters that, in Chinese addresses, mark a place: a district, a street, a compound, a number.
_PLACE_MARKERS = re.compile(
    r"(区|县|市|镇|乡|村|街道|街|路|道|巷|胡同|里|院|小区|社区|花园|家园|公寓|大厦|号楼|号|楼|栋|单元|门|广场|"
    r"公园|医院|学校|站|桥|口|庄|营|园|城|苑|府|湾|中心|市场|商场)"
)

# Appeal types for which a citizen may stay anonymous (a complaint or a request for help needs a
# callback, 回访, so those need a contact number).
ANONYMOUS_ALLOWED = frozenset({"举报", "建议", "表扬", "咨询"})


def to_half_width(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def clean_phone(text: str) -> str | None:
    """A mobile or landline number found in ``text``, digits (and one dash) only; None if there is none."""
    compact = re.sub(r"[\s()（）]", "", to_half_width(text))
    compact = compact.replace("—", "-").replace("－", "-")
    if match := MOBILE.search(compact.replace("-", "")):
        return match.group(1)
    if match := LANDLINE.search(compact):
        return match.group(1)
    return None


def find_ticket_id(text: str) -> str | None:
    match = TICKET_ID.search(to_half_width(text))
    return match.group(1) if match else None


def looks_like_place(text: str) -> bool:
    """Whether free text plausibly names a location (used when no gazetteer match exists)."""
    stripped = text.strip()
    return len(stripped) >= 3 and bool(_PLACE_MARKERS.search(stripped))


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return phone


_FILLER = re.compile(r"[\s\W_]|电话|手机|号码|联系方式|地址|地点|位置|是|在|我的|我家|我|的|了|就|哦|啊")


def residual_text(text: str, entities: list[dict[str, object]]) -> str:
    """What is left of a message once its phone, address, time and ticket spans are removed,
    less filler words: a message with a real residue describes a problem, not just an answer."""
    chars = list(text)
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and entity.get("entity") != "problem_term":
            for i in range(max(0, start), min(len(chars), end)):
                chars[i] = " "
    return _FILLER.sub("", "".join(chars))
