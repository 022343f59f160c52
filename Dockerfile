# deckhand's own image: the Slack bot by default. Run it on the Docker host it deploys to, with the host's Docker
# socket and host networking (health checks reach apps on 127.0.0.1; apps' public ports are Caddy's):
#   docker run -d --name deckhand --init --network host --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock -v deckhand-data:/data \
#     -v $PWD/deckhand.yml:/etc/deckhand/deckhand.yml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET deckhand
# Zero downtime needs nothing more: deckhand starts its own Caddy (installed below) with its admin API on
# /data/caddy/admin.sock and its routes autosaved under /data/caddy. Set DECKHAND_CADDY_ADMIN_URL to use a Caddy
# you run yourself instead, or DECKHAND_PROXY=none for the recreate strategy.
# The CLI (break-glass when Slack is down): docker exec deckhand deckhand deploys hello
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
# git: simple-git drives the git binary for mirrors, fetches and archives. caddy: the proxy deckhand runs itself
# for zero-downtime switches (Debian's package; deckhand starts it detached, it does not run as a service here).
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client caddy \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production DECKHAND_DATA_DIR=/data DECKHAND_CONFIG=/etc/deckhand/deckhand.yml
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
COPY bin ./bin
RUN ln -s /app/bin/deckhand.js /usr/local/bin/deckhand
VOLUME /data
EXPOSE 3000
# supervise: PID 1 starts the bot again after a crash, so the container and its Caddy keep serving (DESIGN).
CMD ["node", "dist/supervise.js", "node", "dist/main.js"]
