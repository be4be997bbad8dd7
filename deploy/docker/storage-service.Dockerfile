# storage-service image: build with the Swift toolchain, run on a slim Debian with only
# the runtime libraries, as an unprivileged user.
#   docker build -f deploy/docker/storage-service.Dockerfile -t storage-service .
#   docker run -p 9080:9080 -e ETCD_ENDPOINTS=http://etcd-service:2379 storage-service

FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       libcurl4-openssl-dev libncurses-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
# Resolve dependencies in a layer of their own so source edits do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product storage-service --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/storage-service" /out/storage-service

FROM debian:bookworm-slim
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       ca-certificates libcurl4 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin storage
COPY --from=build /out/storage-service /usr/local/bin/storage-service
USER 10001:10001
ENV PORT=9080
EXPOSE 9080
ENTRYPOINT ["/usr/local/bin/storage-service"]
