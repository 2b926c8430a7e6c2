"""The app's state, each piece behind a typed ``web.AppKey``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from dispatch.config import DispatchConfig
from jiesu.database import Database
from jiesu.settings import Settings

Clock = Callable[[], datetime]

settings_key = web.AppKey("settings", Settings)
config_key = web.AppKey("dispatch_config", DispatchConfig)
database_key = web.AppKey("database", Database)
clock_key: web.AppKey[Clock] = web.AppKey("clock")
services_key: web.AppKey[list[dict[str, Any]]] = web.AppKey("open311_services")
