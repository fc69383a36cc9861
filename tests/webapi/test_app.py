"""The application factory: configuration order and log masking."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from webapi.http.app import create_app


def test_config_comes_from_defaults_then_environment_then_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSETMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert create_app().config["DATABASE_URL"].endswith("env.sqlite")
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'o.sqlite'}"}).config["DATABASE_URL"].endswith("o.sqlite")
    monkeypatch.delenv("ASSETMATCH_DATABASE_URL")
    assert create_app().config["DATABASE_URL"].endswith("instance/assetmatch.sqlite")


def test_no_log_line_of_any_logger_carries_debtors_personal_data(tmp_path: Path) -> None:
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after the app: masking must not depend on it
    logger = logging.getLogger("data.importer.some_child")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("debtor %s called from %s", "110105198603150027", {"mobile": "13812345678"})
        try:
            raise ValueError("card 6222021234567890128 declined")
        except ValueError:
            logger.exception("import failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for secret in ("110105198603150027", "13812345678", "6222021234567890128"):
        assert secret not in text
    assert "110***********0027" in text
