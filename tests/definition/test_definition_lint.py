"""Semantic rules with ACR's exact messages (spec §2, §4.1, §8); every problem is collected."""

from __future__ import annotations

import pytest
from definition_helpers import by_path, errors, load, messages, warnings

STEP = "  - cmd: alpine true\n"


def test_every_problem_is_collected_not_just_the_first() -> None:
    text = (
        "version: v9\n"
        "env: [NOPE]\n"
        "steps:\n"
        "  - id: a\n    cmd: x\n    retries: -1\n"
        "  - id: a\n    cmd: y\n    when: [zzz]\n"
        "  - build: .\n    cache: maybe\n"
    )
    assert by_path(errors(text)) == {
        "version": ['invalid version specified: "v9", the current version is "v1.0.0"'],
        "env[0]": ["cannot parse task environment variable NOPE correctly"],
        "steps[0].retries": ["step must specify retries >= 0"],
        "steps[1].id": ["a already exists as a vertex"],
        "steps[1].when[0]": ["zzz does not exist as a vertex [from: zzz, to: a]"],
        "steps[2].cache": ["invalid value for cache property. Valid values are 'enabled', 'disabled'"],
    }


def test_auto_id_clashes_with_a_user_id() -> None:
    text = "steps:\n  - id: acb_step_1\n    cmd: x\n  - cmd: y\n"
    assert by_path(errors(text)) == {"steps[1]": ["acb_step_1 already exists as a vertex"]}


def test_reserved_root_id() -> None:
    assert messages(errors("steps:\n  - id: acb_root\n    cmd: x\n")) == ["acb_root is a reserved ID, it can't be used"]


@pytest.mark.parametrize("space", [" ", "\t", "\u00a0", "\u2003", "\u3000", "\u0085"])
def test_whitespace_in_id(space: str) -> None:
    text = f'steps:\n  - id: "a{space.encode("unicode_escape").decode()}b"\n    cmd: x\n'
    assert messages(errors(text)) == ["step ID cannot contain spaces"]


def test_zero_width_space_is_not_whitespace_for_go() -> None:
    assert load('steps:\n  - id: "a\\u200bb"\n    cmd: x\n').ok


@pytest.mark.parametrize(
    "when",
    ['["-"]', "[]", "[acb_root]", "[a]", "[a, b]"],
)
def test_valid_when(when: str) -> None:
    text = f"steps:\n  - id: a\n    cmd: x\n  - id: b\n    cmd: x\n  - id: c\n    cmd: x\n    when: {when}\n"
    assert errors(text) == []


def test_when_forward_and_unknown_references() -> None:
    text = "steps:\n  - id: a\n    cmd: x\n    when: [b, ghost]\n  - id: b\n    cmd: x\n"
    assert messages(errors(text)) == [
        "b does not exist as a vertex [from: b, to: a]",
        "ghost does not exist as a vertex [from: ghost, to: a]",
    ]


def test_when_uses_the_auto_id_as_target_name() -> None:
    assert messages(errors("steps:\n  - cmd: x\n    when: [later]\n")) == [
        "later does not exist as a vertex [from: later, to: acb_step_0]"
    ]


def test_when_self_and_immediate_mix() -> None:
    assert messages(errors("steps:\n  - id: a\n    cmd: x\n    when: [a]\n")) == ["Step ID: a is self-referenced"]
    assert messages(errors("steps:\n  - id: a\n    cmd: x\n  - cmd: y\n    when: [a, '-']\n")) == [
        "step cannot contain other IDs in when if the immediate execution token is specified"
    ]


def test_duplicate_when_entry_is_a_warning() -> None:
    text = "steps:\n  - id: a\n    cmd: x\n  - cmd: y\n    when: [a, a]\n"
    assert messages(warnings(text)) == ["a is listed twice in when"]
    assert errors(text) == []


def test_step_types() -> None:
    both = "steps:\n  - cmd: x\n    build: .\n    push: [a]\n"
    assert messages(errors(both)) == ["step must only contain a single build, cmd, or push property"]
    none = 'steps:\n  - cmd: ""\n    push: []\n    id: a\n'
    assert messages(errors(none)) == ["step is missing a cmd, build, or push property"]
    assert messages(errors("steps:\n  - {}\n")) == ["step is missing a cmd, build, or push property"]


def test_retries_and_repeat_zero_or_more() -> None:
    assert errors("steps:\n  - cmd: x\n    retries: 0\n    repeat: 3\n") == []
    assert messages(errors("steps:\n  - cmd: x\n    repeat: -1\n")) == ["step must specify repeat >= 0"]


@pytest.mark.parametrize("value", ["enabled", "ENABLED", "Disabled", "disabled", '""'])
def test_cache_values_case_insensitive(value: str) -> None:
    assert errors(f"steps:\n  - build: .\n    cache: {value}\n") == []


def test_negative_timeouts_follow_acr() -> None:
    text = "stepTimeout: -1\ntotalTimeout: 0\nsteps:\n  - cmd: x\n    timeout: -5\n    startDelay: -1\n"
    result = load(text)
    assert result.problems == []
    assert result.definition is not None
    assert result.definition.effective_step_timeout == 600
    assert result.definition.effective_total_timeout == 3600


@pytest.mark.parametrize("env", ['["A=1,B=2"]', '["K=a=b"]', "[A=1, B=]"])
def test_task_env_valid(env: str) -> None:
    assert errors(f"env: {env}\nsteps:\n{STEP}") == []


def test_task_env_comma_inside_value_fails() -> None:
    assert messages(errors('env: ["A=x,y"]\n')) == ["cannot parse task environment variable y correctly"]


def test_step_env_needs_equals() -> None:
    text = "steps:\n  - cmd: x\n    env: [GOOD=1, BAD]\n"
    assert by_path(errors(text)) == {"steps[0].env[1]": ["cannot parse step environment variable BAD correctly"]}
    assert errors("steps:\n  - cmd: x\n    env: ['A=1,2']\n") == []  # step entries are not split on commas


@pytest.mark.parametrize("version", ["v1.0.0", "V1.0.0", "v1.1.0", "V1.1.0", "1.0-preview-1", "1.0-PREVIEW-1", '""'])
def test_valid_versions(version: str) -> None:
    assert errors(f"version: {version}\n") == []


def test_invalid_version_message() -> None:
    assert messages(errors("version: v2\n")) == ['invalid version specified: "v2", the current version is "v1.0.0"']


KV = "https://myvault.vault.azure.net/secrets/name"


@pytest.mark.parametrize(
    "url",
    [KV, KV + "/", KV + "/0123abc", "HTTPS://MyVault.Vault.Azure.Net/Secrets/Name"],
)
def test_valid_keyvault_urls(url: str) -> None:
    assert errors(f"secrets:\n  - id: s\n    keyvault: {url}\n") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://v.vault.azure.net/secrets/a", "invalid azure keyvault secret URL scheme. Expected Https"),
        ("https://v.vault.azure.net/secrets", "invalid azure keyvault secret URL. Bad number of URL segments: 2"),
        ("https://v.vault.azure.net/secrets/a/b/c", "invalid azure keyvault secret URL. Bad number of URL segments: 5"),
        ("https://v.vault.azure.net/keys/a", "invalid azure keyvault secret URL. Expected 'secrets' collection"),
        ("https://localvault/secrets/a", "extracted vault resource https://localvault from vault URL"),
    ],
)
def test_invalid_keyvault_urls(url: str, message: str) -> None:
    found = messages(errors(f"secrets:\n  - id: s\n    keyvault: {url}\n"))
    assert len(found) == 1 and found[0].startswith(message), found


@pytest.mark.parametrize(
    "client_id",
    [
        "2f6a8d3e-1b2c-4d5e-8f90-0123456789ab",
        "{2f6a8d3e-1b2c-4d5e-8f90-0123456789ab}",
        "urn:uuid:2f6a8d3e-1b2c-4d5e-8f90-0123456789ab",
        "2f6a8d3e1b2c4d5e8f900123456789ab",
    ],
)
def test_valid_client_ids(client_id: str) -> None:
    assert errors(f"secrets:\n  - id: s\n    keyvault: {KV}\n    clientID: '{client_id}'\n") == []


def test_secret_rules() -> None:
    text = (
        f"secrets:\n  - id: 'a b'\n    keyvault: {KV}\n  - id: c\n    keyvault: {KV}\n    clientID: nope\n"
        f"  - id: c\n    keyvault: {KV}\n  - keyvault: {KV}\n"
    )
    assert by_path(errors(text)) == {
        "secrets[0].id": ["secret ID cannot contain spaces"],
        "secrets[1].clientID": ["msi client ID is not a valid guid"],
        "secrets[2].id": ["duplicate secret found with ID: c"],
        "secrets[3].id": ["secret is missing an ID"],
    }


def test_volume_rules() -> None:
    text = (
        "volumes:\n"
        '  - name: ok_name-1\n    secret:\n      a.b_c-d: YQ==\n      multi: "YWJj\\nZGVm"\n'
        "  - name: 'test/.'\n    secret: {a: YQ==}\n"
        "  - name: v\n    secret: {'': YQ==}\n"
        "  - name: w\n    secret: {x: '%%%'}\n"
        "  - name: ''\n    secret: {x: YQ==}\n"
    )
    assert by_path(errors(text)) == {
        "volumes[1].name": ["volume name is not well formed. Only use alphanumeric and - _"],
        'volumes[2].secret[""]': ["secret name provided for value is empty"],
        "volumes[3].secret.x": [
            "failed to decode Base64 value of secret x in volume w: Only base64 data is allowed "
            "(volume values must be base64, e.g. {{ .Secrets.x | b64enc }})"
        ],
        "volumes[4].name": ["volume name is empty"],
    }


def test_bad_padding_is_not_base64() -> None:
    found = messages(errors("volumes:\n  - name: v\n    secret: {x: YWJ}\n"))
    assert len(found) == 1 and found[0].startswith("failed to decode Base64 value of secret x in volume v")


def test_mounts_allowed_on_build_steps() -> None:
    text = (
        "volumes:\n  - name: v\n    secret: {a: YQ==}\nsteps:\n  - build: .\n    volumeMounts:\n"
        "      - name: v\n        mountPath: /run/s\n"
    )
    assert errors(text) == []


def test_networks() -> None:
    text = (
        "networks:\n  - name: a\n  - name: a\n  - driver: bridge\n"
        "  - name: ext\n    skipCreation: true\n  - name: ext\n    skipCreation: true\n"
    )
    assert by_path(errors(text)) == {
        "networks[1].name": ["network a is declared twice (networks[0]); it cannot be created twice"],
        "networks[2].name": ["network name must be specified"],
    }


def test_exited_with_and_step_secret_are_warned() -> None:
    text = "steps:\n  - cmd: x\n    exitedWith: [0, 1]\n    exitedWithout: [2]\n    secret: {id: s}\n"
    result = load(text)
    assert result.ok
    assert by_path(result.warnings) == {
        "steps[0].exitedWith": ['"exitedWith" is accepted and ignored, as in ACR'],
        "steps[0].exitedWithout": ['"exitedWithout" is accepted and ignored, as in ACR'],
        "steps[0].secret": [
            'step property "secret" does not exist in ACR and is ignored; declare secrets in the task\'s '
            '"secrets" and mount them with "volumes" and "volumeMounts"'
        ],
    }
    assert result.definition is not None and result.definition.steps[0].exited_with == [0, 1]


def test_properties_ignored_for_the_step_type_are_warned() -> None:
    text = (
        "steps:\n  - build: .\n    entryPoint: sh\n    pull: true\n  - push: [a]\n    env: [A=1]\n    retries: 2\n"
        "  - cmd: x\n    cache: enabled\n"
    )
    assert by_path(warnings(text)) == {
        "steps[0].entryPoint": ['"entryPoint" is ignored on build steps (as in ACR); it only applies to cmd steps'],
        "steps[0].pull": ['"pull" is ignored on build steps (as in ACR); it only applies to cmd steps'],
        "steps[1].env": ['"env" is ignored on push steps (as in ACR); it only applies to cmd and build steps'],
        "steps[1].retries": ['"retries" is ignored on push steps (as in ACR); it only applies to cmd and build steps'],
        "steps[2].cache": ['"cache" is ignored on cmd steps (as in ACR); it only applies to build steps'],
    }


def test_alias_block_with_old_version_is_warned() -> None:
    assert messages(warnings("alias:\n  values: {a: b}\nsteps:\n" + STEP)) == [
        '"alias" is only used with version v1.1.0 or later (this file says v1.0.0); it is ignored'
    ]
    assert warnings("version: v1.1.0\nalias:\n  values: {a: b}\n") == []


@pytest.mark.parametrize("text", ["", "# just a comment\n", "---\n", "~\n", "steps:\n", "steps: []\n", "steps: [ ]\n"])
def test_empty_files_are_valid_with_zero_steps(text: str) -> None:
    result = load(text)
    assert result.problems == []
    assert result.definition is not None and result.definition.steps == []


def test_top_level_must_be_a_mapping() -> None:
    assert messages(errors("just text\n")) == [
        "the task file must be a YAML mapping (version, steps, ...) at the top level, found the value 'just text'"
    ]


def test_second_document_is_ignored_with_a_warning() -> None:
    result = load("steps:\n  - cmd: x\n---\nsteps: {broken\n")
    assert result.ok
    assert [(p.line, p.message) for p in result.warnings] == [
        (3, "only the first YAML document is used (as ACR does); the rest of the file is ignored")
    ]


def test_alias_block_content_is_only_warned_about() -> None:
    result = load('version: v1.1.0\nalias:\n  directive: "ab"\n  values: [x]\n')
    assert result.ok
    assert sorted(p.path for p in result.warnings) == ["alias.directive", "alias.values"]
