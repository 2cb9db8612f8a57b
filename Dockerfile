# api: nginx (API and TLS listeners) in front of the gw-fcgi pool. Multi-stage, Debian 12, non-root.
FROM debian:12 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config libfcgi-dev libpq-dev \
       libhiredis-dev libjson-c-dev libssl-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile VERSION ./
COPY core core
COPY fcgi-app fcgi-app
COPY worker worker
COPY ctl ctl
COPY api/openapi.json api/openapi.json
RUN make BUILD=release build/release/gw-fcgi build/release/gw-worker build/release/gatewayctl

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfcgi0ldbl spawn-fcgi nginx-light libpq5 \
       libhiredis0.14 libjson-c5 libssl3 libcurl4 ca-certificates curl openssl gettext-base \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/gateway --create-home gateway
COPY --from=build /src/build/release/gw-fcgi /src/build/release/gatewayctl /usr/local/bin/
COPY sql /usr/share/gateway/sql
COPY VERSION /usr/share/gateway/VERSION
COPY nginx/gw-*.conf /etc/gateway/nginx/
COPY docker/nginx-api.conf.template /etc/gateway/nginx-api.conf.template
COPY docker/api-entrypoint.sh /usr/local/bin/api-entrypoint.sh
RUN install -d -o gateway -g gateway -m 0700 /var/lib/gateway/tls
USER gateway
EXPOSE 8000 8443
ENTRYPOINT ["/usr/local/bin/api-entrypoint.sh"]
