# Production image of the healthgraph GraphQL service: TypeScript is compiled in a build stage and
# only the compiled output plus production dependencies ship in the final image.
# Configuration comes from the environment (see src/infra/config.ts); docker-compose.yml wires it up.

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, so this layer is reused while only sources change. `npm install` (not `npm ci`)
# on purpose; it still follows package-lock.json when that is present.
COPY package.json package-lock.json* ./
RUN npm install --no-audit --no-fund
COPY . .
# The dashboard is built here (npm install's prepare skipped it: its sources were not copied yet).
RUN npm run build \
 && npm run dashboard:build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/dashboard/dist ./dashboard/dist
# The service needs no privileges; running as `node` also matters for the embedded PostgreSQL
# fallback (only used when DATABASE_URL is unset), which refuses to run as root.
USER node
EXPOSE 4000
# Liveness via the service's /healthz; node's fetch, since the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form so node receives SIGTERM directly; run with an init (compose sets `init: true`) because
# node as PID 1 neither reaps zombies nor gets default signal handling.
CMD ["node", "dist/src/main.js"]
