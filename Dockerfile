# The service runs its TypeScript sources directly: Node 24 strips the types, so there is no build step.
FROM node:24-slim
WORKDIR /app
# DATA_DIR: the embedded database's folder when no DATABASE_URL is given (mount a volume there to keep it).
# NODE_COMPILE_CACHE: V8's compiled code for the modules, made while the image is built, so that starts skip most compiling.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/app/.data NODE_COMPILE_CACHE=/app/.cache
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY api ./api
# Loads every module once (nothing starts) to fill the compile cache; the service's user owns both folders it writes.
RUN node -e "require('node:module').enableCompileCache(); import('./api/server.ts').then(() => import('./api/http/app.ts')).then(() => import('./adapters/jobs/pg-boss.schedule.ts'))" \
 && mkdir -p "$DATA_DIR" && chown -R node:node "$DATA_DIR" "$NODE_COMPILE_CACHE"
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "api/main.ts"]
