"""kubesage.eval."""
