"""The deployment files stay consistent with the code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_names_every_service_and_is_accepted() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert set(compose["services"]) == {"bot", "actions", "dispatch", "postgres", "redis"}
    assert compose["services"]["actions"]["command"][:4] == ["python", "-m", "rasa_sdk", "--actions"]
    assert compose["services"]["bot"]["environment"]["JIESU_ACTION_ENDPOINT"].endswith("/webhook")
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        probe = subprocess.run([*cmd, "version"], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            continue
        result = subprocess.run([*cmd, "config", "-q"], cwd=ROOT, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return


def test_ci_runs_make_test_with_the_real_services() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "JIESU_TEST_POSTGRES_URL" in ci and "JIESU_TEST_REDIS_URL" in ci
