"""The WML-A client and its CLI verbs against a real server on loopback."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner, Result
from wmla_loopback import API, PASSWORD, TOKEN, USER, serving

from hpotui.backends.profiles import config_dir, load_credential
from hpotui.backends.wmla.errors import AuthenticationError, TlsVerificationError
from hpotui.cli.main import _register_verbs, cli

_register_verbs()


@pytest.fixture(autouse=True)
def _config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("HPOTUI_PASSWORD", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)


def _hpotui(*args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=True)


def _login(url: str, *extra: str, password: str = PASSWORD) -> Result:
    return _hpotui(
        "login", "lab", "--url", url, "--user", USER, "--auth", "token",
        "--password-stdin", *extra, stdin=password + "\n",
    )


def test_login_attach_logs_download_over_loopback(tmp_path: Path) -> None:
    with serving() as port:
        url = f"http://127.0.0.1:{port}{API}"
        result = _login(url)
        assert result.exit_code == 0, result.output
        assert f"logged on to {url} as alice (token)" in result.output
        assert load_credential("lab")["token"] == TOKEN  # type: ignore[index]
        creds = config_dir() / "credentials.json"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        assert PASSWORD not in creds.read_text()

        attached = _hpotui("--profile", "lab", "attach", "alice-hpo-1")
        assert attached.exit_code == 0, attached.output
        lines = attached.output.splitlines()
        assert lines[0] == "alice-hpo-1: FINISHED"
        assert sum("started" in line for line in lines) == 4
        assert lines[-1].startswith("best so far: trial")

        logs = _hpotui("--profile", "lab", "logs", "alice-hpo-1", "0", "-n", "2")
        assert logs.exit_code == 0
        assert logs.output.splitlines()[-1].startswith("Train - batches : 2")

        dest = tmp_path / "results"
        got = _hpotui("--profile", "lab", "download", "alice-hpo-1", "1",
                      "--dest", str(dest))
        assert got.exit_code == 0, got.output
        unpacked = dest / "alice-hpo-1-trial-1" / "val_dict_list.json"
        assert json.loads(unpacked.read_text()) == [{"steps": 1, "loss": 0.5}]


def test_wrong_password_is_named_and_nothing_saved() -> None:
    with serving() as port:
        result = _login(f"http://127.0.0.1:{port}{API}", password="nope")
    assert isinstance(result.exception, AuthenticationError)
    assert "rejected user alice" in result.exception.message
    assert not (config_dir() / "profiles.json").exists()


def test_tls_default_fails_ca_bundle_works_insecure_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """--insecure warns exactly once per command, not from both the CLI and the
    client's logger."""
    from hpotui.backends.wmla import http as wmla_http

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serving(ssl_keyfile=str(key_file), ssl_certfile=str(cert_file)) as port:
        url = f"https://127.0.0.1:{port}{API}"
        refused = _login(url)
        assert isinstance(refused.exception, TlsVerificationError)
        assert "--ca-bundle" in refused.exception.message
        assert "--insecure" in refused.exception.message

        trusted = _login(url, "--ca-bundle", str(ca_file))
        assert trusted.exit_code == 0, trusted.output

        def warnings(output: str) -> int:
            logged = [r for r in caplog.records if "TLS verification is off" in
                      r.getMessage()]  # fmt: skip
            caplog.clear()
            return output.count("TLS verification is off") + len(logged)

        monkeypatch.setattr(wmla_http, "_warned_insecure", set())  # a new process
        caplog.clear()
        insecure = _login(url, "--insecure")
        assert insecure.exit_code == 0, insecure.output
        assert "warning: TLS verification is off for lab" in insecure.output
        assert warnings(insecure.output) == 1

        monkeypatch.setattr(wmla_http, "_warned_insecure", set())
        listed = _hpotui("--profile", "lab", "list")
        assert listed.exit_code == 0, listed.output
        assert warnings(listed.output) == 1
