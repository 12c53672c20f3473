# SPDX-License-Identifier: BSD-3-Clause
# flowscope-dpdk container image, two stages on Debian bookworm (DPDK 22.11).
#
#   docker build -t flowscope .
#   docker run --rm -v "$PWD:/data:ro" flowscope --pcap /data/capture.pcap
#
# Without a Docker engine, use scripts/container.sh: it makes a debootstrap
# base image (localhost/bookworm-minbase) and builds with podman, passing
#   --build-arg BASE=localhost/bookworm-minbase:latest
#
# The runtime stage gets the shared libraries the binary links (found with
# ldd in the build stage and mapped to packages with dpkg -S) plus the DPDK
# plugins that EAL dlopens from /usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0:
# the vdev bus, the ring mempool driver and the pcap PMD for --pcap. For live
# capture add PMDs (and run with the devices, hugepages and privileges they
# need), e.g.
#   --build-arg DPDK_PMDS="librte-bus-vdev23 librte-mempool-ring23 librte-net-pcap23 librte-net-af-packet23"
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libdpdk-dev meson ninja-build pkg-config gcc libc6-dev \
        libyaml-dev libssl-dev libpcap-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup build -Dtests=disabled --buildtype=release \
    && ninja -C build \
    && install -D -s -m 0755 build/app/flowscope /out/flowscope \
    && for lib in $(ldd /out/flowscope | awk '$3 ~ /^\// { print $3 }'); do \
           dpkg -S "*/${lib##*/}" >>/tmp/owners \
           || { echo "no package owns $lib" >&2; exit 1; }; \
       done \
    && sed 's/:.*//' /tmp/owners | grep -v -- '-dev$' | sort -u >/out/runtime-packages \
    && echo "runtime packages:" $(cat /out/runtime-packages)

FROM ${BASE} AS runtime
ARG DPDK_PMDS="librte-bus-vdev23 librte-mempool-ring23 librte-net-pcap23"
ARG DEBIAN_FRONTEND=noninteractive
LABEL org.opencontainers.image.title="flowscope-dpdk" \
      org.opencontainers.image.description="DPDK 22.11 passive flow tracker (NDJSON events)" \
      org.opencontainers.image.licenses="BSD-3-Clause"
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
    && apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages) ${DPDK_PMDS} \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
COPY --from=build /out/flowscope /usr/local/bin/flowscope
WORKDIR /data
ENTRYPOINT ["flowscope"]
CMD ["--help"]
