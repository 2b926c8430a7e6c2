"""Accounts and sessions: scrypt password hashes, random server-side session tokens (stored hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from dispatch import units as unit_tree
from dispatch.schema import sessions, units, users
from dispatch.tickets import utc
from jiesu.database import Database

ROLES = {"handler": "承办人", "supervisor": "督办人员", "agent": "话务员", "admin": "管理员"}
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    given = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(given, expected)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    unit_id: int | None
    unit_name: str | None
    display_name: str


class AccountError(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_USER = select(users, units.c.name.label("unit_name")).outerjoin(units, units.c.id == users.c.unit_id)


def _user(row: Any) -> User:
    return User(row.id, row.username, row.role, row.unit_id, row.unit_name, row.display_name or row.username)


async def create_user(
    database: Database,
    username: str,
    password: str,
    role: str,
    unit: str | None = None,
    display_name: str | None = None,
    *,
    exist_ok: bool = False,
) -> bool:
    """Creates the account (True), or leaves an existing one alone when ``exist_ok`` (False)."""
    if role not in ROLES:
        raise AccountError(f"角色应为 {'、'.join(ROLES)} 之一")
    if role == "handler" and not unit:
        raise AccountError("承办人账号需要指定单位")
    if len(password) < 8:
        raise AccountError("密码至少8位")
    password_hash = hash_password(password)

    def insert(conn: Connection) -> bool:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
            if exist_ok:
                return False
            raise AccountError(f"用户 {username} 已存在")
        unit_id = unit_tree.find_or_create(conn, unit) if unit else None
        conn.execute(
            users.insert().values(
                username=username,
                password_hash=password_hash,
                role=role,
                unit_id=unit_id,
                display_name=display_name or username,
            )
        )
        return True

    return await database.write(insert)


async def login(database: Database, username: str, password: str, now: datetime, hours: int) -> str | None:
    """A new session token for the right password, else None."""
    row = await database.read(
        lambda conn: conn.execute(select(users).where(users.c.username == username)).first()
    )
    if row is None:
        verify_password(password, hash_password("timing-equaliser"))
        return None
    if not verify_password(password, row.password_hash):
        return None
    token = secrets.token_urlsafe(32)
    await database.write(
        lambda conn: conn.execute(
            sessions.insert().values(
                token_hash=_token_hash(token), user_id=row.id, expires_at=now + timedelta(hours=hours)
            )
        )
    )
    return token


async def session_user(database: Database, token: str, now: datetime) -> User | None:
    def load(conn: Connection) -> Any:
        return conn.execute(
            _USER.join(sessions, sessions.c.user_id == users.c.id)
            .add_columns(sessions.c.expires_at)
            .where(sessions.c.token_hash == _token_hash(token))
        ).first()

    row = await database.read(load)
    if row is None or utc(row.expires_at) <= now:
        return None
    return _user(row)


async def logout(database: Database, token: str) -> None:
    await database.write(
        lambda conn: conn.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))
    )
