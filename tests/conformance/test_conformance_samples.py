"""Azure-Samples/acr-tasks task files (MIT licence; the ones not already in examples/acr-samples) compile to
the plan ACR would run: step types, images, tags, DAG edges, aliases on or off by version. The expected
values are derived from acr-builder's rules (reference spec sections 3.5, 3.6, 4.1).
"""

from __future__ import annotations

from conformance_helpers import FIXED_NOW, make_run

from tasks_engine.compiler import CompileInputs, compile_task
from tasks_engine.plan.model import RunPlan, StepType
from tasks_engine.templating import merge_values, parse_set

IMAGE_ALIASES = {"bash": "mcr.microsoft.com/acr/bash:2ff604c"}


def plan_of(text: str, *, sets: tuple[str, ...] = (), secrets: dict[str, str] | None = None) -> RunPlan:
    inputs = CompileInputs(
        text=text,
        filename="acb.yaml",
        run=make_run(id="cf1", registry="myreg.azurecr.io"),
        values=merge_values({}, parse_set(sets)),
        secrets=secrets or {},
        image_aliases=IMAGE_ALIASES,
    )
    return compile_task(inputs, now=lambda: FIXED_NOW, new_uuid=lambda: "u").plan


def deps(plan: RunPlan) -> dict[str, list[str]]:
    return {s.id: s.depends_on for s in plan.steps}


# Azure-Samples/acr-tasks build-aspnetapp/WeatherService/acb.yaml (MIT)
ASPNET = """\
version: v1.1.0
steps:
 - cmd: docker pull $Registry/dotnet/core/aspnet:3.1-buster-slim
   retries: 3
   retryDelay: 5
 - cmd: docker pull $Registry/dotnet/core/sdk:3.1-buster
   retries: 3
   retryDelay: 5
 - build: -f Dockerfile -t $Registry/weatherservice:$ID --build-arg BaseImage=$Registry/dotnet/core/aspnet:3.1-buster-slim --build-arg BuildImage=$Registry/dotnet/core/sdk:3.1-buster .
 - push: 
    - $Registry/weatherservice:$ID"""  # noqa: E501, W291

# Azure-Samples/acr-tasks build-test-update-hello-world.yaml (MIT)
BUILD_TEST_UPDATE = """\
version: 1.0-preview-1
steps:
  # build website and func-test images, concurrently
  - build: -t {{.Run.Registry}}/hello-world:{{.Run.ID}} -f hello-world.dockerfile .
    when: ["-"]
  - build: -t hello-world-test  -f hello-world.dockerfile  .
    when: ["-"]
  # run built images to be tested
  - id: hello-world
    cmd: {{.Run.Registry}}/hello-world:{{.Run.ID}}
  - id: func-tests
    cmd: hello-world-func-test
    env:
      - test-target=hello-world
  # push hello-world if func-tests are successful  
  - push: 
    - {{.Run.Registry}}/hello-world:{{.Run.ID}}
  # helm deploy the updated hello-world image
  - cmd: >
      cmd.azurecr.io/helm:v2.11.0-rc.2 update helloworld ./release/helm/ 
      --reuse-values 
      --set helloworld.image={{.Run.Registry}}/hello-world:{{.Run.ID}}
"""  # noqa: W291

# Azure-Samples/acr-tasks managed-identities.yaml (MIT)
MANAGED_IDENTITIES = """\
version: v1.0.0
secrets:
  - id: name
    keyvault: https://myacbvault2.vault.azure.net/secrets/SampleSecret
steps:
  - id: resolve-secrets
    cmd: bash -c 'echo "secret is $MY_SECRET"'
    env:
     - MY_SECRET={{.Secrets.name}}

  # Build/Push the website to source registry
  - cmd: docker build -t {{.Run.Registry}}/my-website:{{.Run.ID}} https://github.com/Azure-Samples/aci-helloworld.git
  - push: 
    - "{{.Run.Registry}}/my-website:{{.Run.ID}}"
  
  # Login to Azure and list the tags to verify if we have the Image!
  - cmd: microsoft/azure-cli az login --identity
  - cmd: microsoft/azure-cli az acr repository show-tags -n {{.Values.registryName}} --repository my-website
"""  # noqa: W291, W293

# Azure-Samples/acr-tasks mounts-multistep.yaml (MIT)
MOUNTS_MULTISTEP = """\
# This template demonstrates mounting custom volumes into a container for multi-step task
volumes:
  - name: secret1
    secret:
      mysecret1: {{"-----SECRET VALUE 1------" | b64enc}}
  - name: secret2
    secret:
      mysecret2: {{"-----SECRET VALUE 2------" | b64enc}}
            
steps:
  - cmd: bash cat /run/test/mysecret1
    volumeMounts:
      - name: secret1
        mountPath: /run/test
  - cmd: bash cat /run/test/mysecret1 /run/test2/mysecret2
    volumeMounts:
      - name: secret1
        mountPath: /run/test
      - name: secret2
        mountPath: /run/test2"""  # noqa: W293

# Azure-Samples/acr-tasks multipleRegistries/testtask.yaml (MIT)
MULTIPLE_REGISTRIES = """\
version: v1.1.0
steps:
  - build: -t {{.Values.REGISTRY1}}/hello-world:$ID . -f hello-world.dockerfile
  - push: ["{{.Values.REGISTRY1}}/hello-world:$ID"]
  - build: -t {{.Values.REGISTRY2}}/hello-world:$ID . -f hello-world.dockerfile
  - push: ["{{.Values.REGISTRY2}}/hello-world:$ID"]"""

# Azure-Samples/acr-tasks build-push-hello-world-multi.yaml, buildx.yml, build-hello-world.yaml, bash-echo-3 (MIT)
BUILD_PUSH_MULTI = """\
version: v1.0.0
steps:
  - build: -t {{.Run.Registry}}/hello-world:{{.Run.ID}} -t {{.Run.Registry}}/hello-world:latest -f hello-world.dockerfile .
  - push:
    - {{.Run.Registry}}/hello-world:{{.Run.ID}}
    - {{.Run.Registry}}/hello-world:latest
"""  # noqa: E501
BUILDX = """\
version: v1.0.0
steps:
  - build: -t {{.Run.Registry}}/hello-world:{{.Run.ID}} -f hello-world.dockerfile .
    cache: enabled
  - push: ["{{.Run.Registry}}/hello-world:{{.Run.ID}}"]"""
BUILD_HELLO_WORLD = "version: v1.1.0\nsteps:\n  - build: -t $Registry/hello-world -f hello-world.dockerfile .\n"
BASH_ECHO_3 = "version: v1.0.0\nsteps:\n  - cmd: bash:3.0 echo hello world\n"


def test_aspnet_v110_aliases_in_cmd_build_and_push() -> None:
    plan = plan_of(ASPNET)
    pull, _pull_sdk, build, push = plan.steps
    assert (pull.image, pull.args) == ("docker", ["pull", "myreg.azurecr.io/dotnet/core/aspnet:3.1-buster-slim"])
    assert (pull.retries, pull.retry_delay) == (3, 5)
    assert build.build is not None
    assert build.build.tags == ["myreg.azurecr.io/weatherservice:cf1"]
    assert build.build.build_args == {
        "BaseImage": "myreg.azurecr.io/dotnet/core/aspnet:3.1-buster-slim",
        "BuildImage": "myreg.azurecr.io/dotnet/core/sdk:3.1-buster",
    }
    assert push.images == ["myreg.azurecr.io/weatherservice:cf1"]
    assert deps(plan) == {
        "acb_step_0": [],
        "acb_step_1": ["acb_step_0"],
        "acb_step_2": ["acb_step_1"],
        "acb_step_3": ["acb_step_2"],
    }


def test_build_test_update_dag_follows_yaml_order_across_parallel_branches() -> None:
    """Two parallel builds, then ``hello-world`` (no ``when``) waits only for the second YAML step."""
    plan = plan_of(BUILD_TEST_UPDATE)
    assert deps(plan) == {
        "acb_step_0": [],
        "acb_step_1": [],
        "hello-world": ["acb_step_1"],
        "func-tests": ["hello-world"],
        "acb_step_4": ["func-tests"],
        "acb_step_5": ["acb_step_4"],
    }
    helm = plan.steps[-1]
    assert helm.image == "cmd.azurecr.io/helm:v2.11.0-rc.2"
    assert helm.args == [
        "update",
        "helloworld",
        "./release/helm/",
        "--reuse-values",
        "--set",
        "helloworld.image=myreg.azurecr.io/hello-world:cf1",
    ]
    assert plan.steps[3].env == ["test-target=hello-world"]


def test_managed_identities_secret_in_env_and_values() -> None:
    plan = plan_of(MANAGED_IDENTITIES, sets=("registryName=myreg",), secrets={"name": "s3cr3t"})
    first = plan.steps[0]
    assert first.image == "bash"  # v1.0.0: no alias expansion, Docker Hub bash
    assert first.args == ["-c", 'echo "secret is $MY_SECRET"']
    assert first.env == ["MY_SECRET=s3cr3t"]
    assert plan.steps[2].type is StepType.PUSH
    assert plan.steps[2].images == ["myreg.azurecr.io/my-website:cf1"]
    assert plan.steps[-1].args[-4:] == ["-n", "myreg", "--repository", "my-website"]


def test_mounts_multistep_volumes_and_mounts() -> None:
    plan = plan_of(MOUNTS_MULTISTEP)
    assert [v.name for v in plan.volumes] == ["secret1", "secret2"]
    assert plan.volumes[0].secret == {"mysecret1": "LS0tLS1TRUNSRVQgVkFMVUUgMS0tLS0tLQ=="}
    assert [(m.name, m.mount_path) for m in plan.steps[1].volume_mounts] == [
        ("secret1", "/run/test"),
        ("secret2", "/run/test2"),
    ]


def test_multiple_registries_values_and_context_before_flags() -> None:
    plan = plan_of(MULTIPLE_REGISTRIES, sets=("REGISTRY1=r1.azurecr.io", "REGISTRY2=r2.azurecr.io"))
    first, _, second, push2 = plan.steps
    assert first.build is not None and second.build is not None
    assert (first.build.tags, first.build.context, first.build.dockerfile) == (
        ["r1.azurecr.io/hello-world:cf1"],
        ".",
        "hello-world.dockerfile",
    )
    assert second.build.tags == ["r2.azurecr.io/hello-world:cf1"]
    assert push2.images == ["r2.azurecr.io/hello-world:cf1"]


def test_build_push_multi_tags() -> None:
    plan = plan_of(BUILD_PUSH_MULTI)
    assert plan.steps[0].build is not None
    assert plan.steps[0].build.tags == ["myreg.azurecr.io/hello-world:cf1", "myreg.azurecr.io/hello-world:latest"]
    assert plan.steps[1].images == ["myreg.azurecr.io/hello-world:cf1", "myreg.azurecr.io/hello-world:latest"]


def test_buildx_cache_enabled() -> None:
    plan = plan_of(BUILDX)
    assert plan.steps[0].build is not None
    assert plan.steps[0].build.cache == "enabled"


def test_build_without_tag_version_and_bash_tag() -> None:
    assert plan_of(BUILD_HELLO_WORLD).steps[0].build.tags == ["myreg.azurecr.io/hello-world"]  # type: ignore[union-attr]
    echo = plan_of(BASH_ECHO_3).steps[0]
    assert (echo.image, echo.args) == ("bash:3.0", ["echo", "hello", "world"])
