# meshtop image: the dashboard and its one-shot modes, with kubectl for k8s: sources and
# port-forwards. Run it with a terminal and a kubeconfig:
#   docker build -f deploy/docker/meshtop.Dockerfile -t meshtop .
#   docker run --rm -it -v ~/.kube:/home/meshtop/.kube:ro --network host meshtop
#   docker run --rm meshtop health --prometheus http://prometheus:9090 --etcd http://etcd-service:2379

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
RUN swift build -c release --product meshtop --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/meshtop" /out/meshtop

FROM debian:bookworm-slim
# Debian's own kubectl (kubernetes-client) is 1.20; the release binary is checked against
# its published SHA-256.
ARG KUBECTL_VERSION=v1.31.4
ARG TARGETARCH=amd64
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       ca-certificates curl libcurl4 libncursesw6 ncurses-term tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" \
    && echo "$(curl -fsSL "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl.sha256")  /usr/local/bin/kubectl" | sha256sum -c - \
    && chmod 755 /usr/local/bin/kubectl \
    && useradd --system --uid 10001 --create-home --home-dir /home/meshtop --shell /usr/sbin/nologin meshtop
COPY --from=build /out/meshtop /usr/local/bin/meshtop
# kubectl finds `kubectl meshtop` as a plugin by this name.
RUN ln -s /usr/local/bin/meshtop /usr/local/bin/kubectl-meshtop
USER 10001:10001
ENV LANG=C.UTF-8 TERM=xterm-256color
ENTRYPOINT ["/usr/local/bin/meshtop"]
