"""Settings read from the environment (12-factor), with embedded defaults for one laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything a process of jiesu needs to know about its deployment.

    The defaults give the embedded all-in-one set-up: SQLite under ``var/``, in-process
    actions, in-process locks, the dispatch backend mounted in the same process.
    """

    root: Path = ROOT
    host: str = "127.0.0.1"
    port: int = 8080
    # Conversation service: tracker store, outbox.
    db_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'jiesu.db'}"
    # Dispatch backend's own database (the system of record for tickets).
    dispatch_db_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'dispatch.db'}"
    # Redis for cross-process conversation locks and live events; None = in-process.
    redis_url: str | None = None
    # rasa-sdk action server, e.g. http://127.0.0.1:5055/webhook; None = in-process executor.
    action_endpoint: str | None = None
    # Dispatch backend: its own aiohttp app; `jiesu run` serves it in the same process on dispatch_port.
    dispatch_port: int = 8090
    dispatch_url: str = "http://127.0.0.1:8090"
    # Shared secret the bot presents to the dispatch backend.
    service_token: str = "jiesu-dev-service-token"
    session_expiry_minutes: int = 60
    # How often the bot asks the dispatch backend for resolved tickets to call back (回访); 0 = never.
    callback_interval_seconds: float = 30.0
    model_path: Path = ROOT / "var" / "models" / "nlu.pkl"
    gazetteer_dir: Path = ROOT / "var" / "gazetteer"
    domain_path: Path = ROOT / "domain.yml"
    config_path: Path = ROOT / "config.yml"
    rules_path: Path = ROOT / "nlu_data" / "rules.yml"
    nlu_data_dir: Path = ROOT / "nlu_data"
    routing_rules_dir: Path = ROOT / "routing_rules"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        base = cls()
        values: dict[str, object] = {
            "host": _env("JIESU_HOST", base.host),
            "port": int(_env("JIESU_PORT", str(base.port)) or base.port),
            "db_url": _env("JIESU_DB_URL", base.db_url),
            "dispatch_db_url": _env("JIESU_DISPATCH_DB_URL", base.dispatch_db_url),
            "redis_url": _env("JIESU_REDIS_URL"),
            "action_endpoint": _env("JIESU_ACTION_ENDPOINT"),
            "dispatch_port": int(_env("JIESU_DISPATCH_PORT", str(base.dispatch_port)) or base.dispatch_port),
            "dispatch_url": _env("JIESU_DISPATCH_URL", base.dispatch_url),
            "service_token": _env("JIESU_SERVICE_TOKEN", base.service_token),
            "session_expiry_minutes": int(
                _env("JIESU_SESSION_EXPIRY_MINUTES", str(base.session_expiry_minutes)) or 60
            ),
            "callback_interval_seconds": float(
                _env("JIESU_CALLBACK_INTERVAL_SECONDS", str(base.callback_interval_seconds)) or 30
            ),
            "model_path": Path(_env("JIESU_MODEL_PATH", str(base.model_path)) or base.model_path),
            "gazetteer_dir": Path(_env("JIESU_GAZETTEER_DIR", str(base.gazetteer_dir)) or base.gazetteer_dir),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
