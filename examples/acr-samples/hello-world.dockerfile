# The image the build samples build: ACR's hello-world.dockerfile is `FROM hello-world`; ours prints a
# greeting from the locally seeded base image, so no Docker Hub access is needed.
ARG BASE=127.0.0.1:5000/tasks-engine/busybox:latest
FROM ${BASE}
CMD ["echo", "Hello from Tasks Engine! This message shows that your installation appears to be working correctly."]
