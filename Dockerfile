# kubesage: one image for the operator (`kubesage operator`) and the RAG server (`kubesage serve`).
# Multi-stage: build a virtualenv and the knowledge-base index, then copy them into a slim,
# non-root runtime image. One process per container: the chart picks the command.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KUBESAGE_DATA_DIR=/opt/kubesage/data
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY knowledge ./knowledge
# The starter runbooks are indexed at build time, so the image answers offline from the start.
RUN python -m venv /opt/kubesage/venv \
    && /opt/kubesage/venv/bin/pip install --no-cache-dir . \
    && /opt/kubesage/venv/bin/kubesage kb stats

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="kubesage" \
      org.opencontainers.image.description="AI SRE assistant for Kubernetes: operator and RAG server" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/kubesage/venv/bin:$PATH \
    KUBESAGE_DATA_DIR=/opt/kubesage/data \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/kubesage /opt/kubesage
USER 65532:65532
EXPOSE 8000 8080 8081
ENTRYPOINT ["kubesage"]
CMD ["operator"]
