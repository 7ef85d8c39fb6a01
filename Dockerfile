# syntax=docker/dockerfile:1
# The service image. Configured only by environment variables (README, "Configuration"); nothing
# secret is baked in. CI cannot run Docker: it runs the same scripts/build-release.sh and then
# scripts/check-release.sh, which starts the release with this file's CMD and HEALTHCHECK.

# Build: install, compile, and assemble /release with production dependencies only.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json openapi.yaml ./
COPY scripts/build-release.sh scripts/
COPY src src
RUN scripts/build-release.sh /release

# Run: the release only, owned by root and run as the unprivileged `node` user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /release ./
# The embedded database's default place (PGLITE_DIR=./data/pglite), when no SINK_URL is set.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# What `npm start` runs once built (package.json "start").
CMD ["node", "--single-threaded-gc", "--max-semi-space-size=64", "dist/main.js"]
