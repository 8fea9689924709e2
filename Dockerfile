# syntax=docker/dockerfile:1
# Worth Auth Service, Customer Refresh Token: one port for REST, Connect and gRPC (h2c).
# Not built on our machines (no Docker engine there): test/system/deploy/ lints this file
# and replays its production install and start-up without Docker.

# Same Node as the `node` devDependency the tests run on.
# Build: src/main.ts and its dependencies bundled into dist/ (deploy/bundle.ts). Node could
# run src/*.ts as they are, but the bundle starts in about 60 % of the time (bench/README.md,
# Benchmarks), which is what a scale-out or a rollout waits for.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency, esbuild among them, as the lockfile has them. No install scripts: the
# `node` devDependency's would fetch a second Node, and esbuild's binary is a package.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY gen ./gen
COPY src ./src
COPY deploy/bundle.ts ./deploy/
RUN node deploy/bundle.ts

# Production dependencies only, for what the bundle loads at run time rather than holding
# (ioredis with REDIS_URL). The embedded Cognito emulator, pino-pretty and the test tools
# stay out. No production dependency has an install script, so none is run.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim AS runtime
WORKDIR /app
# Owned by root: the service's user reads its code but cannot rewrite it.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# V8 sizes its heap from the container's memory limit: under the manifest's 256Mi that is a
# 1 MB young generation (a scavenge every few requests: ~17 % of the time in GC pauses at
# full load) and a ~270 MB heap limit, over the limit itself. An 8 MB young generation
# and a 160 MB old one measured ~12 % in GC and a 152 MiB peak RSS at 64 refreshes in flight
# (see bench/README.md). Change both with the memory limit.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=160"
# The official image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9464
# Liveness, not readiness: /readyz is 503 while the JWKS is unreachable or during a drain,
# and restarting the container for either would not help. The slim image has no curl;
# Node's fetch does. Assumes plain HTTP on PORT (TLS_CERT unset).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself; the service handles it (drain, exit 0).
CMD ["node", "dist/main.mjs"]
