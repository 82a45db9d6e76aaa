FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/integration-events ./cmd/integration-events

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/integration-events /integration-events
USER nonroot:nonroot
ENTRYPOINT ["/integration-events"]
