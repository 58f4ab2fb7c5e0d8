# syntax=docker/dockerfile:1
# Build: docker build -t endpoint-guard .
# Three stages: compile with dev deps, install production deps alone, then copy both into a clean runtime.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script runs tsc, and the sources are not copied yet.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
# The app runs node directly; npm, npx and corepack are only attack surface in the final image.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production
# Files stay owned by root: the non-root process can read its code but not change it.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
# Numeric UID/GID so Kubernetes can verify runAsNonRoot; matches the chart's runAsUser.
USER 65532:65532
# 8443: HTTPS admission (/validate, /mutate); 8080: plain-HTTP /livez, /readyz, /metrics.
EXPOSE 8443 8080
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
