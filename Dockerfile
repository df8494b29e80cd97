# syntax=docker/dockerfile:1
# One image for every process: the default command runs the server (API + portal);
# docker-compose.yml runs the worker and the migrations from the same image.
# TypeScript is run with tsx at runtime, so there is no tsc emit step.

# --- all dependencies, for building the portal --------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# npm 10 (bundled with Node 20) ignores package.json's `allowScripts` (an npm 11
# setting) and runs install scripts as usual, which the native packages need.
# npm install (lock file respected): the lock has no entries for other platforms' optional binaries,
# which npm ci refuses.
RUN npm install --no-audit --no-fund

# --- production dependencies only, for the final image -------------------------
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# --- build the Remix portal into build/ ----------------------------------------
FROM deps AS build
COPY . .
RUN npx remix vite:build

# --- runtime ---------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root so the app user cannot modify its own code;
# tsx caches compiled output under /tmp, which `node` may write to.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY . .
COPY --from=build /app/build ./build
# The worker writes the audit chain's anchors here (a volume in docker-compose.yml); a named
# volume takes this folder's owner when first mounted.
RUN mkdir -p /var/lib/suifang/audit-anchors && chown node:node /var/lib/suifang/audit-anchors
USER node
# 3000: API and portal; 2575: HL7 v2 over MLLP.
EXPOSE 3000 2575
CMD ["npx", "tsx", "api/main.ts"]
