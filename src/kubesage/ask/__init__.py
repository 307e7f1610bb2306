"""`kubesage ask`: answer a free-form question by calling read-only tools, citing what they returned.

With a tool-calling model configured the agent loop (loop.py) drives the provider's native tool
calling; with none (the offline default) the deterministic planner (planner.py) does the same
investigation without a model.
"""
