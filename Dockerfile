# troupe as a container image: the same package `npm pack` makes, installed globally, run as a user.
#
#   docker build -t troupe:0.1.0 .
#   docker run --rm -v "$PWD:/work" troupe:0.1.0                # troupe run in the mounted project
#   docker run --rm -v "$PWD:/work" troupe:0.1.0 validate
#
# scripts/pack-test.mjs (run by .ci/run) repeats these steps without Docker: npm pack, a global install
# of the tarball into a prefix, then `troupe --version` and `troupe run` from an empty working folder.

# Build stage: the locked dev dependencies, then `npm pack` (prepack cleans dist/ and builds).
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /pkg

# Runtime stage: only the packed tarball and its production dependencies.
FROM node:20-slim
ENV NODE_ENV=production NO_UPDATE_NOTIFIER=1
COPY --from=build /pkg/ /tmp/pkg/
RUN npm install -g --omit=dev --no-audit --no-fund /tmp/pkg/troupe-*.tgz \
 && rm -rf /tmp/pkg /root/.npm \
 && mkdir -p /work && chown node:node /work
# The node user (uid 1000) of the base image: troupe never needs root.
USER node
WORKDIR /work
ENTRYPOINT ["troupe"]
CMD ["run"]
