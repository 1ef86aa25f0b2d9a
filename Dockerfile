# The Tasks Engine image: one image for the API, the workers and beat (compose.yaml picks the command).
#
#   docker build --build-arg PYTHON_IMAGE=python:3.12-slim -t tasks-engine .
#
# PYTHON_IMAGE is any Debian-based image with python3 (>= 3.11) and its venv module: the official slim
# images, or the one scripts/images.sh builds from Debian's packages where Docker Hub cannot be reached.
# No secret is baked in: keys and tokens come from the environment at run time (.env.example).
# Written for the classic builder too (docker-compose 1.29 builds with it): no RUN --mount, no COPY --chmod.
ARG PYTHON_IMAGE=python:3.12-slim

# -- the docker CLI, from Debian's docker.io package: BuildKit builds run it (`DOCKER_BUILDKIT=1 docker build`,
#    the `dockerCli` engine setting, /usr/bin/docker). Debian 12's (20.10) whatever the base image's suite:
#    it is the CLI the engine is tested with and it has BuildKit built in (the CLI of 23 and later needs the
#    separate buildx plugin for that). Only the client binary is kept, not the daemon half of the package.
ARG DOCKER_CLI_SUITE=bookworm
FROM ${PYTHON_IMAGE} AS docker-cli
ARG DOCKER_CLI_SUITE
RUN echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${DOCKER_CLI_SUITE} main" \
      >/etc/apt/sources.list.d/docker-cli.list \
 && apt-get update -qq \
 && cd /tmp && apt-get download -qq "docker.io/${DOCKER_CLI_SUITE}" \
 && dpkg-deb -x docker.io_*.deb /tmp/docker.io \
 && install -m 0755 /tmp/docker.io/usr/bin/docker /usr/local/bin/docker-cli \
 && /usr/local/bin/docker-cli --version \
 && rm -rf /var/lib/apt/lists/* /tmp/docker.io*

FROM ${PYTHON_IMAGE}
# git for git contexts (GitPython runs it); tini reaps the docker CLI's and git's children as PID 1.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git ca-certificates tini \
      >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY --from=docker-cli /usr/local/bin/docker-cli /usr/bin/docker

# Extra CA certificates (PEM text), for a network whose egress goes through a TLS-intercepting proxy: pip
# needs them now, and git contexts and registries fetched by the workers later. Public certificates only:
# build arguments are visible in the image's history.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/ca-certificates/tasks-engine-extra.crt \
      && update-ca-certificates >/dev/null; \
    fi

# A fixed uid/gid (10001) so host folders (the state root workers share with the Docker daemon) can be
# given to it: `install -d -o 10001 -g 10001 "$TE_STATE_ROOT"`.
RUN groupadd --system --gid 10001 tasks-engine \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tasks-engine --create-home \
      --shell /usr/sbin/nologin tasks-engine \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/tasks-engine/blobs /var/lib/tasks-engine/beat

# Dependencies first (a layer that survives source edits), then the project itself without them.
ENV VIRTUAL_ENV=/opt/tasks-engine PATH=/opt/tasks-engine/bin:$PATH PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
COPY pyproject.toml /tmp/build/pyproject.toml
RUN python3 -m venv /opt/tasks-engine \
 && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/tmp/build/pyproject.toml", "rb"))["project"]["dependencies"]))' \
      >/tmp/build/requirements.txt \
 && pip install -q -r /tmp/build/requirements.txt
COPY . /tmp/build/
RUN pip install -q --no-deps /tmp/build \
 && install -m 0755 /tmp/build/scripts/compose-entrypoint.sh /usr/local/bin/tasks-engine-entrypoint \
 && rm -rf /tmp/build

USER 10001:10001
WORKDIR /var/lib/tasks-engine
EXPOSE 8080
ENTRYPOINT ["tini", "--", "tasks-engine-entrypoint"]
CMD ["python3", "-m", "tasks_engine.server"]
