"""Analyzers: one module per analyzer, each a pure function over a ClusterSnapshot.

`registry` holds filter names, groups (core, optional, extra, lint) and k8sgpt's
selection rules; `base` holds the context and shared helpers (parents, events).
"""
