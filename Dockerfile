# Multi-stage build: a cached dependency layer, then a static-enough binary on distroless, non-root.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > benches/throughput.rs && echo 'fn main() {}' > benches/ready_lag.rs \
    && cargo build --release --bin mongocloud-operator
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --bin mongocloud-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/mongocloud-operator /usr/local/bin/mongocloud-operator
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/mongocloud-operator"]
CMD ["run"]
