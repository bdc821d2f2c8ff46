# s3beat: S3 (via SQS notifications) to Logstash / the LogRhythm Open Collector, a file or stdout.
#   docker build -t s3beat .
#   docker run -v ./s3beat.yml:/etc/s3beat/s3beat.yml:ro s3beat          (run)
#   docker run -it -v ./conf:/etc/s3beat s3beat setup                     (first-run questions)
#   docker run -v ./conf:/etc/s3beat s3beat migrate-config                (upgrade an existing file)

# ---- build: dev dependencies and the TypeScript compiler; nothing of this stage ships ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# ---- runtime: production dependencies and compiled JavaScript only ----
FROM node:24-bookworm-slim
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/s3beat/s3beat
LABEL org.opencontainers.image.title="s3beat" \
      org.opencontainers.image.description="Ingests logs from Amazon S3 through SQS notifications and ships them to a Beats/lumberjack collector, a file or stdout" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    S3BEAT_CONFIG=/etc/s3beat/s3beat.yml \
    S3BEAT_HTTP_ENABLED=true \
    S3BEAT_HTTP_HOST=127.0.0.1 \
    S3BEAT_HTTP_PORT=5066
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the build already ran; no compiler is installed here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /etc/s3beat \
 && chown node:node /etc/s3beat
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
# `s3beat …` on PATH, as the CLI's hints print it (docker exec CTR s3beat check).
RUN ln -s /app/bin/s3beat.js /usr/local/bin/s3beat
# No sources here: bin/s3beat.js runs the compiled build (dist/, stamped by the build).
USER node
VOLUME ["/etc/s3beat"]
EXPOSE 5066
# Liveness on the daemon's own loopback endpoint (S3BEAT_HTTP_*; a file that sets http.* wins).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
# SIGTERM to PID 1 (node itself, no shell) starts the graceful stop: it ends within
# shutdownGracePeriod (default 5s) + 5 s, inside `docker stop`'s default 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/s3beat.js"]
CMD ["run"]
