"""``hub demo``: the README's first command, run as a user runs it (a subprocess from a clean folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.hub_cli_harness import Hub


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}  # the demo needs no settings
    return subprocess.run([sys.executable, "-m", "hub", "demo", *args], cwd=cwd, env=env,  # noqa: S603 - our CLI
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_the_demo_plays_the_three_flows_and_reports_them_in_both_languages(tmp_path: Path) -> None:
    result = run_demo(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    zh, _, en = report.partition("== hub demo report")
    mos = re.search(r"生产订单 (MO\d+(?:, MO\d+)*) 已创建", zh)
    assert mos is not None, report
    assert f"production orders {mos.group(1)} created" in en
    assert re.search(r"钉钉 DingTalk：\d+ 条工作通知", zh)
    assert "DingTalk: " in en
    receivable = re.search(r"应收单 (AR\d+) 已创建", zh)
    assert receivable is not None, report
    assert f"receivable {receivable.group(1)} created" in en
    assert "项目 PRJ-HT-2026-0042" in zh
    assert "project PRJ-HT-2026-0042 created" in en
    assert "收到 webhook project.created PRJ-HT-2026-0042（签名有效）" in zh
    assert "received webhook project.created PRJ-HT-2026-0042 (signature valid)" in en
    ticket = re.search(r"→ 工单 (tkt_\w+)", zh)
    assert ticket is not None, report
    assert f"-> ticket {ticket.group(1)}" in en
    assert "内存邮箱代替" in zh
    assert "in-memory mailbox" in en
    assert "结果：全部预期结果均已达成。" in zh
    assert "Result: every expected outcome happened." in en
    workspace = re.search(r"Workspace (\S+) \(SQLite\)", en)
    assert workspace is not None
    assert not Path(workspace.group(1)).exists()


@pytest.mark.slow
def test_a_workspace_folder_is_kept_with_its_secrets_only_in_dot_env(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--workspace", "ws", "--lang", "en")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "== hub demo report" in result.stdout
    assert "演示报告" not in result.stdout
    workspace = tmp_path / "ws"
    assert (workspace / "hub.db").is_file()
    secrets = dict(line.split("=", 1) for line in (workspace / ".env").read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
    config = (workspace / "hub.yaml").read_text(encoding="utf-8")
    for name in ("KD_PASSWORD", "WC_CORP_SECRET", "DT_APP_SECRET", "MAIL_PASSWORD", "PROJECT_WEBHOOK_SECRET"):
        assert f"${{{name}}}" in config
        assert secrets[name] not in config

    again = run_demo(tmp_path, "--workspace", "ws")
    assert again.returncode == 2
    assert "is not empty" in again.stderr


def test_an_unknown_report_language_is_refused(hub: Hub) -> None:
    result = hub("demo", "--lang", "fr")

    assert result.exit_code == 2
    assert "'fr' is not one of zh, en, both" in result.output
