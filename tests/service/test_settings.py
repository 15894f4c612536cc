"""kernel.settings: every OCRGATE_* variable typed, defaulted once, range-checked, with one-line errors;
the ASCII-only number parsers every door uses."""

from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

from kernel.errors import ExitCode, OcrInputError, SettingsError
from kernel.settings import DEFAULT_ENGINE, Settings, data_dir, finite_number, load_settings, whole_number
from service.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
#: variables that only the test suite reads (the README and the docs mention them)
TEST_ONLY = {"OCRGATE_TEST_POSTGRES", "OCRGATE_SHARED", "OCRGATE_UPDATE_SCREENSHOTS"}


def test_defaults_without_any_variable():
    settings = load_settings({})
    assert settings == Settings()
    assert settings.default_engine == DEFAULT_ENGINE == "tesseract"
    assert (settings.shadow_workers, settings.shadow_queue, settings.port) == (2, 256, 8080)
    assert settings.auto_rollback is True and settings.secure_cookies is False
    assert settings.lab_notebook_path == data_dir() / "lab-notebook.jsonl"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("ocrgate.db")


def test_every_variable_is_read():
    environ = {"OCRGATE_DATABASE_URL": "postgresql://u@h/db", "OCRGATE_LAB_NOTEBOOK": "/x/lab.jsonl",
               "OCRGATE_SETS_FILE": "/x/sets.json", "OCRGATE_EVAL_CACHE": "/x/cache",
               "OCRGATE_SEARCH_INDEX": "/x/search.sqlite", "OCRGATE_MAX_IMAGE_BYTES": "1000",
               "OCRGATE_MAX_IMAGE_PIXELS": "2000", "OCRGATE_MAX_PDF_BYTES": "3000", "OCRGATE_MAX_PDF_PAGES": "4",
               "OCRGATE_SECRET_KEY": "s" * 32, "OCRGATE_SECURE_COOKIES": "yes", "OCRGATE_DEFAULT_ENGINE": "inhouse",
               "OCRGATE_SHADOW_WORKERS": "8", "OCRGATE_SHADOW_QUEUE": "16", "OCRGATE_SERVE_TIMEOUT": "2.5",
               "OCRGATE_SHADOW_TIMEOUT": "30", "OCRGATE_GATE_REFRESH_SECONDS": "0.5", "OCRGATE_AUTO_ROLLBACK": "0",
               "OCRGATE_PORT": "9000", "OCRGATE_TOKEN": "ocg_x", "OCRGATE_SESSION_IDLE_MINUTES": "15",
               "OCRGATE_SESSION_MAX_HOURS": "2", "OCRGATE_MAX_IMAGE_FRAMES": "7", "OCRGATE_MAX_TOTAL_PIXELS": "5000",
               "OCRGATE_MAX_PDF_PIXELS": "6000", "OCRGATE_CLIENT_TIMEOUT": "9", "OCRGATE_RETENTION_DAYS": "3",
               "OCRGATE_GUARD_MIN_PAGES": "12", "OCRGATE_GUARD_MIN_PAIRS": "34",
               "OCRGATE_GUARD_MIN_LABELS": "56", "OCRGATE_GUARD_MARGIN": "0.01", "OCRGATE_GUARD_MAX_ERROR_GAP": "0.05",
               "OCRGATE_GUARD_MAX_LATENCY_RATIO": "2.5", "OCRGATE_BROKER_URL": "amqp://guest:guest@127.0.0.1//",
               "OCRGATE_BROKER_VISIBILITY_TIMEOUT": "40", "OCRGATE_JOB_WORKERS": "3",
               "OCRGATE_JOB_RESEND_SECONDS": "90", "OCRGATE_CALLBACK_HOSTS": "hooks.example, Other.example",
               "OCRGATE_JAIL": "off",
               "OCRGATE_JAIL_MEMORY_MB": "512", "OCRGATE_JAIL_CPU_SECONDS": "9", "OCRGATE_JAIL_FILE_MB": "8",
               "OCRGATE_METRICS_LOOPBACK": "on"}
    assert set(environ) == {Settings.variable(f.name) for f in fields(Settings)}
    settings = load_settings(environ)
    assert settings.database == "postgresql://u@h/db" and settings.lab_notebook_path == Path("/x/lab.jsonl")
    assert settings.sets_file_path == Path("/x/sets.json") and settings.eval_cache_dir == Path("/x/cache")
    assert settings.search_index == "/x/search.sqlite"
    assert (settings.max_image_bytes, settings.max_image_pixels, settings.max_pdf_bytes, settings.max_pdf_pages) \
        == (1000, 2000, 3000, 4)
    assert settings.secure_cookies is True and settings.auto_rollback is False
    assert (settings.default_engine, settings.shadow_workers, settings.shadow_queue) == ("inhouse", 8, 16)
    assert (settings.serve_timeout, settings.shadow_timeout, settings.gate_refresh_seconds) == (2.5, 30.0, 0.5)
    assert (settings.port, settings.token, settings.secret_key) == (9000, "ocg_x", "s" * 32)
    assert (settings.session_idle_minutes, settings.session_max_hours) == (15, 2)
    assert (settings.max_image_frames, settings.max_total_pixels, settings.max_pdf_pixels) == (7, 5000, 6000)
    assert (settings.client_timeout, settings.retention_days) == (9, 3)
    assert (settings.guard_min_pages, settings.guard_min_pairs, settings.guard_min_labels) == (12, 34, 56)
    assert (settings.guard_max_error_gap, settings.guard_max_latency_ratio, settings.guard_margin) == (0.05, 2.5, 0.01)
    assert (settings.broker_url, settings.broker_visibility_timeout, settings.job_workers) \
        == ("amqp://guest:guest@127.0.0.1//", 40.0, 3)
    assert settings.callback_hosts == ("hooks.example", "other.example") and settings.jail is False
    assert (settings.jail_memory_mb, settings.jail_cpu_seconds, settings.jail_file_mb) == (512, 9, 8)
    assert settings.metrics_loopback is True and settings.job_resend_seconds == 90.0


def test_an_empty_variable_counts_as_unset():
    assert load_settings({"OCRGATE_SHADOW_WORKERS": "", "OCRGATE_DATABASE_URL": ""}) == Settings()


@pytest.mark.parametrize("variable, value, message", [
    ("OCRGATE_SHADOW_WORKERS", "two", "OCRGATE_SHADOW_WORKERS must be a whole number from 1 to 64, got 'two'"),
    ("OCRGATE_SHADOW_WORKERS", "\u00b2", "OCRGATE_SHADOW_WORKERS must be a whole number from 1 to 64, got '\u00b2'"),
    ("OCRGATE_SHADOW_WORKERS", "0", "from 1 to 64, got '0'"),
    ("OCRGATE_SHADOW_WORKERS", "-3", "from 1 to 64, got '-3'"),
    ("OCRGATE_SHADOW_QUEUE", "1e3", "OCRGATE_SHADOW_QUEUE must be a whole number"),
    ("OCRGATE_MAX_IMAGE_BYTES", "9" * 5000, "OCRGATE_MAX_IMAGE_BYTES must be a whole number"),
    ("OCRGATE_SERVE_TIMEOUT", "inf", "OCRGATE_SERVE_TIMEOUT must be a number from 0.1 to 86400, got 'inf'"),
    ("OCRGATE_SHADOW_TIMEOUT", "nan", "OCRGATE_SHADOW_TIMEOUT must be a number"),
    ("OCRGATE_GATE_REFRESH_SECONDS", "\u0662", "OCRGATE_GATE_REFRESH_SECONDS must be a number"),  # Arabic-Indic 2
    ("OCRGATE_AUTO_ROLLBACK", "maybe", "OCRGATE_AUTO_ROLLBACK must be 1 or 0"),
    ("OCRGATE_SECURE_COOKIES", "2", "OCRGATE_SECURE_COOKIES must be 1 or 0"),
    ("OCRGATE_PORT", "65536", "OCRGATE_PORT must be a whole number from 1 to 65535"),
    ("OCRGATE_DATABASE_URL", "var/ocrgate.db", "OCRGATE_DATABASE_URL must be a database URL"),
    ("OCRGATE_DEFAULT_ENGINE", "tess ract", "OCRGATE_DEFAULT_ENGINE must be an engine name"),
    ("OCRGATE_BROKER_URL", "http://broker", "OCRGATE_BROKER_URL must be a Redis or RabbitMQ URL"),
    ("OCRGATE_CALLBACK_HOSTS", "a.example,/x", "OCRGATE_CALLBACK_HOSTS must be host names"),
    ("OCRGATE_JAIL_MEMORY_MB", "10", "OCRGATE_JAIL_MEMORY_MB must be a whole number from 64"),
])
def test_a_bad_value_is_a_one_line_error_naming_the_variable(variable, value, message):
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    text = str(caught.value)
    assert message in text and "\n" not in text and len(text) < 200
    assert caught.value.exit_code is ExitCode.BAD_INPUT and isinstance(caught.value, OcrInputError)


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(SettingsError, match="^OCRGATE_SHADOW_WORKERS .*; OCRGATE_PORT .*'x'$"):
        load_settings({"OCRGATE_SHADOW_WORKERS": "x", "OCRGATE_PORT": "x"})


def test_whitespace_around_numbers_is_allowed_in_the_environment():
    assert load_settings({"OCRGATE_SHADOW_WORKERS": " 4\n"}).shadow_workers == 4


@pytest.mark.parametrize("raw", ["\u00b2", "\u0665", "+5", "-5", " 5", "5 ", "5.0", "", "0x10", "1_000", "9" * 400])
def test_whole_numbers_are_ascii_digits_only(raw):
    with pytest.raises(OcrInputError, match="limit must be a whole number from 1 to 500"):
        whole_number(raw, "limit", 1, 500)


def test_whole_numbers_in_range():
    assert whole_number("007", "n", 1, 10) == 7 and whole_number("500", "n", 1, 500) == 500
    with pytest.raises(OcrInputError):
        whole_number("501", "n", 1, 500)


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan", "1e308", float("inf"), float("nan"), "\u0665", "101", True])
def test_finite_numbers(raw):
    with pytest.raises(OcrInputError, match="percent must be a number from 0 to 100"):
        finite_number(raw, "percent", 0, 100)


def test_finite_numbers_in_range():
    assert finite_number("12.5", "p", 0, 100) == 12.5 and finite_number(100, "p", 0, 100) == 100.0


def test_the_service_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OCRGATE_SHADOW_WORKERS", "5")
    monkeypatch.setenv("OCRGATE_AUTO_ROLLBACK", "off")
    monkeypatch.setenv("OCRGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    settings = ServiceSettings()
    assert settings.shadow_workers == 5 and settings.auto_rollback is False
    assert settings.database_url == f"sqlite:///{tmp_path / 'x.db'}"
    assert ServiceSettings(shadow_workers=3).shadow_workers == 3
    monkeypatch.setenv("OCRGATE_SHADOW_WORKERS", "two")
    with pytest.raises(SettingsError, match="OCRGATE_SHADOW_WORKERS"):
        ServiceSettings()


def test_image_and_pdf_limits_come_from_the_settings(monkeypatch):
    from imaging import ImageLimits
    from pdf.intake import PdfLimits

    assert ImageLimits.from_env() == ImageLimits() and PdfLimits.from_env() == PdfLimits()
    monkeypatch.setenv("OCRGATE_MAX_IMAGE_PIXELS", "1234")
    monkeypatch.setenv("OCRGATE_MAX_PDF_PAGES", "7")
    assert ImageLimits.from_env().max_pixels == 1234 and PdfLimits.from_env().max_pages == 7
    monkeypatch.setenv("OCRGATE_MAX_IMAGE_BYTES", "64MB")
    with pytest.raises(SettingsError, match="OCRGATE_MAX_IMAGE_BYTES must be a whole number"):
        ImageLimits.from_env()


def _mentioned_variables() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    found: set[str] = set()
    for name in listed:
        path = REPO / name
        if name.startswith("tests/"):  # the suite's own variables (OCRGATE_TEST_*) are the suite's business
            continue
        if path.suffix in {".py", ".md", ".sh", ".html", ".toml"} and path.is_file():
            found |= set(re.findall(r"\bOCRGATE_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace")))
    return found


def test_every_variable_the_project_mentions_is_a_setting():
    """A new OCRGATE_* variable goes into kernel.settings (typed, defaulted, checked), not os.environ.get."""
    known = {Settings.variable(f.name) for f in fields(Settings)} | TEST_ONLY
    assert _mentioned_variables() - known == set()


@pytest.mark.parametrize("value", ["\u00b2", "0", "501", "5.0", "abc"])
def test_api_whole_number_parameters_are_a_400_not_a_500(served_app, value):
    from urllib import error, request

    _, base, token = served_app
    call = request.Request(f"{base}/v1/pairs?limit={request.quote(value)}",
                           headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(error.HTTPError) as caught:
        request.urlopen(call, timeout=30)
    assert caught.value.code == 400
    assert "limit must be a whole number from 1 to 500" in caught.value.read().decode()


def test_the_upload_limit_follows_the_image_limit(monkeypatch, tmp_path):
    from service.app import MULTIPART_OVERHEAD, create_app

    monkeypatch.setenv("OCRGATE_MAX_IMAGE_BYTES", "2048")
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'x.db'}", start_workers=False))
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 2048 + MULTIPART_OVERHEAD
    finally:
        app.extensions["ocrgate"].close()
