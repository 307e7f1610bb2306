"""kubesage.llm."""
