# deckhand's own image: the Slack bot by default. Run it on the Docker host it deploys to, with the host's Docker
# socket and host networking (health checks and the Caddy admin API are reached on 127.0.0.1):
#   docker run -d --name deckhand --network host --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock -v deckhand-data:/data \
#     -v $PWD/deckhand.yml:/etc/deckhand/deckhand.yml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e DECKHAND_CADDY_ADMIN_URL=http://127.0.0.1:2019 deckhand
# The CLI (break-glass when Slack is down): docker exec deckhand deckhand deploys hello
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
# git: simple-git drives the git binary for mirrors, fetches and archives.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
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
CMD ["node", "dist/main.js"]
