"""kubesage.server."""
