"""kubesage.explain."""
