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
# glibc's trim threshold pinned at its own default (128 KiB): left alone, glibc raises it (and the mmap threshold)
# after the first large free, and then keeps the pages the initial list of a big cluster passed through. At
# 50,000 Services that is ~20 MiB of RSS after sync (docs/performance.md, "The live cluster context at scale").
ENV MALLOC_TRIM_THRESHOLD_=131072
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
