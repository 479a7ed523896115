"""load_workspace: hub.yaml is checked as a whole and every error is reported with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.store.rules import DEFAULT_RULES
from hub.workspace import Workspace, load_workspace
from hub.workspace.config import DEFAULT_RETRY_SCHEDULE

ENV = {"KD_PASSWORD": "kd-pass", "SHOP_WEBHOOK_SECRET": "whsec_abc", "MES_TOKEN": "tok"}

VALID = """\
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: http://127.0.0.1:9101/k3cloud/
      acct_id: "6123456"
      username: integrator
      password: ${KD_PASSWORD}
    entities:
      customer: {mapping: kingdee-customer, schedule: "*/10 * * * *"}
      order:    {mapping: kingdee-sales-order, schedule: "every 2m"}
sources:
  shop:
    verify: {scheme: standard-webhooks, secret: "${SHOP_WEBHOOK_SECRET}"}
    mapping: shop-order
subscriptions:
  mes:
    url: https://mes.example.cn/hooks/hub
    events: [order.confirmed, "production_order.*"]
    headers: {Authorization: "Bearer ${MES_TOKEN}"}
webhooks:
  retry_schedule: [5, 300, 1800]
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Workspace:
    (tmp_path / "hub.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_workspace(tmp_path, env=ENV if env is None else env)


def errors(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return [f"{d['file']}:{d['line']}: {d['path']}: {d['message']}" for d in caught.value.details]


def test_the_design_example_loads(tmp_path: Path) -> None:
    workspace = load(tmp_path, VALID)

    kingdee = workspace.config.connectors["kingdee-main"]
    assert kingdee.type == "kingdee"
    assert kingdee.settings["password"] == "kd-pass"
    assert kingdee.entities["order"].schedule == "every 2m"
    assert workspace.config.sources["shop"].verify.secret.get_secret_value() == "whsec_abc"
    assert workspace.config.subscriptions["mes"].enabled is True
    assert workspace.config.webhooks.retry_schedule == [5, 300, 1800]


def test_workspace_exposes_its_folders(tmp_path: Path) -> None:
    workspace = load(tmp_path, VALID)

    assert workspace.root == tmp_path.resolve()
    assert workspace.config_file == tmp_path.resolve() / "hub.yaml"
    assert workspace.mappings_dir == tmp_path.resolve() / "mappings"
    assert workspace.flows_dir == tmp_path.resolve() / "flows"


def test_missing_hub_yaml_means_every_default(tmp_path: Path) -> None:
    workspace = load_workspace(tmp_path)

    assert workspace.config.connectors == {}
    assert list(workspace.config.webhooks.retry_schedule) == list(DEFAULT_RETRY_SCHEDULE)
    assert dict(workspace.store_rules.entities) == DEFAULT_RULES


def test_empty_hub_yaml_means_every_default(tmp_path: Path) -> None:
    workspace = load(tmp_path, "# nothing yet\n")

    assert workspace.config.sources == {}


def test_sections_left_empty_are_empty(tmp_path: Path) -> None:
    workspace = load(tmp_path, "connectors:\nsources:\nsubscriptions:\nwebhooks:\nidentity:\n")

    assert workspace.config.connectors == {}
    assert list(workspace.config.webhooks.retry_schedule) == list(DEFAULT_RETRY_SCHEDULE)


def test_missing_workspace_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="workspace folder does not exist: create one with `hub init"):
        load_workspace(tmp_path / "nope")


def test_a_file_instead_of_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")

    with pytest.raises(ConfigError, match="workspace folder is not a folder"):
        load_workspace(tmp_path / "file")


def test_unknown_key_names_its_line_and_suggests_the_right_one(tmp_path: Path) -> None:
    text = """\
    connectors:
      kingdee-main:
        type: kingdee
        setings:
          base_url: http://127.0.0.1:9101/
    """

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    assert caught.value.message == (
        "hub.yaml:4: connectors.kingdee-main.setings: unknown key 'setings' (did you mean 'settings'?)"
    )
    assert caught.value.details == [
        {
            "file": "hub.yaml",
            "line": 4,
            "path": "connectors.kingdee-main.setings",
            "message": "unknown key 'setings' (did you mean 'settings'?)",
        }
    ]


def test_every_error_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = """\
    connectors:
      kingdee-main:
        tpye: kingdee
        entities:
          ordr: {mapping: kingdee-sales-order}
    sources:
      shop:
        verify: {scheme: standard-webhok, secret: "${SHOP_WEBHOOK_SECRET}"}
        mapping: shop-order
    webhooks:
      retry_schedule: [5, 0]
    identiy: {}
    """

    assert errors(tmp_path, text) == [
        "hub.yaml:2: connectors.kingdee-main.type: missing required key 'type'",
        "hub.yaml:3: connectors.kingdee-main.tpye: unknown key 'tpye' (did you mean 'type'?)",
        "hub.yaml:5: connectors.kingdee-main.entities.ordr: unknown entity 'ordr' (did you mean 'order'?); "
        "known: customer, order, ticket, contract, project, production_order",
        "hub.yaml:8: sources.shop.verify.scheme: expected 'standard-webhooks', 'hmac-sha256' or 'api-key', "
        "got 'standard-webhok' (did you mean 'standard-webhooks'?)",
        "hub.yaml:11: webhooks.retry_schedule[1]: must be at least 1, got 0",
        "hub.yaml:12: identiy: unknown section 'identiy' (did you mean 'identity'?)",
    ]


def test_error_message_lists_each_error_as_file_line_path_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "connectors:\n  kd: {type: kingdee, extra: 1}\nwebhooks: {retry: []}\n")

    assert caught.value.message.splitlines() == [
        "2 configuration errors:",
        "  hub.yaml:2: connectors.kd.extra: unknown key 'extra'; expected one of: type, settings, entities, system",
        "  hub.yaml:3: webhooks.retry: unknown key 'retry'; expected one of: retry_schedule, concurrency, "
        "rotation_overlap, disable_after",
    ]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert errors(tmp_path, "- connectors\n") == [
        "hub.yaml:1: : hub.yaml must be a mapping of sections: "
        "connectors, sources, subscriptions, webhooks, identity, sync"
    ]


def test_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    (problem,) = errors(tmp_path, "connectors:\n  kd: [1, 2\nsources: {}\n")

    assert problem.startswith("hub.yaml:3: : invalid YAML:")


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    assert errors(tmp_path, "connectors:\n  kd: [kingdee]\n") == [
        "hub.yaml:2: connectors.kd: expected a mapping (key: value), got a list"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connectors:\n  Kingdee Main: {type: kingdee}\n",
            "hub.yaml:2: connectors.Kingdee Main: names use lowercase letters, digits, '-' and '_'",
        ),
        (
            "connectors:\n  kd: {type: kingdee, entities: {customer: {mapping: kc, schedule: hourly}}}\n",
            "hub.yaml:2: connectors.kd.entities.customer.schedule: a schedule is 'every <n><s|m|h|d>'",
        ),
        (
            "subscriptions:\n  mes: {url: 'ftp://mes', events: [order.created]}\n",
            "hub.yaml:2: subscriptions.mes.url: expected an http:// or https:// URL",
        ),
        (
            "subscriptions:\n  mes: {url: 'https://u:p@mes', events: [order.created]}\n",
            "hub.yaml:2: subscriptions.mes.url: do not put credentials in the URL",
        ),
        (
            "subscriptions:\n  mes:\n    url: https://mes\n    events:\n"
            "      - order.created\n      - order.confimed\n",
            "hub.yaml:6: subscriptions.mes.events[1]: unknown event type 'order.confimed' "
            "(did you mean 'order.confirmed'?)",
        ),
        (
            "subscriptions:\n  mes: {url: 'https://mes', events: ['ordr.*']}\n",
            "hub.yaml:2: subscriptions.mes.events[0]: 'ordr.*' matches no event type",
        ),
        (
            "subscriptions:\n  mes: {url: 'https://mes', events: ['*'], headers: {webhook-id: x}}\n",
            "hub.yaml:2: subscriptions.mes.headers: webhook-id is set by the hub",
        ),
        (
            "sources:\n  shop:\n    verify: {scheme: standard-webhooks, secret: '${S}', header: X-Sig}\n"
            "    mapping: shop-order\n",
            "hub.yaml:3: sources.shop.verify.header: standard-webhooks reads the webhook-id",
        ),
        (
            "sources:\n  shop: {verify: {scheme: api-key, secret: '${EMPTY}'}, mapping: shop-order}\n",
            "hub.yaml:2: sources.shop.verify.secret: cannot be empty",
        ),
        (
            "webhooks:\n  retry_schedule: [5, '300']\n",
            "hub.yaml:2: webhooks.retry_schedule[1]: expected a whole number, got '300'",
        ),
    ],
    ids=[
        "connector-name", "schedule", "url-scheme", "url-credentials", "event-typo", "event-pattern",
        "reserved-header", "standard-webhooks-header", "empty-secret", "retry-delay-type",
    ],
)
def test_invalid_values_are_reported(tmp_path: Path, text: str, expected: str) -> None:
    (problem,) = errors(tmp_path, text, env={"S": "x", "EMPTY": ""})

    assert problem.startswith(expected)


def test_subscription_defaults(tmp_path: Path) -> None:
    workspace = load(tmp_path, "subscriptions:\n  all: {url: 'http://127.0.0.1:9/h', events: ['*']}\n")

    mes = workspace.config.subscriptions["all"]
    assert (mes.enabled, mes.headers, mes.filter, mes.description) == (True, {}, None, None)


def test_subscription_filter_takes_values_or_lists_of_values(tmp_path: Path) -> None:
    text = "subscriptions:\n  m: {url: 'https://m', events: ['order.*'], filter: {currency: CNY, status: [a, b]}}\n"

    assert load(tmp_path, text).config.subscriptions["m"].filter == {"currency": "CNY", "status": ["a", "b"]}


def test_verify_header_defaults_per_scheme(tmp_path: Path) -> None:
    text = """\
    sources:
      a: {verify: {scheme: hmac-sha256, secret: "${S}"}, mapping: m}
      b: {verify: {scheme: api-key, secret: "${S}", header: X-Shop-Key}, mapping: m}
    """

    sources = load(tmp_path, text, env={"S": "x"}).config.sources

    assert sources["a"].verify.effective_header == "X-Signature"
    assert sources["b"].verify.effective_header == "X-Shop-Key"


class TestSecrets:
    @pytest.mark.parametrize(
        ("setting", "path"),
        [
            ("password: hunter2", "connectors.kd.settings.password"),
            ("app_secret: abc", "connectors.kd.settings.app_secret"),
            ("callback_token: abc", "connectors.kd.settings.callback_token"),
            ("encoding_aes_key: abc", "connectors.kd.settings.encoding_aes_key"),
            ("robot_access_token: 12345", "connectors.kd.settings.robot_access_token"),
            ("smtp_password: ${SMTP_PASSWORD:-changeme}", "connectors.kd.settings.smtp_password"),
        ],
        ids=["password", "app_secret", "token", "aes_key", "number", "reference-with-default"],
    )
    def test_literal_secret_in_connector_settings_is_an_error(self, tmp_path: Path, setting: str, path: str) -> None:
        text = f"connectors:\n  kd:\n    type: kingdee\n    settings:\n      {setting}\n"

        (problem,) = errors(tmp_path, text, env={"SMTP_PASSWORD": "x"})

        assert problem.startswith(f"hub.yaml:5: {path}: ")
        assert "${KD_" in problem

    def test_literal_secret_message_tells_the_user_what_to_write(self, tmp_path: Path) -> None:
        text = "connectors:\n  kingdee-main:\n    type: kingdee\n    settings: {password: hunter2}\n"

        (problem,) = errors(tmp_path, text)

        assert problem == (
            "hub.yaml:4: connectors.kingdee-main.settings.password: secrets are never written in hub.yaml: "
            "write ${KINGDEE_MAIN_PASSWORD} and set the environment variable KINGDEE_MAIN_PASSWORD "
            "(or put it in the workspace's .env, which stays out of git)"
        )

    def test_literal_secret_is_caught_even_when_it_looks_like_interpolation_resolved_it(self, tmp_path: Path) -> None:
        # The check reads the text as written, so a literal equal to an env value is still a literal.
        text = "connectors:\n  kd: {type: kingdee, settings: {password: kd-pass}}\n"

        assert len(errors(tmp_path, text)) == 1

    def test_literal_webhook_secret_is_an_error(self, tmp_path: Path) -> None:
        text = "sources:\n  shop:\n    verify: {scheme: hmac-sha256, secret: abc}\n    mapping: shop-order\n"

        (problem,) = errors(tmp_path, text)

        assert problem.startswith("hub.yaml:3: sources.shop.verify.secret: secrets are never written")

    def test_credential_header_needs_a_reference(self, tmp_path: Path) -> None:
        text = (
            "subscriptions:\n  mes:\n    url: https://mes\n    events: ['*']\n"
            "    headers: {Authorization: Bearer x}\n"
        )

        (problem,) = errors(tmp_path, text)

        assert problem.startswith("hub.yaml:5: subscriptions.mes.headers.Authorization: header Authorization")

    def test_references_and_empty_values_are_accepted(self, tmp_path: Path) -> None:
        text = """\
        connectors:
          kd:
            type: kingdee
            settings: {password: "${KD_PASSWORD}", app_secret: "", robot_secret: null, username: integrator}
        """

        assert load(tmp_path, text).config.connectors["kd"].settings["password"] == "kd-pass"

    def test_secret_values_are_not_in_the_config_repr(self, tmp_path: Path) -> None:
        workspace = load(tmp_path, VALID)

        assert "kd-pass" not in repr(workspace.config)
        assert "whsec_abc" not in repr(workspace.config)
        assert "tok" not in repr(workspace.config.subscriptions)


class TestEnvironment:
    def test_unset_variable_is_reported_with_line(self, tmp_path: Path) -> None:
        (problem,) = errors(tmp_path, VALID, env={"SHOP_WEBHOOK_SECRET": "x", "MES_TOKEN": "t"})

        assert problem.startswith(
            "hub.yaml:8: connectors.kingdee-main.settings.password: environment variable KD_PASSWORD is not set"
        )

    def test_variables_come_from_the_workspace_env_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("KD_PASSWORD", raising=False)
        (tmp_path / ".env").write_text("KD_PASSWORD=from-dotenv\n", encoding="utf-8")
        (tmp_path / "hub.yaml").write_text(
            "connectors:\n  kd: {type: kingdee, settings: {password: '${KD_PASSWORD}'}}\n", encoding="utf-8"
        )

        workspace = load_workspace(tmp_path)

        assert workspace.config.connectors["kd"].settings["password"] == "from-dotenv"

    def test_process_environment_wins_over_the_env_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KD_PASSWORD", "from-process")
        (tmp_path / ".env").write_text("KD_PASSWORD=from-dotenv\n", encoding="utf-8")
        (tmp_path / "hub.yaml").write_text(
            "connectors:\n  kd: {type: kingdee, settings: {password: '${KD_PASSWORD}'}}\n", encoding="utf-8"
        )

        assert load_workspace(tmp_path).config.connectors["kd"].settings["password"] == "from-process"


def test_duplicate_keys_are_reported_with_both_lines(tmp_path: Path) -> None:
    text = "connectors:\n  kd: {type: kingdee}\nsources: {}\nconnectors: {}\n"

    assert errors(tmp_path, text) == ["hub.yaml:4: connectors: duplicate key 'connectors' (lines 1 and 4)"]


def test_connector_type_is_a_free_word_until_connectors_are_installed(tmp_path: Path) -> None:
    workspace = load(tmp_path, "connectors:\n  crm: {type: acme_crm}\n")

    assert workspace.config.connectors["crm"].type == "acme_crm"


def test_a_subscription_without_events_is_one_only_flows_send_to(tmp_path: Path) -> None:
    (tmp_path / "hub.yaml").write_text("subscriptions:\n  projects: {url: 'https://pm.example.cn/hooks', events: []}\n",
                                       encoding="utf-8")

    assert load_workspace(tmp_path).config.subscriptions["projects"].events == []
