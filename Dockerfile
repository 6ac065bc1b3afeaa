# syntax=docker/dockerfile:1
# provenance-registry in a container (README: Deploying). Two stages: the workspace is built with
# the Rust toolchain of its rust-version, and only the two binaries are copied onto a minimal
# runtime base (glibc, CA roots, no shell, no package manager), run as a non-root user with the
# data directory (database and key files) on a volume.
#
#   docker build -t provenance-registry .
#   docker run -d --name registry -p 50051:50051 -v provenance-data:/var/lib/provenance-registry \
#       -e PROVENANCE_INSECURE_PLAINTEXT=true provenance-registry   # TLS terminated in front
#
# Inside the container the server listens on 0.0.0.0: without TLS it refuses to start unless told
# that something in front terminates TLS (PROVENANCE_INSECURE_PLAINTEXT=true), or given
# PROVENANCE_TLS_CERT and PROVENANCE_TLS_KEY (then set PROVENANCE_URL=https://localhost:50051 and
# PROVENANCE_CA_FILE for the health check).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# --locked: exactly the versions of Cargo.lock. The cache mounts keep downloaded crates and the
# build directory between builds of the image, not in it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p provenance-registry -p provctl \
 && install -D -m 0755 -t /out/bin target/release/provenance-registry target/release/provctl \
 && install -d -m 0700 -o 65532 -g 65532 /out/data

# Debian 12's glibc, as the build stage's; the `nonroot` variant runs as uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /var/lib/provenance-registry
ENV PROVENANCE_DATA_DIR=/var/lib/provenance-registry \
    PROVENANCE_LISTEN=0.0.0.0:50051 \
    PROVENANCE_LOG_FORMAT=json \
    PROVENANCE_URL=http://127.0.0.1:50051
USER 65532:65532
VOLUME ["/var/lib/provenance-registry"]
EXPOSE 50051
# The standard gRPC health check, through the client: exit 0 only when the registry serves.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/provctl", "health", "--timeout", "5s"]
ENTRYPOINT ["/usr/local/bin/provenance-registry"]
CMD ["serve"]
