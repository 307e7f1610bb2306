"""kubesage.rag."""
