# syntax=docker/dockerfile:1
#
# The CompanyOS node image: one static console, one binary, no shell.
#
#   docker build -t companyos:0.1.0 .
#   docker run --rm -p 8080:8080 -v companyos-data:/var/lib/companyos companyos:0.1.0
#
# The steps are those of the test command (scripts/test.sh): the console is built
# first (`npm ci` and `npm run build` in web/), then `cargo build --locked`, whose build
# script embeds web/dist in the binary. The node reads its settings from
# /etc/companyos/companyos.toml when COMPANYOS_CONFIG names it (the Helm chart mounts
# one there) and from COMPANYOS_* variables; see README.md.

# --- The console (web/ → web/dist) ---------------------------------------------------
FROM node:20.20.2-bookworm-slim AS console
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- The node -------------------------------------------------------------------------
FROM rust:1.95.0-slim-bookworm AS node
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
COPY cluster/ cluster/
COPY benches/ benches/
COPY migrations/ migrations/
COPY web/ web/
COPY --from=console /src/web/dist web/dist
# The console is already built: the build script embeds web/dist as it is instead of
# looking for npm. The registry and the build directory are cache mounts, so the
# binary is copied out of the build directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    COMPANYOS_SKIP_CONSOLE_BUILD=1 cargo build --release --locked -p companyos \
    && install -D -m 0755 target/release/companyos /out/usr/local/bin/companyos \
    && install -d -m 0755 /out/var/lib/companyos /out/etc/companyos

# --- Runtime: glibc and CA certificates, nothing else; user 65532 (nonroot) -----------
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="CompanyOS" \
      org.opencontainers.image.description="A self-hosted operations platform for software companies: one binary runs a node" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=node /out/usr/local/bin/companyos /usr/local/bin/companyos
COPY --from=node --chown=65532:65532 /out/var/lib/companyos /var/lib/companyos
COPY --from=node --chown=65532:65532 /out/etc/companyos /etc/companyos
# The data directory is the only place the node writes (the embedded SQLite database
# and the keys it generates when none is configured): mount a volume at
# /var/lib/companyos and the root filesystem can be read-only. The node creates the
# data directory inside it, readable by itself alone (0700).
ENV COMPANYOS_LISTEN=0.0.0.0:8080 \
    COMPANYOS_DATA_DIR=/var/lib/companyos/data
USER 65532:65532
WORKDIR /var/lib/companyos
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/companyos"]
CMD ["serve"]
