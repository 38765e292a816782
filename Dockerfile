# SPDX-License-Identifier: MIT
# scsim in a Debian 12 image: what scripts/setup installs, scsim built and installed in
# /usr/local, the sources in /src/scsim for the test suite (docs/ci.md).
#   docker build -t scsim .
#   docker run --rm scsim                                    # the demo, through scsim run
#   docker run --rm --privileged scsim bash scripts/test     # the whole suite
FROM debian:12
COPY . /src/scsim
WORKDIR /src/scsim
RUN bash scripts/setup \
 && bash scripts/build build-image -DSCSIM_BUILD_TESTS=OFF -DSCSIM_BUILD_BENCH=OFF \
 && cmake --install build-image \
 && rm -rf build-image
CMD ["scsim", "run", "--", "scsim", "demo"]
