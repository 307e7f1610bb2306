"""`kubesage mcp`: kubesage's read-only tools over the Model Context Protocol (official SDK)."""
