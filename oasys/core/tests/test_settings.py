"""The production profile must pass `check --deploy` without warnings; dev must not need it."""

import os
import subprocess
import sys

import pytest

# two keys for the field key (a rotation in progress), one for the hashes
PHI_KEYS = {"OASYS_FIELD_KEYS": "zFC6b0r3xqV4eYdV0lq3o0HzXxPZtS5R0YRpG0cQy7s=,"
                                "1dSx4LZ4p2h3fPk1vA6y7q8r9s0t1u2v3w4x5y6z7A8=",
            "OASYS_HASH_KEYS": "H6c2Qm0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8="}


def _run(env_extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "oasys.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy(tmp_path):
    result = _run(
        {
            "OASYS_ENV": "production",
            "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-0123456789",
            "ALLOWED_HOSTS": "billing.example.org",
            "OASYS_VAR_DIR": str(tmp_path),
            **PHI_KEYS,
            "OASYS_AUDIT_KEYS": "k2026:" + "a" * 40,
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_phi_keys_or_with_a_bad_one(tmp_path):
    base = {"OASYS_ENV": "production", "OASYS_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-0123456789"}
    result = _run({**base, "OASYS_FIELD_KEYS": "", "OASYS_HASH_KEYS": ""})
    assert result.returncode != 0
    assert "OASYS_FIELD_KEYS must be set" in result.stderr
    result = _run({**base, **PHI_KEYS, "OASYS_HASH_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "OASYS_HASH_KEYS: every key must be 32 random bytes" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run({"OASYS_ENV": "production", "SECRET_KEY": "", "OASYS_VAR_DIR": str(tmp_path),
                   **PHI_KEYS})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


_PRODUCTION = {"OASYS_ENV": "production", "ALLOWED_HOSTS": "billing.example.org",
               "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-0123456789",
               **PHI_KEYS}


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    result = _run({**_PRODUCTION, "OASYS_AUDIT_KEYS": "", "OASYS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "OASYS_AUDIT_KEYS must be set" in result.stderr


@pytest.mark.parametrize("keys, error", [
    ("k1", "each key is `id:secret`"),
    ("k1:short", "needs at least 32 characters"),
    ("k1:" + "a" * 40 + ",k1:" + "b" * 40, "listed twice"),
    ("bad id!:" + "a" * 40, "each key is `id:secret`"),
])
def test_a_malformed_audit_key_list_is_refused_without_showing_the_secret(tmp_path, keys,
                                                                           error):
    result = _run({**_PRODUCTION, "OASYS_AUDIT_KEYS": keys, "OASYS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert error in result.stderr
    secret = keys.partition(":")[2].split(",")[0]
    assert not secret or secret not in result.stderr


def test_development_profile_is_flagged_by_check_deploy(tmp_path):
    result = _run({"OASYS_ENV": "development", "OASYS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0  # the insecure dev key and DEBUG are reported


def test_debug_pages_are_off_unless_asked_for(tmp_path):
    """Django's debug page shows the request and local variables (PHI): the development
    profile, which the demo runs, has it off too."""
    code = "import django, os; django.setup(); from django.conf import settings; " \
           "print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env.update({"DJANGO_SETTINGS_MODULE": "oasys.settings", "OASYS_VAR_DIR": str(tmp_path)})
    for profile, extra, expected in (("development", {}, "False"),
                                     ("development", {"DEBUG": "1"}, "True")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, env={**env, "OASYS_ENV": profile, **extra})
        assert out.stdout.strip().splitlines()[-1] == expected, out.stderr
