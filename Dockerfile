# model-registry container image: build with the Debian 12 toolchain, run with only the
# shared libraries the binary loads.
#
#   docker build -t model-registry .
#   docker run -p 8080:8080 -v model-registry-data:/var/lib/model-registry model-registry
#
# HTTPS: mount a certificate and key and set MR_TLS_CERT and MR_TLS_KEY (docs/OPERATIONS.md, "TLS");
# the HEALTHCHECK's `model-registry healthcheck` then speaks HTTPS too.
#
# Kubernetes: manifests/kustomize runs this image; tests/manifests checks their user id, port,
# binary path and data directory against this file (docs/DEPLOYMENT.md, "Kubernetes").
#
# scripts/docker-build-check.py replays this file without a Docker engine (CI runs its static
# and runtime checks; `--full` replays the build stage). It runs the build stage's RUN lines
# on the host, so keep them free of commands that would harm a host (no rm -rf of system dirs).

FROM debian:12 AS build
WORKDIR /src
# Dependencies first, so that editing sources does not invalidate the apt layer.
COPY scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh
COPY . .
RUN BUILD_DIR=build-docker ./scripts/build.sh --no-tests --target model-registry

FROM debian:12 AS runtime
COPY scripts/install-deps.sh /usr/local/share/model-registry/install-deps.sh
RUN /usr/local/share/model-registry/install-deps.sh --runtime-only \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10001 --home-dir /var/lib/model-registry \
        --shell /usr/sbin/nologin model-registry \
    && mkdir -p /var/lib/model-registry \
    && chown model-registry:model-registry /var/lib/model-registry
COPY --from=build /src/build-docker/model-registry /usr/local/bin/model-registry

USER model-registry
WORKDIR /var/lib/model-registry
ENV MR_HOSTNAME=0.0.0.0 MR_PORT=8080 MR_DB_FILE=/var/lib/model-registry/model-registry.db
EXPOSE 8080
VOLUME /var/lib/model-registry
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/model-registry", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/model-registry"]
CMD ["serve"]
