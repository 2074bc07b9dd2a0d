# The voucher API: `model serve` on port 80, answering from the bundled sample built into the image.
#   docker build -t model .
#   docker run --rm -p 8000:80 -e MODEL_API_TOKEN="$(openssl rand -hex 32)" model
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production \
    NO_COLOR=1

# .dockerignore keeps packages/ out (the Snowflake emulator workspace, a test tool): npm ci then
# installs the root package alone and skips the missing workspace's lock entries.
COPY . .
# npm ci runs `prepare`, which compiles the engine to dist/ (TypeScript is a dev dependency).
RUN npm ci --include=dev \
 && npx model build \
 && npm prune --omit=dev \
 && npm cache clean --force

EXPOSE 80
# Off loopback, the server refuses to start without MODEL_API_TOKEN (POST /runPipeline/ requires it).
CMD ["node", "bin/model.js", "serve", "--host", "0.0.0.0", "--port", "80"]
