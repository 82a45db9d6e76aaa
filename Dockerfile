# Build: a static binary (no cgo), so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/integration-events ./cmd/integration-events

# Run: distroless static, as the unprivileged nonroot user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/integration-events /integration-events
USER nonroot:nonroot
# Writable by nonroot: a bare `serve` keeps its embedded server's data in ./data.
WORKDIR /home/nonroot
ENTRYPOINT ["/integration-events"]
CMD ["serve"]
