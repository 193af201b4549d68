# Runnel's container image: the release binary with the Swift runtime linked statically, on a
# slim Debian with only what it loads at run time (libsystemd for the journal input, zlib, CA
# certificates for Kinesis, STS and the Kubernetes API).
#   docker build -t runnel .
#   docker run --rm -p 24224:24224 -e KINESIS_STREAM_NAME=... -e AWS_REGION=... runnel
# The Kubernetes manifests (deploy/kubernetes) mount their own fluent.conf and run it with
# `-c /etc/runnel/fluent.conf`.

FROM swift:6.3-bookworm AS build
# Debian's package versions are not pinned (DL3008): a pinned version disappears from the archive
# with its next security update, and the build would then fail.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsystemd-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package manifest first, so the dependencies are resolved in a layer of their own.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product runnel \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/runnel" /out/usr/bin/runnel \
    && strip --strip-debug /out/usr/bin/runnel

FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libsystemd0 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 runnel \
    && useradd --system --uid 10001 --gid runnel --home-dir /var/lib/runnel --shell /usr/sbin/nologin runnel \
    && install -d -o runnel -g runnel -m 0750 /var/lib/runnel
COPY --from=build /out/usr/bin/runnel /usr/bin/runnel
COPY deploy/docker/runnel.conf /etc/runnel/runnel.conf
USER 10001:10001
WORKDIR /var/lib/runnel
# forward, monitor_agent, prometheus
EXPOSE 24224 24220 24231
ENTRYPOINT ["/usr/bin/runnel"]
CMD ["-c", "/etc/runnel/runnel.conf"]
